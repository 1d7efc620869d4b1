-- 004_event_log (down): removes the event log and everything in schema ledger.
DROP TABLE ledger.rejected_inputs;
DROP TABLE ledger.head;
DROP TABLE ledger.events;
DROP FUNCTION ledger.advance_head(BIGINT, BYTEA);
DROP FUNCTION ledger.reject_head_rewind();
DROP FUNCTION ledger.reject_event_change();
DROP SCHEMA ledger;
