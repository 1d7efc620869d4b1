-- 008_mrr_customer_counts (down): drops the per-day customer counts (derived; a
-- rebuild after re-applying 008 fills them again).

ALTER TABLE public.mrr_daily
    DROP COLUMN churned_customers,
    DROP COLUMN reactivated_customers,
    DROP COLUMN new_customers;
