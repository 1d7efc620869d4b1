-- 008_mrr_customer_counts: each day's customer movements beside its amounts.
--
-- `ledger report mrr` shows per period how many customers were new, reactivated
-- and churned. Counting them from mrr_movements would read every movement of the
-- period; the MRR projector already knows the counts per day, so mrr_daily keeps
-- them beside the amounts, and a report reads one row per day (docs/0006-mrr.md).
-- Each is the number of movements of that kind on the day: one per customer and
-- currency that became new, came back or left (a customer can churn and come back
-- twice in a day, and counts twice). active_customers at the end of a day is the
-- running sum of new + reactivated - churned.

ALTER TABLE public.mrr_daily
    ADD COLUMN new_customers INTEGER NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_new_customers_check CHECK (new_customers >= 0),
    ADD COLUMN reactivated_customers INTEGER NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_reactivated_customers_check CHECK (reactivated_customers >= 0),
    ADD COLUMN churned_customers INTEGER NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_churned_customers_check CHECK (churned_customers >= 0);
