-- 018_partitioned_log: ledger.events becomes a table partitioned by position range, in place.
--
-- Why and how: docs/0018-partitioned-log.md. In short:
--
-- * The existing log is not copied: the old table is renamed to ledger.events_p000001 and attached as
--   the first partition, FOR VALUES FROM (1) TO (head + 1). Positions, hashes, bodies and their TOAST
--   stay where they are; attaching reads the table once to check the range (~1 s per million events).
-- * PostgreSQL requires every unique index of a partitioned table to include the partition key, so the
--   log's three uniqueness rules (event_id; source + source_event_id; stream_id + stream_version) move
--   to ledger.event_keys, an unpartitioned table of every event's keys, written by a statement trigger
--   from the inserted rows (one set-based INSERT per COPY). Its unique indexes refuse a second copy of a
--   key with SQLSTATE 23505 exactly as the indexes of ledger.events did, under any concurrency, and they
--   keep doing so for events whose partition is detached and archived.
-- * New partitions are created ahead, under the append lock: ledger.lock_head() (every append) and
--   ledger.record_snapshot() make the partitions cover at least ledger.event_partitioning's
--   events_per_partition positions beyond the head before they insert, so a statement of up to that
--   many events (an append is at most Limits.appendBatchEventsMax = 5,000, and a partition holds at
--   least that many) always finds its partition.
-- * Statement triggers are not inherited by partitions, so every partition gets the log's own: the
--   append-only rules, the head follows the log, the keys are recorded. A direct INSERT, UPDATE, DELETE
--   or TRUNCATE of a partition is refused or accounted for exactly as one of ledger.events.

-- Appends wait for the conversion (the append lock), and see the partitioned log once it commits.
SELECT position FROM ledger.head FOR UPDATE;

CREATE TABLE ledger.event_partitioning (
    singleton            BOOLEAN NOT NULL DEFAULT true,
    -- Positions per partition. At least Limits.appendBatchEventsMax, so one append spans at most two.
    events_per_partition BIGINT NOT NULL DEFAULT 1000000,
    CONSTRAINT event_partitioning_pkey PRIMARY KEY (singleton),
    CONSTRAINT event_partitioning_singleton_check CHECK (singleton),
    CONSTRAINT event_partitioning_size_check CHECK (events_per_partition BETWEEN 5000 AND 1000000000)
);
INSERT INTO ledger.event_partitioning DEFAULT VALUES;

-- Every partition the log has had, attached or not: name and the positions it holds, [first, upper).
-- A detached partition stays listed (and its table stays in schema ledger until it is dropped).
CREATE TABLE ledger.event_partitions (
    name           TEXT NOT NULL,
    first_position BIGINT NOT NULL,
    upper_position BIGINT NOT NULL,
    CONSTRAINT event_partitions_pkey PRIMARY KEY (name),
    CONSTRAINT event_partitions_first_key UNIQUE (first_position),
    CONSTRAINT event_partitions_range_check CHECK (first_position > 0 AND upper_position > first_position)
);

-- The keys of every event ever appended, archived or not: the log's uniqueness rules.
CREATE TABLE ledger.event_keys (
    position        BIGINT NOT NULL,
    event_id        UUID NOT NULL,
    source          TEXT NOT NULL,
    source_event_id TEXT,
    stream_id       TEXT NOT NULL,
    stream_version  BIGINT NOT NULL,
    CONSTRAINT event_keys_event_id_key UNIQUE (event_id),
    CONSTRAINT event_keys_stream_version_key UNIQUE (stream_id, stream_version)
);
-- Leading with the id lets `= ANY(...)` probe it, as events_source_event_id_key did (004).
CREATE UNIQUE INDEX event_keys_source_event_id_key
    ON ledger.event_keys (source_event_id, source) WHERE source_event_id IS NOT NULL;

-- The old table becomes the first partition: its index and constraint names make way for the parent's.
ALTER TABLE ledger.events RENAME TO events_p000001;
ALTER TABLE ledger.events_p000001 RENAME CONSTRAINT events_pkey TO events_p000001_pkey;
ALTER TABLE ledger.events_p000001 DROP CONSTRAINT events_event_id_key;
ALTER TABLE ledger.events_p000001 DROP CONSTRAINT events_stream_version_key;
DROP INDEX ledger.events_source_event_id_key;
ALTER INDEX ledger.events_customer_id_idx RENAME TO events_p000001_customer_id_idx;
ALTER INDEX ledger.events_invoice_payment_invoice_idx RENAME TO events_p000001_invoice_payment_invoice_idx;
ALTER INDEX ledger.events_invoice_payment_intent_idx RENAME TO events_p000001_invoice_payment_intent_idx;
ALTER INDEX ledger.events_adjustment_payment_intent_idx RENAME TO events_p000001_adjustment_payment_intent_idx;
ALTER INDEX ledger.events_adjustment_charge_idx RENAME TO events_p000001_adjustment_charge_idx;
-- The parent's row trigger is cloned onto every partition, this one included.
DROP TRIGGER events_snapshot_records_by_function_only ON ledger.events_p000001;
-- Statement triggers stay: they now guard direct statements on this partition. Renamed to the names
-- ledger.protect_event_partition gives every partition.
ALTER TRIGGER events_reject_update_delete ON ledger.events_p000001 RENAME TO partition_reject_update_delete;
ALTER TRIGGER events_reject_truncate ON ledger.events_p000001 RENAME TO partition_reject_truncate;
ALTER TRIGGER events_advance_head ON ledger.events_p000001 RENAME TO partition_advance_head;

CREATE TABLE ledger.events (
    position        BIGINT NOT NULL,
    event_id        UUID NOT NULL,
    stream_id       TEXT NOT NULL,
    stream_version  BIGINT NOT NULL,
    type            TEXT NOT NULL,
    source          TEXT NOT NULL,
    source_event_id TEXT,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    customer_id     TEXT,
    body            BYTEA COMPRESSION lz4 NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}',
    hash            BYTEA NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (position),
    CONSTRAINT events_position_check CHECK (position > 0),
    CONSTRAINT events_stream_version_check CHECK (stream_version > 0),
    CONSTRAINT events_stream_id_check CHECK (length(stream_id) BETWEEN 1 AND 512),
    CONSTRAINT events_type_check CHECK (length(type) BETWEEN 1 AND 255),
    CONSTRAINT events_source_check CHECK (source ~ '^[a-z][a-z0-9_]{0,31}$'),
    CONSTRAINT events_source_event_id_check CHECK (length(source_event_id) BETWEEN 1 AND 255),
    CONSTRAINT events_hash_check CHECK (length(hash) = 32)
) PARTITION BY RANGE (position);

-- Reading a stream in version order (uniqueness is event_keys'); the others as in 007 and 014.
CREATE INDEX events_stream_version_idx ON ledger.events (stream_id, stream_version);
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

-- Records the keys of the rows a statement inserted; a key already there fails the statement (23505).
-- SECURITY DEFINER: appenders insert into ledger.events only.
CREATE FUNCTION ledger.record_event_keys() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ledger.event_keys (position, event_id, source, source_event_id, stream_id, stream_version)
    SELECT position, event_id, source, source_event_id, stream_id, stream_version FROM inserted_events;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION ledger.record_event_keys() FROM PUBLIC;

-- Gives a partition the log's statement triggers, which PostgreSQL does not inherit: a statement that
-- names the partition itself is refused (UPDATE, DELETE, TRUNCATE) or moves the head and records keys
-- (INSERT) exactly as one naming ledger.events.
CREATE FUNCTION ledger.protect_event_partition(partition REGCLASS) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER partition_reject_update_delete BEFORE UPDATE OR DELETE ON %s '
        'FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change()', partition);
    EXECUTE format('CREATE TRIGGER partition_reject_truncate BEFORE TRUNCATE ON %s '
        'FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change()', partition);
    EXECUTE format('CREATE TRIGGER partition_advance_head AFTER INSERT ON %s '
        'FOR EACH STATEMENT EXECUTE FUNCTION ledger.advance_head_to_newest_event()', partition);
    EXECUTE format('CREATE TRIGGER partition_record_keys AFTER INSERT ON %s REFERENCING NEW TABLE AS inserted_events '
        'FOR EACH STATEMENT EXECUTE FUNCTION ledger.record_event_keys()', partition);
END;
$$;
REVOKE ALL ON FUNCTION ledger.protect_event_partition(REGCLASS) FROM PUBLIC;

-- Creates partitions after the newest one until they cover every position up to `through`; returns how
-- many it created. Each is created empty and attached (SHARE UPDATE EXCLUSIVE on ledger.events: reads
-- and appends go on; only another attach or detach waits). Callers hold the append lock.
CREATE FUNCTION ledger.create_event_partitions(through BIGINT) RETURNS INTEGER
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    size      BIGINT := (SELECT p.events_per_partition FROM ledger.event_partitioning AS p);
    upper     BIGINT := COALESCE((SELECT max(p.upper_position) FROM ledger.event_partitions AS p), 1);
    number    INTEGER := (SELECT count(*) FROM ledger.event_partitions) + 1;
    name      TEXT;
    created   INTEGER := 0;
BEGIN
    WHILE upper <= through LOOP
        name := format('events_p%s', lpad(number::text, 6, '0'));
        EXECUTE format('CREATE TABLE ledger.%I (LIKE ledger.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            'INCLUDING COMPRESSION INCLUDING STORAGE)', name);
        EXECUTE format('ALTER TABLE ledger.events ATTACH PARTITION ledger.%I FOR VALUES FROM (%s) TO (%s)',
            name, upper, upper + size);
        PERFORM ledger.protect_event_partition(format('ledger.%I', name)::regclass);
        INSERT INTO ledger.event_partitions (name, first_position, upper_position) VALUES (name, upper, upper + size);
        upper := upper + size;
        number := number + 1;
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;
REVOKE ALL ON FUNCTION ledger.create_event_partitions(BIGINT) FROM PUBLIC;

-- Keeps partitions ready ahead of the head: when fewer than events_per_partition positions beyond it
-- are covered, creates partitions through head + 2 × events_per_partition. Called under the append lock
-- (one look at the small ledger.event_partitions; a partition is created once per events_per_partition
-- events). Not from the insert trigger: PostgreSQL refuses to attach a partition to a table that the
-- session's running statement is inserting into.
CREATE FUNCTION ledger.create_event_partitions_ahead(head_position BIGINT) RETURNS INTEGER
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    size BIGINT := (SELECT s.events_per_partition FROM ledger.event_partitioning AS s);
BEGIN
    IF COALESCE((SELECT max(p.upper_position) FROM ledger.event_partitions AS p), 1) > head_position + size THEN
        RETURN 0;
    END IF;
    RETURN ledger.create_event_partitions(head_position + 2 * size);
END;
$$;
REVOKE ALL ON FUNCTION ledger.create_event_partitions_ahead(BIGINT) FROM PUBLIC;

-- Changes the partition size: partitions wholly beyond the head (empty, since positions are gapless)
-- are dropped and made again at the new size; the partition holding the head keeps its range. Under the
-- append lock. Returns how many partitions it created.
CREATE FUNCTION ledger.set_events_per_partition(size BIGINT) RETURNS INTEGER
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head_position BIGINT;
    partition     TEXT;
BEGIN
    SELECT h.position INTO head_position FROM ledger.head AS h FOR UPDATE;
    UPDATE ledger.event_partitioning SET events_per_partition = size;
    FOR partition IN
        SELECT p.name FROM ledger.event_partitions AS p WHERE p.first_position > head_position
         ORDER BY p.first_position DESC
    LOOP
        EXECUTE format('DROP TABLE ledger.%I', partition);
        DELETE FROM ledger.event_partitions AS p WHERE p.name = partition;
    END LOOP;
    RETURN ledger.create_event_partitions_ahead(head_position);
END;
$$;
REVOKE ALL ON FUNCTION ledger.set_events_per_partition(BIGINT) FROM PUBLIC;

-- The append lock (010), which every append through EventStore takes first, now also keeps partitions
-- ready: a COPY of up to Limits.appendBatchEventsMax (<= events_per_partition) events always finds them.
CREATE OR REPLACE FUNCTION ledger.lock_head() RETURNS TABLE ("position" BIGINT, hash BYTEA)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head_position BIGINT;
    head_hash     BYTEA;
BEGIN
    SELECT h.position, h.hash INTO head_position, head_hash FROM ledger.head AS h FOR UPDATE;
    PERFORM ledger.create_event_partitions_ahead(head_position);
    RETURN QUERY SELECT head_position, head_hash;
END;
$$;

-- ledger.record_snapshot (011) appends without ledger.lock_head(): the same, keeping partitions ready.
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
    PERFORM ledger.create_event_partitions_ahead(head_position);
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

CREATE TRIGGER events_reject_update_delete
    BEFORE UPDATE OR DELETE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();
CREATE TRIGGER events_reject_truncate
    BEFORE TRUNCATE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();
CREATE TRIGGER events_advance_head
    AFTER INSERT ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.advance_head_to_newest_event();
CREATE TRIGGER events_record_keys
    AFTER INSERT ON ledger.events REFERENCING NEW TABLE AS inserted_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.record_event_keys();
CREATE TRIGGER events_snapshot_records_by_function_only
    BEFORE INSERT ON ledger.events
    FOR EACH ROW
    WHEN (NEW.stream_id = 'ledger:snapshots' AND NEW.type = 'snapshot.recorded' AND NEW.source = 'ledger')
    EXECUTE FUNCTION ledger.reject_forged_snapshot_record();

-- The stored log: its keys, then the table itself as partition 1; an empty log needs no such partition.
INSERT INTO ledger.event_keys (position, event_id, source, source_event_id, stream_id, stream_version)
SELECT position, event_id, source, source_event_id, stream_id, stream_version FROM ledger.events_p000001;

DO $$
DECLARE
    head_position BIGINT := (SELECT h.position FROM ledger.head AS h);
BEGIN
    IF head_position = 0 THEN
        DROP TABLE ledger.events_p000001;
    ELSE
        CREATE TRIGGER partition_record_keys AFTER INSERT ON ledger.events_p000001
            REFERENCING NEW TABLE AS inserted_events
            FOR EACH STATEMENT EXECUTE FUNCTION ledger.record_event_keys();
        EXECUTE format('ALTER TABLE ledger.events ATTACH PARTITION ledger.events_p000001 FOR VALUES FROM (1) TO (%s)',
            head_position + 1);
        INSERT INTO ledger.event_partitions (name, first_position, upper_position)
        VALUES ('events_p000001', 1, head_position + 1);
    END IF;
    PERFORM ledger.create_event_partitions_ahead(head_position);
END;
$$;
