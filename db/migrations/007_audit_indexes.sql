-- 007_audit_indexes: find every event of one customer without reading the whole log.
--
-- `ledger history` and `ledger state` replay one customer's events: the reducer's
-- rows for a subscription and its payments depend only on events that name the
-- customer (subscription, invoice, PaymentIntent and charge objects all carry
-- `customer`), plus the 2025+ `invoice_payment` objects, which name only their
-- invoice. Both lookups are index range scans, so an audit costs what the
-- customer's history costs, whatever the size of the log.
--
-- Measured cost at ingest: see docs/benchmarks.md (the customer index alone was
-- ~5 % of an ingest run when it was first tried, in 004).

CREATE INDEX events_customer_id_idx
    ON ledger.events (customer_id, position) WHERE customer_id IS NOT NULL;

-- What an `invoice_payment.*` event's object links: `link` 'invoice' gives
-- `data.object.invoice`, 'payment_intent' gives `data.object.payment.payment_intent`
-- (each an id or an expanded object), else NULL. The object names no customer, so
-- an audit finds it by either end of the link it records. Never raises: an index
-- expression that failed would refuse the append of a body the ledger accepted.
-- Truncated to the longest id the log accepts, so a hostile body cannot overflow
-- the index row.
CREATE FUNCTION ledger.invoice_payment_link(body BYTEA, link TEXT) RETURNS TEXT
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    object JSONB;
BEGIN
    object := convert_from(body, 'UTF8')::jsonb -> 'data' -> 'object';
    IF link = 'payment_intent' THEN
        object := object -> 'payment';
    END IF;
    RETURN left(coalesce(object -> link ->> 'id', object ->> link), 255);
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;

CREATE INDEX events_invoice_payment_invoice_idx
    ON ledger.events (ledger.invoice_payment_link(body, 'invoice'), position)
    WHERE type LIKE 'invoice\_payment.%';
CREATE INDEX events_invoice_payment_intent_idx
    ON ledger.events (ledger.invoice_payment_link(body, 'payment_intent'), position)
    WHERE type LIKE 'invoice\_payment.%';
