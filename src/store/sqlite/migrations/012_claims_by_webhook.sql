-- Claims find due deliveries webhook by webhook, through deliveries_webhook_due (deliveries.ts,
-- WEBHOOK_DUE_SQL): a seek per webhook that reads what the claim may take. deliveries_due, the
-- pending deliveries by due time alone, served those claims only, and was written for every
-- delivery that was ever pending.
DROP INDEX deliveries_due;
