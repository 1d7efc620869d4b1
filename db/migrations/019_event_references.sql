-- 019_event_references: which events name which customer, invoice, PaymentIntent or charge, in one index
-- outside the partitions, so an audit finds its events without looking into every partition.
--
-- Why (docs/scale.md, "Where one machine ends"): since 018 the log is partitioned by position, and the
-- events an audit replays can lie in any partition. Read from ledger.events, each audit read asked every
-- attached partition's index: ~0.2 ms a partition for a subscription's history, ~0.8 ms with its payments.
-- Streams already have an index outside the partitions: ledger.event_keys maps (stream_id, stream_version)
-- to a position. ledger.event_references does the same for what else an audit looks events up by:
--
--   kind                            id, from                              events    replaces (migration)
--   customer                        customer_id                           any       (kept: see below)
--   invoice_payment.invoice         data.object.invoice                   invoice_payment.*
--                                                                                   events_invoice_payment_invoice_idx (007)
--   invoice_payment.payment_intent  data.object.payment.payment_intent    invoice_payment.*
--                                                                                   events_invoice_payment_intent_idx (007)
--   adjustment.payment_intent       data.object.payment_intent            refund.*, charge.refund.*, charge.dispute.*
--                                                                                   events_adjustment_payment_intent_idx (014)
--   adjustment.charge               data.object.charge                    the same  events_adjustment_charge_idx (014)
--
-- The audit reads (EventStore+Audit.swift) find positions here and fetch each event from the one partition
-- holding it (run-time pruning on the position). The four partitioned link indexes are dropped: an append
-- writes one index entry per link as before. The customer index of 007 stays: a customer's events are
-- fetched through it, by (customer_id, position), so consecutive events of one customer share its leaf pages
-- where a fetch by primary key reads one leaf page per event (docs/benchmarks.md: 2x slower at 1M events
-- with the bench's 128 MB of shared buffers). The trigger that records an append's keys records its references
-- too, from the same inserted rows (one set-based INSERT per COPY). Append-only like event_keys, so the
-- references of detached and dropped partitions stay (a read joins them to ledger.events, so it sees the
-- events of attached partitions only, as before).

-- Appends wait for the migration (the append lock): none is appended between the fill and the trigger.
SELECT position FROM ledger.head FOR UPDATE;

-- The references of one event, from its columns (kinds as below, ids never NULL). A plain SQL function whose
-- parts are gated on the event's type, so PostgreSQL inlines it into the statements below and parses a body
-- only for the link types (~5 us an event, 1.3 s at 245k events). The link functions of 007 and 014 never
-- raise and truncate ids to 255 characters.
CREATE FUNCTION ledger.references_of_event(customer_id TEXT, type TEXT, body BYTEA)
    RETURNS TABLE (kind TEXT, id TEXT)
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT 'customer', customer_id WHERE customer_id IS NOT NULL
    UNION ALL
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

-- 007 and 014 labelled the link functions PARALLEL SAFE, but their exception block opens a subtransaction,
-- which PostgreSQL refuses in a parallel query ("cannot start subtransactions during a parallel operation"):
-- any query that called them from a parallel plan failed. They run in the leader only from now on.
ALTER FUNCTION ledger.invoice_payment_link(BYTEA, TEXT) PARALLEL UNSAFE;
ALTER FUNCTION ledger.adjustment_link(BYTEA, TEXT) PARALLEL UNSAFE;

CREATE TABLE ledger.event_references (
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    position BIGINT NOT NULL,
    CONSTRAINT event_references_kind_check CHECK (kind IN ('customer', 'invoice_payment.invoice',
        'invoice_payment.payment_intent', 'adjustment.payment_intent', 'adjustment.charge'))
);

-- The stored log: every attached partition, then every detached one whose table is still there. A
-- dropped partition's references come back with `ledger partition restore` (EventPartitions+Archives.swift).
INSERT INTO ledger.event_references (kind, id, position)
SELECT r.kind, r.id, e.position
  FROM ledger.events AS e CROSS JOIN LATERAL ledger.references_of_event(e.customer_id, e.type, e.body) AS r;

DO $$
DECLARE
    detached TEXT;
BEGIN
    FOR detached IN
        SELECT p.name FROM ledger.event_partitions AS p
         WHERE to_regclass(format('ledger.%I', p.name)) IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pg_inherits AS i
                            WHERE i.inhparent = 'ledger.events'::regclass
                              AND i.inhrelid = format('ledger.%I', p.name)::regclass)
    LOOP
        EXECUTE format('INSERT INTO ledger.event_references (kind, id, position) SELECT r.kind, r.id, e.position '
            'FROM ledger.%I AS e CROSS JOIN LATERAL ledger.references_of_event(e.customer_id, e.type, e.body) AS r',
            detached);
    END LOOP;
END;
$$;

-- Built once the table is filled; a position has at most one id of each kind.
ALTER TABLE ledger.event_references ADD CONSTRAINT event_references_pkey PRIMARY KEY (kind, id, position);

-- Records the keys of the rows a statement inserted (018), and now their references.
CREATE OR REPLACE FUNCTION ledger.record_event_keys() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ledger.event_keys (position, event_id, source, source_event_id, stream_id, stream_version)
    SELECT position, event_id, source, source_event_id, stream_id, stream_version FROM inserted_events;
    INSERT INTO ledger.event_references (kind, id, position)
    SELECT r.kind, r.id, e.position
      FROM inserted_events AS e CROSS JOIN LATERAL ledger.references_of_event(e.customer_id, e.type, e.body) AS r;
    RETURN NULL;
END;
$$;

-- Last: dropping them locks ledger.events (and so its readers) until this migration commits.
DROP INDEX ledger.events_invoice_payment_invoice_idx;
DROP INDEX ledger.events_invoice_payment_intent_idx;
DROP INDEX ledger.events_adjustment_payment_intent_idx;
DROP INDEX ledger.events_adjustment_charge_idx;
