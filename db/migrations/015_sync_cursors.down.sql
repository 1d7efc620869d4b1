-- 015_sync_cursors (down): removes the sync cursors; the next `ledger sync events` starts again from the
-- newest Stripe event in the log (or --since).
DROP TABLE ledger.sync_cursors;
