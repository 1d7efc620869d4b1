-- 018_partitioned_log (down): ledger.events becomes one unpartitioned table again, by a copy.
--
-- Every row is copied (positions, hashes and bodies byte for byte) into a new table with 004's unique
-- constraints and the indexes and triggers of 007, 010, 011 and 014; the partitions and
-- ledger.event_keys are dropped. Refused while a partition is detached: its events would be lost to
-- the log (`ledger partition attach` first).

SELECT position FROM ledger.head FOR UPDATE;

DO $$
DECLARE
    detached TEXT := (
        SELECT string_agg(p.name, ', ' ORDER BY p.first_position) FROM ledger.event_partitions AS p
         WHERE NOT EXISTS (SELECT 1 FROM pg_inherits AS i
                            WHERE i.inhparent = 'ledger.events'::regclass
                              AND i.inhrelid = format('ledger.%I', p.name)::regclass));
BEGIN
    IF detached IS NOT NULL THEN
        RAISE EXCEPTION 'partitions % are detached: attach them first (ledger partition attach NAME)', detached
            USING ERRCODE = 'object_in_use';
    END IF;
END;
$$;

CREATE TABLE ledger.events_unpartitioned (
    LIKE ledger.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION INCLUDING STORAGE);
INSERT INTO ledger.events_unpartitioned SELECT * FROM ledger.events ORDER BY position;

-- 010's append lock and 011's record_snapshot, without partitions to keep ready.
CREATE OR REPLACE FUNCTION ledger.lock_head() RETURNS TABLE ("position" BIGINT, hash BYTEA)
    LANGUAGE sql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.position, h.hash FROM ledger.head AS h FOR UPDATE
$$;
CREATE OR REPLACE FUNCTION ledger.record_snapshot(
    snapshot_position BIGINT, snapshot_chain_hash BYTEA, snapshot_projector_version INTEGER,
    snapshot_format_version INTEGER, snapshot_content_digest TEXT
) RETURNS BIGINT
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head_position  BIGINT;
    head_hash      BYTEA;
    stored_hash    BYTEA;
    record_body    BYTEA;
    record_id      UUID := gen_random_uuid();
    record_version BIGINT;
    record_time    TIMESTAMPTZ := now();
    record_micros  BIGINT;
    existing       BIGINT;
BEGIN
    IF snapshot_content_digest IS NULL OR snapshot_content_digest !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'a snapshot content digest is 64 lower-case hex digits'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF snapshot_projector_version IS NULL OR snapshot_projector_version < 1
        OR snapshot_format_version IS NULL OR snapshot_format_version < 1 THEN
        RAISE EXCEPTION 'projector and format versions are positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The append lock, as every appender takes it: positions stay gapless and in commit order.
    SELECT h.position, h.hash INTO head_position, head_hash FROM ledger.head AS h FOR UPDATE;
    SELECT e.hash INTO stored_hash FROM ledger.events AS e WHERE e.position = snapshot_position;
    IF stored_hash IS NULL OR stored_hash IS DISTINCT FROM snapshot_chain_hash THEN
        RAISE EXCEPTION 'the log has no event at position % with that chain hash', snapshot_position
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Keys in sorted order, values without escapes (hex, digits): the bytes are canonical JSON.
    record_body := convert_to(format(
        '{"chain_hash":"%s","content_digest":"%s","format_version":%s,"position":%s,"projector_version":%s}',
        encode(snapshot_chain_hash, 'hex'), snapshot_content_digest, snapshot_format_version,
        snapshot_position, snapshot_projector_version), 'UTF8');
    -- The same snapshot recorded again (rewritten from the same state) is the record already there.
    SELECT e.position INTO existing FROM ledger.events AS e
     WHERE e.stream_id = 'ledger:snapshots' AND e.type = 'snapshot.recorded' AND e.source = 'ledger'
       AND e.body = record_body
     ORDER BY e.position LIMIT 1;
    IF existing IS NOT NULL THEN
        RETURN existing;
    END IF;
    SELECT COALESCE(max(e.stream_version), 0) + 1 INTO record_version
      FROM ledger.events AS e WHERE e.stream_id = 'ledger:snapshots';
    record_micros := (extract(epoch FROM record_time) * 1000000)::BIGINT;
    -- The chain hash exactly as EventHash.compute (Sources/LedgerCore/Events/EventHash.swift) lays the
    -- event out (tag ledger.event.v1, docs/0002-event-log.md): 8-byte big-endian integers, 4-byte
    -- big-endian lengths before texts and bytes, FF FF FF FF for NULL. `ledger verify` recomputes it in
    -- Swift, so a difference between the two fails the chain check at the record (tested).
    INSERT INTO ledger.events (position, event_id, stream_id, stream_version, type, source, source_event_id,
                               occurred_at, recorded_at, customer_id, body, metadata, hash)
    VALUES (head_position + 1, record_id, 'ledger:snapshots', record_version, 'snapshot.recorded', 'ledger', NULL,
            record_time, record_time, NULL, record_body, '{}',
            sha256(head_hash || convert_to('ledger.event.v1', 'UTF8') || int8send(head_position + 1)
                || uuid_send(record_id)
                || int4send(octet_length(convert_to('ledger:snapshots', 'UTF8')))
                || convert_to('ledger:snapshots', 'UTF8')
                || int8send(record_version)
                || int4send(octet_length(convert_to('snapshot.recorded', 'UTF8')))
                || convert_to('snapshot.recorded', 'UTF8')
                || int4send(octet_length(convert_to('ledger', 'UTF8'))) || convert_to('ledger', 'UTF8')
                || '\xffffffff'::BYTEA
                || int8send(record_micros) || int8send(record_micros)
                || '\xffffffff'::BYTEA
                || int4send(octet_length(record_body)) || record_body
                || int4send(octet_length(convert_to('{}', 'UTF8'))) || convert_to('{}', 'UTF8')));
    RETURN head_position + 1;
END;
$$;

-- The partitioned log, whose every row is in ledger.events_unpartitioned now: renamed before it is dropped, so
-- `ledger migrate down` (which refuses a rollback whose DROP TABLE names ledger.events while it holds events)
-- sees that this one keeps them.
ALTER TABLE ledger.events RENAME TO events_partitioned;
DROP TABLE ledger.events_partitioned;
DROP FUNCTION ledger.set_events_per_partition(BIGINT);
DROP FUNCTION ledger.create_event_partitions_ahead(BIGINT);
DROP FUNCTION ledger.create_event_partitions(BIGINT);
DROP FUNCTION ledger.protect_event_partition(REGCLASS);
DROP FUNCTION ledger.record_event_keys();
DROP TABLE ledger.event_keys;
DROP TABLE ledger.event_partitions;
DROP TABLE ledger.event_partitioning;

ALTER TABLE ledger.events_unpartitioned RENAME TO events;
ALTER TABLE ledger.events ADD CONSTRAINT events_pkey PRIMARY KEY (position);
ALTER TABLE ledger.events ADD CONSTRAINT events_event_id_key UNIQUE (event_id);
ALTER TABLE ledger.events ADD CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version);
CREATE UNIQUE INDEX events_source_event_id_key
    ON ledger.events (source_event_id, source) WHERE source_event_id IS NOT NULL;
CREATE INDEX events_customer_id_idx
    ON ledger.events (customer_id, position) WHERE customer_id IS NOT NULL;
CREATE INDEX events_invoice_payment_invoice_idx
    ON ledger.events (ledger.invoice_payment_link(body, 'invoice'), position)
    WHERE type LIKE 'invoice\_payment.%';
CREATE INDEX events_invoice_payment_intent_idx
    ON ledger.events (ledger.invoice_payment_link(body, 'payment_intent'), position)
    WHERE type LIKE 'invoice\_payment.%';
CREATE INDEX events_adjustment_payment_intent_idx
    ON ledger.events (ledger.adjustment_link(body, 'payment_intent'), position)
    WHERE type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%';
CREATE INDEX events_adjustment_charge_idx
    ON ledger.events (ledger.adjustment_link(body, 'charge'), position)
    WHERE type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%';

CREATE TRIGGER events_reject_update_delete
    BEFORE UPDATE OR DELETE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();
CREATE TRIGGER events_reject_truncate
    BEFORE TRUNCATE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();
CREATE TRIGGER events_advance_head
    AFTER INSERT ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.advance_head_to_newest_event();
CREATE TRIGGER events_snapshot_records_by_function_only
    BEFORE INSERT ON ledger.events
    FOR EACH ROW
    WHEN (NEW.stream_id = 'ledger:snapshots' AND NEW.type = 'snapshot.recorded' AND NEW.source = 'ledger')
    EXECUTE FUNCTION ledger.reject_forged_snapshot_record();
