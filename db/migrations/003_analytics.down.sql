-- 003_analytics (down): removes the MRR analytics tables (derived data only;
-- the projector can rebuild them from the ledger log after re-applying 003).
-- Dropping mrr_movements also drops its owned id sequence.

DROP TABLE public.mrr_daily;
DROP TABLE public.mrr_movements;
