DROP INDEX ledger.events_invoice_payment_invoice_idx;
DROP FUNCTION ledger.invoice_of_invoice_payment(BYTEA);
DROP INDEX ledger.events_customer_id_idx;
