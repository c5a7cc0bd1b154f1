-- Webhook health (delivery/webhook-health.ts), kept by the write that records attempt results: the
-- current run of failed attempts (how many, since when; zero and NULL once an attempt succeeds) and
-- the latest failure. Webhooks start healthy: one failing now shows at its next attempt.
ALTER TABLE webhooks ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN failing_since bigint;
ALTER TABLE webhooks ADD COLUMN last_failure_at bigint;

-- A webhook's next scheduled attempt: one index seek (min) per webhook shown.
CREATE INDEX deliveries_webhook_due ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
