-- 002_affiliates (down): removes the affiliate tables, children first.
-- set_updated_at() belongs to 001 and stays.

DROP TABLE public.commissions;
DROP TABLE public.referrals;
DROP TABLE public.affiliates;
