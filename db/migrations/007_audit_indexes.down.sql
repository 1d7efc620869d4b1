DROP INDEX ledger.events_invoice_payment_intent_idx;
DROP INDEX ledger.events_invoice_payment_invoice_idx;
DROP FUNCTION ledger.invoice_payment_link(BYTEA, TEXT);
DROP INDEX ledger.events_customer_id_idx;
