-- 013_billing_cycles (down): billing_cycle is monthly or yearly again.
-- Fails, on purpose, while a subscription row has another cycle: rebuild with a ledger that parks them first.
ALTER TABLE public.subscriptions DROP CONSTRAINT subscriptions_billing_cycle_check;
ALTER TABLE public.subscriptions ADD CONSTRAINT subscriptions_billing_cycle_check
    CHECK (billing_cycle IN ('monthly','yearly'));
