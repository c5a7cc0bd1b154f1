-- Every index on deliveries is written on every insert and on every status change (a status is
-- indexed, so no update is HOT): at fourteen indexes they were most of the WAL and of the server's
-- CPU per delivery. These four served no query the others cannot, or one a partial index serves
-- without being written for every delivery:
--   deliveries_chain    a chain's latest delivery: found through deliveries_org_call (a call has
--                       few deliveries; the webhook is a filter on them)
--   deliveries_webhook  (webhook_id, status, seq): disabling a webhook holds its pending
--                       (deliveries_webhook_due) and waiting (deliveries_webhook_waiting, partial)
--                       deliveries; a replay reads the organization's failed and held ones
--                       (deliveries_org_status). Not one partial index on pending and waiting: it
--                       is ordered by webhook, so claims picked it and walked every open delivery.
--   deliveries_event    whether an event still has deliveries (retention): through its call,
--                       deliveries_org_call
--   deliveries_created  retention purges only finished deliveries: a partial index on them is not
--                       written while a delivery is pending or waiting
DROP INDEX deliveries_chain;
DROP INDEX deliveries_webhook;
DROP INDEX deliveries_event;
DROP INDEX deliveries_created;
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE status IN ('succeeded', 'failed');
CREATE INDEX deliveries_webhook_waiting ON deliveries (webhook_id) WHERE status = 'waiting';
