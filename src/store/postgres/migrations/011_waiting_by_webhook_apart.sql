-- deliveries_webhook_waiting and deliveries_waiting were both partial on status = 'waiting', so a
-- look-up of the deliveries waiting behind some (after_id = ANY(…) AND status = 'waiting') could
-- walk either whole: a generic plan made while the table was young (a page each) did, and kept
-- walking as they filled. Its predicate now also names webhook_id, which only the statements
-- asking by webhook (holding what a disabled webhook owes) imply: the look-ups by after_id can
-- only probe deliveries_waiting. (webhook_id is never null, so the index holds the same rows.)
DROP INDEX deliveries_webhook_waiting;
CREATE INDEX deliveries_webhook_waiting ON deliveries (webhook_id) WHERE status = 'waiting' AND webhook_id IS NOT NULL;
