-- 019_link_functions_parallel_unsafe: the link functions of 007 and 014 run in a query's leader only.
--
-- ledger.invoice_payment_link and ledger.adjustment_link were labelled PARALLEL SAFE, but each catches every
-- error (so that an index expression never refuses an append), and a PL/pgSQL exception block opens a
-- subtransaction, which PostgreSQL refuses in parallel mode: any query of the log that the planner ran in
-- parallel and that called them failed with "cannot start subtransactions during a parallel operation"
-- (an analytics query over ledger.events, say). Labelled PARALLEL UNSAFE, such a query runs without workers.
-- Their index expressions (007, 014) are unchanged: an index build still evaluates them in one process.
ALTER FUNCTION ledger.invoice_payment_link(BYTEA, TEXT) PARALLEL UNSAFE;
ALTER FUNCTION ledger.adjustment_link(BYTEA, TEXT) PARALLEL UNSAFE;
