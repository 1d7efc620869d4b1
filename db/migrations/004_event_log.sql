-- 004_event_log: the append-only event log and its bookkeeping, in schema ledger.
--
-- ledger.events holds every event exactly as received, at a gapless global
-- position assigned under one lock (the row of ledger.head), so positions
-- commit in order: a reader that has seen position N never later finds a
-- committed event below N. Each event's hash chains it to the one before
-- (SHA-256(previous hash || the event's fields in a fixed encoding), computed
-- by the appender; see docs/0002-event-log.md).

CREATE SCHEMA ledger;

CREATE TABLE ledger.events (
    position        BIGINT NOT NULL,
    event_id        UUID NOT NULL,
    stream_id       TEXT NOT NULL,
    stream_version  BIGINT NOT NULL,
    type            TEXT NOT NULL,
    -- Where the event came from: 'stripe' (webhook/ingest) or 'ledger' (native).
    source          TEXT NOT NULL,
    -- The source's own id (Stripe's evt_…): its idempotency key.
    source_event_id TEXT,
    -- When the fact happened (Stripe's `created`), and when the ledger stored it.
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    -- The customer the event concerns, extracted at append time (not indexed:
    -- audits by customer go through the projected subscriptions).
    customer_id     TEXT,
    -- The body exactly as received (a Stripe event's JSON bytes).
    body            BYTEA NOT NULL,
    -- Caller-supplied JSON object text, stored and hashed byte for byte.
    metadata        TEXT NOT NULL DEFAULT '{}',
    hash            BYTEA NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (position),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT events_position_check CHECK (position > 0),
    CONSTRAINT events_stream_version_check CHECK (stream_version > 0),
    CONSTRAINT events_stream_id_check CHECK (length(stream_id) BETWEEN 1 AND 512),
    CONSTRAINT events_type_check CHECK (length(type) BETWEEN 1 AND 255),
    CONSTRAINT events_source_check CHECK (source ~ '^[a-z][a-z0-9_]{0,31}$'),
    CONSTRAINT events_source_event_id_check CHECK (length(source_event_id) BETWEEN 1 AND 255),
    CONSTRAINT events_hash_check CHECK (length(hash) = 32)
);

-- Bodies are 1-6 KB of JSON: lz4 compresses them several times faster than
-- the default pglz, which matters at ingest rates.
ALTER TABLE ledger.events ALTER COLUMN body SET COMPRESSION lz4;

-- Idempotency by the source's id; leading with the id lets `= ANY(...)` probe it.
CREATE UNIQUE INDEX events_source_event_id_key
    ON ledger.events (source_event_id, source) WHERE source_event_id IS NOT NULL;

-- The append lock and the chain head: one row, updated by every append in the
-- same transaction as its events.
CREATE TABLE ledger.head (
    singleton BOOLEAN NOT NULL DEFAULT true,
    position  BIGINT NOT NULL,
    hash      BYTEA NOT NULL,
    CONSTRAINT head_pkey PRIMARY KEY (singleton),
    CONSTRAINT head_singleton_check CHECK (singleton),
    CONSTRAINT head_hash_check CHECK (length(hash) = 32)
);
INSERT INTO ledger.head (singleton, position, hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));

-- Moves the head after an append and tells listeners the new position, in
-- one round trip. Runs inside the appending transaction, so listeners hear of
-- the position only once it is committed.
CREATE FUNCTION ledger.advance_head(new_position BIGINT, new_hash BYTEA) RETURNS void
    LANGUAGE sql
AS $$
    UPDATE ledger.head SET position = new_position, hash = new_hash;
    SELECT pg_notify('ledger_events', new_position::text);
$$;

-- Input that was not a valid event: kept with its raw bytes so nothing is lost.
CREATE TABLE ledger.rejected_inputs (
    id          BIGSERIAL NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL,
    -- Where it came from: a file and line, or the webhook endpoint.
    origin      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    body        BYTEA NOT NULL,
    CONSTRAINT rejected_inputs_pkey PRIMARY KEY (id)
);

-- The log is append-only in the database itself, not only in the application.
CREATE FUNCTION ledger.reject_event_change() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'ledger.events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'record a correcting event instead (ledger append)';
END;
$$;

CREATE TRIGGER events_reject_update_delete
    BEFORE UPDATE OR DELETE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();
CREATE TRIGGER events_reject_truncate
    BEFORE TRUNCATE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();

-- The head only moves forward.
CREATE FUNCTION ledger.reject_head_rewind() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'ledger.head cannot move back from % to %', OLD.position, NEW.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER head_reject_rewind
    BEFORE UPDATE ON ledger.head
    FOR EACH ROW EXECUTE FUNCTION ledger.reject_head_rewind();
CREATE TRIGGER head_reject_delete_truncate
    BEFORE DELETE OR TRUNCATE ON ledger.head
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.reject_event_change();
