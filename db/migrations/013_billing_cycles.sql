-- 013_billing_cycles: subscriptions.billing_cycle holds every interval MRR can normalise per month
-- (issue 15 point 6), not only the seed's monthly and yearly.
--
-- A price recurs every `interval_count` `interval`s. The values, by months per period:
--   monthly     month × 1                 (1)
--   quarterly   month × 3                 (3)
--   semiannual  month × 6                 (6)
--   yearly      year × 1, month × 12      (12)
--   biennial    year × 2, month × 24      (24)
-- Anything else (week, day, month × 2, year × 3, …) is parked with the interval in the reason, never
-- stored under a wrong cycle. MRR divides the period's amount by its months (docs/0006-mrr.md).
-- Subscriptions parked for these intervals by an older ledger become rows at the next rebuild.

ALTER TABLE public.subscriptions DROP CONSTRAINT subscriptions_billing_cycle_check;
ALTER TABLE public.subscriptions ADD CONSTRAINT subscriptions_billing_cycle_check
    CHECK (billing_cycle IN ('monthly','quarterly','semiannual','yearly','biennial'));
