-- 020_event_links (down): the link indexes of 007 and 014 on ledger.events again (built over every attached
-- partition; a detached one gets them when it is attached), the key trigger of 018, and no ledger.event_links.
SELECT position FROM ledger.head FOR UPDATE;

CREATE OR REPLACE FUNCTION ledger.record_event_keys() RETURNS trigger
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

DROP TABLE ledger.event_links;
DROP FUNCTION ledger.links_of_event(TEXT, BYTEA);

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
