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
    /// `$1` ids of kind `first` (text[]), `$2` ids of kind `second` (text[]), `$3` last position, `$4` most rows:
    /// the positions of the events naming one of them, as the log's key trigger records them in
    /// `ledger.event_links` (migration 020): one index outside the partitions, however many the log has.
    static func selectLinkedPositions(_ first: String, _ second: String) -> String {
        """
        SELECT DISTINCT position FROM ledger.event_links
        WHERE (kind = '\(first)' AND id = ANY($1::text[]) OR kind = '\(second)' AND id = ANY($2::text[]))
          AND position <= $3
        ORDER BY position LIMIT $4
        """
    }
    /// The `invoice_payment.*` events' positions, by invoice (`$1`) or PaymentIntent (`$2`): the
    /// `invoice_payment` objects name no customer, only the invoice and the payment they link.
    static let selectInvoicePaymentPositions = selectLinkedPositions(
        "invoice_payment.invoice", "invoice_payment.payment_intent")
    /// The refund and dispute events' positions, by PaymentIntent (`$1`) or charge (`$2`): Refund and Dispute
    /// objects name no customer, only the intent and the charge they adjust.
    static let selectAdjustmentPositions = selectLinkedPositions("adjustment.payment_intent", "adjustment.charge")
    /// `$1` positions (int8[]), `$2` latest recorded_at: the events at those positions in attached partitions, in
    /// position order. Its generic plan prunes, before it runs, every partition holding none of the positions.
    static let selectEventsAtPositions = """
        SELECT \(eventColumns) FROM ledger.events
        WHERE position = ANY($1::int8[]) AND recorded_at <= $2::timestamptz ORDER BY position
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
        try readLinked(Self.selectInvoicePaymentPositions, invoiceIDs, paymentIntentIDs, through: cut)
    }

    /// The refund and dispute events (`refund.*`, `charge.refund.*`, `charge.dispute.*`) naming one of these
    /// PaymentIntents or charges, in position order, up to `cut`.
    public func readAdjustments(
        paymentIntents paymentIntentIDs: some Collection<String>, charges chargeIDs: some Collection<String>,
        through cut: AuditCut
    ) throws -> [RecordedEvent] {
        try readLinked(Self.selectAdjustmentPositions, paymentIntentIDs, chargeIDs, through: cut)
    }

    /// Every event of one stream, in order, up to `cut`.
    public func readStream(_ streamID: String, through cut: AuditCut) throws -> [RecordedEvent] {
        try readAll { after, limit in
            try connection.cachedStatement(Self.selectStreamEvents).run(
                [streamID, after, cut.position, cut.recordedAtParameter, limit],
                resultFormat: .binary)
        }
    }

    /// The events at the positions `positionsSQL` finds for two id lists, up to `cut`: positions from the index
    /// table first, then the events, ``Limits/readBatchEventsMax`` positions a read. Two prepared statements
    /// whose cost does not grow with the partitions (one plan of the log over every partition would).
    private func readLinked(
        _ positionsSQL: String, _ first: some Collection<String>, _ second: some Collection<String>,
        through cut: AuditCut
    ) throws -> [RecordedEvent] {
        guard !first.isEmpty || !second.isEmpty else { return [] }
        let positions = try connection.cachedStatement(positionsSQL).run([
            PostgresArrayLiteral.make(first), PostgresArrayLiteral.make(second), cut.position,
            Limits.auditEventsMax + 1,
        ]).map { try $0.decode(Int64.self, at: 0) }
        guard positions.count <= Limits.auditEventsMax else { throw AuditTooLarge(eventsMax: Limits.auditEventsMax) }
        var events: [RecordedEvent] = []
        for start in stride(from: 0, to: positions.count, by: Limits.readBatchEventsMax) {
            let batch = positions[start..<min(start + Limits.readBatchEventsMax, positions.count)]
            let rows = try connection.cachedStatement(Self.selectEventsAtPositions).run(
                [PostgresArrayLiteral.make(batch.map(String.init)), cut.recordedAtParameter], resultFormat: .binary)
            for row in rows { events.append(try Self.decodeEvent(row)) }
        }
        return events
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
