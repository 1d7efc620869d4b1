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
    // Every audit read finds its events outside the partitions of the log (migration 019, docs/0018):
    // `ledger.event_keys` gives a stream's positions and `ledger.event_references` those of the events naming
    // a customer, an invoice, a PaymentIntent or a charge, each in one index; each event is then fetched by
    // position from the one partition holding it (run-time pruning of the join's inner side). Read from
    // `ledger.events` alone, every read asked each attached partition's index (~0.2 ms a partition). Joining
    // to the log keeps what these reads see: the events of attached partitions only. All are prepared once
    // per connection: their generic plans are these nested loops, whatever the ids.

    /// `$1` stream id; answers the customer the stream's first event names, if any does.
    static let selectCustomerOfStream = """
        SELECT e.customer_id FROM ledger.event_keys AS k JOIN ledger.events AS e ON e.position = k.position
        WHERE k.stream_id = $1 AND e.customer_id IS NOT NULL ORDER BY k.stream_version LIMIT 1
        """
    /// `$1` customer id, `$2` position to read after, `$3` last position, `$4` latest recorded_at, `$5` most rows.
    /// Each event is fetched through its partition's `events_customer_id_idx` (customer, position): one
    /// customer's events share its leaf pages, where the primary key would read a leaf page per event.
    static let selectCustomerEvents = """
        SELECT \(joinedEventColumns)
        FROM ledger.event_references AS r
        JOIN ledger.events AS e ON e.customer_id = r.id AND e.position = r.position
        WHERE r.kind = 'customer' AND r.id = $1 AND r.position > $2 AND r.position <= $3
          AND e.recorded_at <= $4::timestamptz
        ORDER BY r.position LIMIT $5
        """
    /// `$1` invoice ids (text[]), `$2` PaymentIntent ids (text[]), `$3` position to read after, `$4` last
    /// position, `$5` latest recorded_at, `$6` most rows. The `invoice_payment` objects name no customer, only
    /// the invoice and the payment they link. An event found by both ends is read once (`IN`).
    static let selectInvoicePaymentEvents = """
        SELECT \(joinedEventColumns) FROM ledger.events AS e
        WHERE e.position IN (
                SELECT r.position FROM ledger.event_references AS r
                WHERE (r.kind = 'invoice_payment.invoice' AND r.id = ANY($1::text[])
                       OR r.kind = 'invoice_payment.payment_intent' AND r.id = ANY($2::text[]))
                  AND r.position > $3 AND r.position <= $4)
          AND e.recorded_at <= $5::timestamptz
        ORDER BY e.position LIMIT $6
        """
    /// `$1` PaymentIntent ids (text[]), `$2` charge ids (text[]), `$3` position to read after, `$4` last position,
    /// `$5` latest recorded_at, `$6` most rows. Refund and Dispute objects (`refund.*`, `charge.refund.*`,
    /// `charge.dispute.*`) name no customer, only the intent and the charge they adjust.
    static let selectAdjustmentEvents = """
        SELECT \(joinedEventColumns) FROM ledger.events AS e
        WHERE e.position IN (
                SELECT r.position FROM ledger.event_references AS r
                WHERE (r.kind = 'adjustment.payment_intent' AND r.id = ANY($1::text[])
                       OR r.kind = 'adjustment.charge' AND r.id = ANY($2::text[]))
                  AND r.position > $3 AND r.position <= $4)
          AND e.recorded_at <= $5::timestamptz
        ORDER BY e.position LIMIT $6
        """
    /// `$1` stream id, `$2` position to read after, `$3` last position, `$4` latest recorded_at, `$5` most rows.
    static let selectStreamEvents = """
        SELECT \(joinedEventColumns)
        FROM ledger.event_keys AS k JOIN ledger.events AS e ON e.position = k.position
        WHERE k.stream_id = $1 AND k.position > $2 AND k.position <= $3 AND e.recorded_at <= $4::timestamptz
        ORDER BY k.stream_id, k.stream_version LIMIT $5
        """

    /// `$1` stream id.
    static let selectStreamExists = """
        SELECT EXISTS (SELECT 1 FROM ledger.event_keys AS k JOIN ledger.events AS e ON e.position = k.position
                       WHERE k.stream_id = $1)
        """
    /// `$1` customer id.
    static let selectCustomerExists = """
        SELECT EXISTS (SELECT 1 FROM ledger.event_references AS r JOIN ledger.events AS e ON e.position = r.position
                       WHERE r.kind = 'customer' AND r.id = $1)
        """

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
            try connection.cachedStatement(Self.selectInvoicePaymentEvents).run(
                [invoices, intents, after, cut.position, cut.recordedAtParameter, limit], resultFormat: .binary)
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
            try connection.cachedStatement(Self.selectAdjustmentEvents).run(
                [intents, charges, after, cut.position, cut.recordedAtParameter, limit], resultFormat: .binary)
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
