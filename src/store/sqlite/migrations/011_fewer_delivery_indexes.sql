-- Every index on deliveries is written on every insert, and those holding the status on every
-- status change: at thirteen, they were a third of the time SQLite spent on a delivery's statements
-- (npm run bench, single steps). These three served no read another index cannot, or one a partial
-- index serves without being written for every delivery (as PostgreSQL's 010):
--   deliveries_webhook  (webhook_id, status, seq): disabling a webhook holds its pending
--                       (deliveries_webhook_due) and waiting (deliveries_webhook_waiting) deliveries;
--                       a replay reads the organization's failed and held ones (deliveries_org_status)
--   deliveries_event    whether an event still has deliveries (retention): through its call,
--                       deliveries_org_call
--   deliveries_created  retention purges only finished deliveries: a partial index on them is not
--                       written while a delivery is pending or waiting
DROP INDEX deliveries_webhook;
DROP INDEX deliveries_event;
DROP INDEX deliveries_created;
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE status IN ('succeeded', 'failed');
CREATE INDEX deliveries_webhook_waiting ON deliveries (webhook_id) WHERE status = 'waiting';
