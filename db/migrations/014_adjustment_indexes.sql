-- 014_adjustment_indexes: find the refunds and disputes of a payment without reading the whole log.
--
-- Refund objects (`refund.*`, `charge.refund.updated`) and Dispute objects (`charge.dispute.*`) name
-- no customer, so migration 007's customer index never finds them; they name the PaymentIntent and
-- the charge they adjust (either may be null). `ledger history` and `ledger state` look them up by
-- the intents and charges a customer's events reveal (a charge event carries both ids), through these
-- indexes: an audit still costs what the customer's history costs, whatever the size of the log.
--
-- The predicate is repeated word for word by the audit's query (EventStore.selectAdjustmentEvents),
-- which is what lets the planner use these partial indexes.

-- What a refund's or dispute's object links: `link` names a field of `data.object` holding an id or an
-- expanded object (its `id`); else NULL. Never raises, and is truncated to the longest id the log
-- accepts, for the reasons given for ledger.invoice_payment_link in 007.
CREATE FUNCTION ledger.adjustment_link(body BYTEA, link TEXT) RETURNS TEXT
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    object JSONB;
BEGIN
    object := convert_from(body, 'UTF8')::jsonb -> 'data' -> 'object';
    RETURN left(coalesce(object -> link ->> 'id', object ->> link), 255);
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;

CREATE INDEX events_adjustment_payment_intent_idx
    ON ledger.events (ledger.adjustment_link(body, 'payment_intent'), position)
    WHERE type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%';
CREATE INDEX events_adjustment_charge_idx
    ON ledger.events (ledger.adjustment_link(body, 'charge'), position)
    WHERE type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%';
