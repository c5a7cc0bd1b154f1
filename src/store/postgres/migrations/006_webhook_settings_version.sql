-- Webhook settings versions (delivery/webhook-changes.ts): every change gives the webhook the next
-- value of one sequence, drawn after its row is locked, so a webhook's versions grow in commit order.
CREATE SEQUENCE webhook_settings_version;
ALTER TABLE webhooks ADD COLUMN settings_version bigint NOT NULL DEFAULT nextval('webhook_settings_version');
