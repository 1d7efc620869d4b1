-- 014_adjustment_indexes (down): drops the refund and dispute lookups; audits by a binary that reads them need 014.
DROP INDEX ledger.events_adjustment_charge_idx;
DROP INDEX ledger.events_adjustment_payment_intent_idx;
DROP FUNCTION ledger.adjustment_link(BYTEA, TEXT);
