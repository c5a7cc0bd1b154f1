-- The delivery log's filters by call, status, event and webhook each get an index that also gives
-- the newest first. Without one, a filter that matches little (a call, `failed`, an event type no
-- call reached, a quiet webhook) walked every delivery of the organization: 0.7–0.9 s at a
-- million pending retries.
CREATE INDEX deliveries_org_call ON deliveries (org_id, call_id, seq);
CREATE INDEX deliveries_org_status ON deliveries (org_id, status, seq);
CREATE INDEX deliveries_org_event ON deliveries (org_id, event_type, seq);
-- (webhook_id, status, seq) cannot give one webhook's deliveries newest first without a sort.
CREATE INDEX deliveries_webhook_seq ON deliveries (webhook_id, seq);
