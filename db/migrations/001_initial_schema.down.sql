-- 001_initial_schema (down): removes the seed schema, in reverse dependency
-- order. Dropping a table drops its own indexes, constraints and triggers;
-- set_updated_at() can only go once no trigger uses it.

DROP TABLE public.payment_transactions;
DROP TABLE public.subscriptions;
DROP TABLE public.team_members;
DROP TABLE public.teams;
DROP TABLE public.licenses;
DROP TABLE public.users;

DROP FUNCTION public.set_updated_at();

DROP EXTENSION IF EXISTS "uuid-ossp";
