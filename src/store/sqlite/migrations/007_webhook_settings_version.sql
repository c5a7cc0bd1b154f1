-- Webhook settings versions (delivery/webhook-changes.ts): every change gives the webhook the next
-- value of one counter, so versions only grow, across webhooks and deletions alike.
ALTER TABLE webhooks ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE webhook_settings_version (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
) STRICT;
INSERT INTO webhook_settings_version (id, value) VALUES (1, 0);
