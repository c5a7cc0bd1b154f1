-- A delivery links to the one it waits behind (after_id) only while it waits: every write that
-- moves one out of 'waiting' clears the link. The constraint makes that a rule, so the look-ups of
-- the deliveries waiting behind finished ones ask by after_id alone, without status = 'waiting'.
-- That condition let a plan made while the table was young (prepared statements keep their
-- generic plan) walk any index partial on it (deliveries_webhook_waiting) or holding status
-- (deliveries_org_status) instead of probing by after_id; without it, the look-ups are planned
-- once per connection, not on every result batch, where planning them cost the server more than
-- running them. deliveries_waiting holds the same rows, now under a predicate those look-ups imply.
UPDATE deliveries SET after_id = NULL WHERE after_id IS NOT NULL AND status <> 'waiting';
ALTER TABLE deliveries ADD CONSTRAINT deliveries_after_id_waiting CHECK (after_id IS NULL OR status = 'waiting');
DROP INDEX deliveries_waiting;
CREATE INDEX deliveries_waiting ON deliveries (after_id) WHERE after_id IS NOT NULL;
