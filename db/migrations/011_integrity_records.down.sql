-- 011_integrity_records (down): removes the snapshot-record function and its guard, and the conflict column
-- (conflicting duplicates already kept stay as plain rejected inputs). Records already appended stay in the
-- log, which is append-only; without the function no new ones are written.
DROP INDEX ledger.rejected_inputs_conflict_key;
ALTER TABLE ledger.rejected_inputs DROP COLUMN conflicts_with_position;
DROP TRIGGER events_snapshot_records_by_function_only ON ledger.events;
DROP FUNCTION ledger.reject_forged_snapshot_record();
DROP FUNCTION ledger.record_snapshot(BIGINT, BYTEA, INTEGER, INTEGER, TEXT);
