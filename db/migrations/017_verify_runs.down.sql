-- 017_verify_runs (down): forgets the recorded verify runs; the next run records again. Nothing is
-- checked from them, so nothing else changes.
DROP TABLE ledger.verify_runs;
