-- 005_projections (down): removes the projector bookkeeping and the `paused` status.
-- Fails, on purpose, while a subscription row is `paused`: rebuild or delete it first.
DROP TABLE ledger.parked;
DROP TABLE ledger.checkpoints;
ALTER TABLE public.subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE public.subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('active','past_due','unpaid','canceled','incomplete','incomplete_expired','trialing'));
