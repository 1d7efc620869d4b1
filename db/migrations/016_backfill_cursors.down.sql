-- 016_backfill_cursors (down): removes the backfill cursors; the next `ledger sync backfill` starts a new
-- pass of every resource, which records only objects whose bytes changed.
DROP TABLE ledger.backfill_cursors;
