-- 020_event_links: the payment links of the log in one index outside the partitions, so an audit finds a
-- payment's events without planning and scanning every partition.
--
-- Why (docs/scale.md, docs/benchmarks.md): since 018 the log is partitioned by position. The events that
-- name no customer — an invoice_payment's, a refund's, a dispute's — were found through four partial
-- expression indexes (007, 014) of ledger.events, one copy per partition, by statements planned at each call
-- (a generic plan walked the partitions' primary keys instead). Each such read planned and scanned every
-- partition: 1.2 ms at one partition, 4.9 ms at 16, and an audit with payments makes several. Streams
-- already have an index outside the partitions (ledger.event_keys); ledger.event_links does the same for
-- the payment links:
--
--   kind                            id, from                              events
--   invoice_payment.invoice         data.object.invoice                   invoice_payment.*
--   invoice_payment.payment_intent  data.object.payment.payment_intent    invoice_payment.*
--   adjustment.payment_intent       data.object.payment_intent            refund.*, charge.refund.*, charge.dispute.*
--   adjustment.charge               data.object.charge                    the same
--
-- The audit reads (EventStore+Audit.swift) take the positions from here, then the events by position from
-- the partitions holding them (pruned before the plan runs): 0.7 ms at 1, 4 or 16 partitions. The four link
-- indexes are dropped: an append writes one index entry per link, as before. The key trigger records an
-- append's links from the same inserted rows (one set-based INSERT per COPY). Append-only like event_keys:
-- the links of detached and dropped partitions stay, and a read sees the events of attached partitions only,
-- as before.

-- Appends wait for the migration (the append lock): none is appended between the fill and the trigger.
SELECT position FROM ledger.head FOR UPDATE;

-- The links of one event (ids never NULL; the link functions of 007 and 014 never raise and truncate ids to
-- 255 characters). A plain SQL function whose parts are gated on the event's type, so PostgreSQL inlines it
-- into the statements below and parses a body only for the link types.
CREATE FUNCTION ledger.links_of_event(type TEXT, body BYTEA)
    RETURNS TABLE (kind TEXT, id TEXT)
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT r.kind, r.id FROM (VALUES
        ('invoice_payment.invoice', ledger.invoice_payment_link(body, 'invoice')),
        ('invoice_payment.payment_intent', ledger.invoice_payment_link(body, 'payment_intent'))) AS r (kind, id)
     WHERE type LIKE 'invoice\_payment.%' AND r.id IS NOT NULL
    UNION ALL
    SELECT r.kind, r.id FROM (VALUES
        ('adjustment.payment_intent', ledger.adjustment_link(body, 'payment_intent')),
        ('adjustment.charge', ledger.adjustment_link(body, 'charge'))) AS r (kind, id)
     WHERE (type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%') AND r.id IS NOT NULL
$$;

CREATE TABLE ledger.event_links (
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    position BIGINT NOT NULL,
    CONSTRAINT event_links_kind_check CHECK (kind IN ('invoice_payment.invoice', 'invoice_payment.payment_intent',
        'adjustment.payment_intent', 'adjustment.charge'))
);

-- The stored log: every attached partition, then every detached one whose table is still there. A dropped
-- partition's links come back with `ledger partition restore` (EventPartitions+Archives.swift).
INSERT INTO ledger.event_links (kind, id, position)
SELECT l.kind, l.id, e.position
  FROM ledger.events AS e CROSS JOIN LATERAL ledger.links_of_event(e.type, e.body) AS l;

-- A detached table keeps the copies of the link indexes it had while attached: they go too (attached again,
-- it gets whatever indexes ledger.events has then).
DO $$
DECLARE
    detached TEXT;
    link_index REGCLASS;
BEGIN
    FOR detached IN
        SELECT p.name FROM ledger.event_partitions AS p
         WHERE to_regclass(format('ledger.%I', p.name)) IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pg_inherits AS i
                            WHERE i.inhparent = 'ledger.events'::regclass
                              AND i.inhrelid = format('ledger.%I', p.name)::regclass)
    LOOP
        EXECUTE format('INSERT INTO ledger.event_links (kind, id, position) SELECT l.kind, l.id, e.position '
            'FROM ledger.%I AS e CROSS JOIN LATERAL ledger.links_of_event(e.type, e.body) AS l', detached);
        FOR link_index IN
            SELECT x.indexrelid::regclass FROM pg_index AS x
             WHERE x.indrelid = format('ledger.%I', detached)::regclass
               AND pg_get_indexdef(x.indexrelid) ~ 'ledger\.(invoice_payment|adjustment)_link\('
        LOOP
            EXECUTE format('DROP INDEX %s', link_index);
        END LOOP;
    END LOOP;
END;
$$;

-- Built once the table is filled; a position has at most one id of each kind.
ALTER TABLE ledger.event_links ADD CONSTRAINT event_links_pkey PRIMARY KEY (kind, id, position);

-- Records the keys of the rows a statement inserted (018), and now their links.
CREATE OR REPLACE FUNCTION ledger.record_event_keys() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ledger.event_keys (position, event_id, source, source_event_id, stream_id, stream_version)
    SELECT position, event_id, source, source_event_id, stream_id, stream_version FROM inserted_events;
    INSERT INTO ledger.event_links (kind, id, position)
    SELECT l.kind, l.id, e.position
      FROM inserted_events AS e CROSS JOIN LATERAL ledger.links_of_event(e.type, e.body) AS l;
    RETURN NULL;
END;
$$;

-- Last: dropping them locks ledger.events (and so its readers) until this migration commits.
DROP INDEX ledger.events_invoice_payment_invoice_idx;
DROP INDEX ledger.events_invoice_payment_intent_idx;
DROP INDEX ledger.events_adjustment_payment_intent_idx;
DROP INDEX ledger.events_adjustment_charge_idx;
