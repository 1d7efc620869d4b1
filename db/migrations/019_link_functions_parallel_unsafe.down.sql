-- 019_link_functions_parallel_unsafe (down): the labels 007 and 014 gave them.
ALTER FUNCTION ledger.invoice_payment_link(BYTEA, TEXT) PARALLEL SAFE;
ALTER FUNCTION ledger.adjustment_link(BYTEA, TEXT) PARALLEL SAFE;
