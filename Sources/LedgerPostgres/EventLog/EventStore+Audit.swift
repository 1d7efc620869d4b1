import Foundation
import LedgerCore

/// Where an audit stops reading the log: at a position, at a recorded time, or both.
public struct AuditCut: Sendable, Hashable {
    /// The last position to include.
    public var position: Int64
    /// The latest `recorded_at` to include, nil for no time limit.
    public var recordedAt: EventTime?

    public init(position: Int64 = .max, recordedAt: EventTime? = nil) {
        self.position = position
        self.recordedAt = recordedAt
    }

    /// The whole log.
    public static let everything = AuditCut()

    /// The time bound as a `timestamptz` parameter (`infinity` when there is none).
    var recordedAtParameter: String { recordedAt?.description ?? "infinity" }
}

extension EventStore {
    /// `$1` stream id; answers the customer the stream's first event names, if any does.
    static let selectCustomerOfStream = """
        SELECT customer_id FROM ledger.events
        WHERE stream_id = $1 AND customer_id IS NOT NULL ORDER BY stream_version LIMIT 1
        """
    /// `$1` customer id, `$2` position to read after, `$3` last position, `$4` latest recorded_at, `$5` most rows.
    /// Served by `events_customer_id_idx` (migration 007).
    static let selectCustomerEvents = """
        SELECT \(eventColumns) FROM ledger.events
        WHERE customer_id = $1 AND position > $2 AND position <= $3 AND recorded_at <= $4::timestamptz
        ORDER BY customer_id, position LIMIT $5
        """
    /// `$1` invoice ids (text[]), `$2` PaymentIntent ids (text[]), `$3` position to read after, `$4` last
    /// position, `$5` latest recorded_at, `$6` most rows. The `invoice_payment` objects name no customer, only
    /// the invoice and the payment they link: served by `events_invoice_payment_invoice_idx` and
    /// `events_invoice_payment_intent_idx` (migration 007), whose expressions and predicate this must repeat.
    ///
    /// Planned at each call, never prepared: a generic plan knows neither the ids nor the position range, and
    /// on the partitioned log it chose to walk partitions' primary keys and filter every event in them (0.2 s
    /// to 0.5 s a read at 250k events in 4 to 16 partitions, against 0.2 ms through the link indexes). For the
    /// same reason the matching events are gathered first (a MATERIALIZED CTE) and ordered after, so no plan
    /// can take `ORDER BY position LIMIT $6` as a reason to read the log in position order.
    static let selectInvoicePaymentEvents = """
        WITH matched AS MATERIALIZED (
            SELECT \(eventColumns) FROM ledger.events
            WHERE type LIKE 'invoice\\_payment.%'
              AND (ledger.invoice_payment_link(body, 'invoice') = ANY($1::text[])
                   OR ledger.invoice_payment_link(body, 'payment_intent') = ANY($2::text[]))
              AND position > $3 AND position <= $4 AND recorded_at <= $5::timestamptz)
        SELECT \(eventColumns) FROM matched ORDER BY position LIMIT $6
        """
    /// `$1` PaymentIntent ids (text[]), `$2` charge ids (text[]), `$3` position to read after, `$4` last position,
    /// `$5` latest recorded_at, `$6` most rows. Refund and Dispute objects name no customer, only the intent and
    /// the charge they adjust: served by `events_adjustment_payment_intent_idx` and `events_adjustment_charge_idx`
    /// (migration 014), whose expressions and predicate this must repeat. Planned at each call, gathered first
    /// and ordered after, as ``selectInvoicePaymentEvents`` is.
    static let selectAdjustmentEvents = """
        WITH matched AS MATERIALIZED (
            SELECT \(eventColumns) FROM ledger.events
            WHERE (type LIKE 'refund.%' OR type LIKE 'charge.refund.%' OR type LIKE 'charge.dispute.%')
              AND (ledger.adjustment_link(body, 'payment_intent') = ANY($1::text[])
                   OR ledger.adjustment_link(body, 'charge') = ANY($2::text[]))
              AND position > $3 AND position <= $4 AND recorded_at <= $5::timestamptz)
        SELECT \(eventColumns) FROM matched ORDER BY position LIMIT $6
        """
    /// `$1` stream id, `$2` position to read after, `$3` last position, `$4` latest recorded_at, `$5` most rows.
    static let selectStreamEvents = """
        SELECT \(eventColumns) FROM ledger.events
        WHERE stream_id = $1 AND position > $2 AND position <= $3 AND recorded_at <= $4::timestamptz
        ORDER BY stream_id, stream_version LIMIT $5
        """

    /// `$1` stream id.
    static let selectStreamExists = "SELECT EXISTS (SELECT 1 FROM ledger.events WHERE stream_id = $1)"
    /// `$1` customer id.
    static let selectCustomerExists = "SELECT EXISTS (SELECT 1 FROM ledger.events WHERE customer_id = $1)"

    /// Whether the log has any event of `streamID`.
    public func hasEvents(inStream streamID: String) throws -> Bool {
        try connection.cachedStatement(Self.selectStreamExists).run([streamID])[0].decode(Bool.self, at: 0)
    }

    /// Whether any event names `customerID`.
    public func hasEvents(ofCustomer customerID: String) throws -> Bool {
        try connection.cachedStatement(Self.selectCustomerExists).run([customerID])[0].decode(Bool.self, at: 0)
    }

    /// The customer named by the first event of `streamID` that names one.
    public func customer(ofStream streamID: String) throws -> String? {
        try connection.cachedStatement(Self.selectCustomerOfStream).run([streamID]).first?.decode(String.self, at: 0)
    }

    /// Every event naming `customerID`, in position order, up to `cut`.
    public func readCustomer(_ customerID: String, through cut: AuditCut) throws -> [RecordedEvent] {
        try readAll { after, limit in
            try connection.cachedStatement(Self.selectCustomerEvents).run(
                [customerID, after, cut.position, cut.recordedAtParameter, limit],
                resultFormat: .binary)
        }
    }

    /// The `invoice_payment.*` events naming one of these invoices or PaymentIntents, in position order, up to `cut`.
    public func readInvoicePayments(
        invoices invoiceIDs: some Collection<String>, paymentIntents paymentIntentIDs: some Collection<String>,
        through cut: AuditCut
    ) throws -> [RecordedEvent] {
        guard !invoiceIDs.isEmpty || !paymentIntentIDs.isEmpty else { return [] }
        let invoices = PostgresArrayLiteral.make(Array(invoiceIDs))
        let intents = PostgresArrayLiteral.make(Array(paymentIntentIDs))
        return try readAll { after, limit in
            try connection.query(
                Self.selectInvoicePaymentEvents,
                [invoices, intents, after, cut.position, cut.recordedAtParameter, limit],
                resultFormat: .binary)
        }
    }

    /// The refund and dispute events (`refund.*`, `charge.refund.*`, `charge.dispute.*`) naming one of these
    /// PaymentIntents or charges, in position order, up to `cut`.
    public func readAdjustments(
        paymentIntents paymentIntentIDs: some Collection<String>, charges chargeIDs: some Collection<String>,
        through cut: AuditCut
    ) throws -> [RecordedEvent] {
        guard !paymentIntentIDs.isEmpty || !chargeIDs.isEmpty else { return [] }
        let intents = PostgresArrayLiteral.make(Array(paymentIntentIDs))
        let charges = PostgresArrayLiteral.make(Array(chargeIDs))
        return try readAll { after, limit in
            try connection.query(
                Self.selectAdjustmentEvents, [intents, charges, after, cut.position, cut.recordedAtParameter, limit],
                resultFormat: .binary)
        }
    }

    /// Every event of one stream, in order, up to `cut`.
    public func readStream(_ streamID: String, through cut: AuditCut) throws -> [RecordedEvent] {
        try readAll { after, limit in
            try connection.cachedStatement(Self.selectStreamEvents).run(
                [streamID, after, cut.position, cut.recordedAtParameter, limit],
                resultFormat: .binary)
        }
    }

    /// Pages through a position-ordered query, ``Limits/readBatchEventsMax`` rows a page, up to
    /// ``Limits/auditEventsMax`` events in all.
    private func readAll(_ page: (_ after: Int64, _ limit: Int) throws -> QueryResult) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var after: Int64 = 0
        while true {
            let rows = try page(after, Limits.readBatchEventsMax)
            for row in rows { events.append(try Self.decodeEvent(row)) }
            guard rows.count == Limits.readBatchEventsMax, let last = events.last else { return events }
            guard events.count < Limits.auditEventsMax else {
                throw AuditTooLarge(eventsMax: Limits.auditEventsMax)
            }
            after = last.position
        }
    }
}

/// An audit whose events would exceed ``Limits/auditEventsMax``: it is refused rather than read into memory.
public struct AuditTooLarge: Error, Sendable, CustomStringConvertible {
    public var eventsMax: Int

    public var description: String {
        "the audit would read more than \(eventsMax) events; narrow it (a subscription instead of a customer, "
            + "or an earlier --at-position)"
    }
}
