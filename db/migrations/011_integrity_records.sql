-- 011_integrity_records: snapshots are recorded in the log, and a redelivery whose bytes differ is kept.
--
-- * ledger.record_snapshot(…) appends one native event to stream 'ledger:snapshots' (type
--   'snapshot.recorded', source 'ledger') naming a snapshot's position, chain hash, projector version and
--   content digest. A snapshot file is trusted only when such a record matches it (docs/snapshots.md):
--   someone who edits a file's rows and recomputes the digest it carries cannot edit the hash-chained log.
--   The function builds the whole event itself — body, stream version, times, chain hash — so the roles
--   that may call it (ledger_projector, docs/operations.md) can append nothing else, and need neither
--   INSERT on ledger.events nor the append lock function.
-- * Only that function (or its owner) writes a record: a trigger refuses any other insert of that stream,
--   type and source, so an appender cannot forge a record for an edited file.
-- * ledger.rejected_inputs.conflicts_with_position: a delivery whose event id (or Stripe id) is already
--   stored with a different body is kept there, with the stored event's position, instead of being
--   acknowledged as a duplicate without a trace. One row per stored event and distinct body.

CREATE FUNCTION ledger.record_snapshot(
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
REVOKE ALL ON FUNCTION ledger.record_snapshot(BIGINT, BYTEA, INTEGER, INTEGER, TEXT) FROM PUBLIC;

-- A snapshot record is written by ledger.record_snapshot(), which runs as its owner; any other role
-- inserting one (an appender with `ledger append --stream ledger:snapshots`) is refused.
CREATE FUNCTION ledger.reject_forged_snapshot_record() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_user::regrole::oid IS DISTINCT FROM (
        SELECT p.proowner FROM pg_proc AS p
         WHERE p.oid = 'ledger.record_snapshot(bigint, bytea, integer, integer, text)'::regprocedure) THEN
        RAISE EXCEPTION 'snapshot records are appended only by ledger.record_snapshot() (`ledger snapshot create`)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

-- The WHEN condition is checked without calling the function, so other inserts pay nothing measurable.
CREATE TRIGGER events_snapshot_records_by_function_only
    BEFORE INSERT ON ledger.events
    FOR EACH ROW
    WHEN (NEW.stream_id = 'ledger:snapshots' AND NEW.type = 'snapshot.recorded' AND NEW.source = 'ledger')
    EXECUTE FUNCTION ledger.reject_forged_snapshot_record();

-- The stored event a conflicting duplicate collides with; NULL for every other rejection.
ALTER TABLE ledger.rejected_inputs ADD COLUMN conflicts_with_position BIGINT;

-- Stripe retries a delivery until it is acknowledged: the same conflicting body is kept once.
CREATE UNIQUE INDEX rejected_inputs_conflict_key
    ON ledger.rejected_inputs (conflicts_with_position, sha256(body))
    WHERE conflicts_with_position IS NOT NULL;
