import Foundation
import LedgerCore
import LedgerPostgres

/// The projected rows of one subscription, customer or payment as they were at a log position or
/// recorded time: what `ledger state` prints.
///
/// Computed by replaying the customer's own events up to the cut (see ``AuditEvents``), so it costs
/// what that customer's history costs whatever the size of the log, and the rows are the reducer's,
/// with the live projection's license rule applied: a subscription whose license does not exist is
/// shown as parked, as the projection would have it. Licenses are read as they are now.
public struct AuditState: Sendable, Codable {
    public var reference: String
    public var customerID: String?
    /// The cut asked for.
    public var atPosition: Int64?
    public var asOf: String?
    /// How many events were replayed, and the newest of them.
    public var eventsReplayed: Int
    public var lastPosition: Int64?
    public var subscriptions: [AuditRow]
    public var paymentTransactions: [AuditRow]
    public var parked: [ParkedRecord]
    /// The corrections (`ledger correct`) in effect for the objects shown, in log order per object.
    public var corrections: [CorrectionSummary]

    /// Replays the reference's customer through `cut`.
    ///
    /// A position past the log's head is refused (``PositionBeyondHead``): answered, it would look like a
    /// state of the future that the log does not hold yet.
    public static func build(_ reference: AuditReference, cut: AuditCut, connection: PostgresConnection) throws
        -> AuditState
    {
        try refuseBeyondHead(cut, connection: connection)
        let scope = try AuditEvents.read(reference, includePayments: true, cut: cut, connection: connection)
        return try replay(scope, reference: reference, cut: cut, connection: connection)
    }

    /// Throws ``PositionBeyondHead`` when `cut` names a position past the log's head.
    static func refuseBeyondHead(_ cut: AuditCut, connection: PostgresConnection) throws {
        guard cut.position != .max else { return }
        let head = try EventStore(connection: connection).head().position
        guard cut.position <= head else { throw PositionBeyondHead(position: cut.position, head: head) }
    }

    /// The state of `scope`, the events of `reference` (with its payments) read through `cut`.
    static func replay(
        _ scope: AuditEvents, reference: AuditReference, cut: AuditCut, connection: PostgresConnection
    ) throws -> AuditState {
        var state = scope.initialState()
        for event in scope.events { _ = state.apply(event) }
        let all = state.subscriptionRows()
        let existing = try LicenseLookup(connection: connection).existing(Set(all.map(\.licenseID)))
        // Parked at the subscription's newest event within the cut, as the projector would have parked it then.
        var newest: [String: Int64] = [:]
        for event in scope.events {
            if let id = StreamID.key(of: event.streamID, in: .subscription) { newest[id] = event.position }
        }
        let parking = LicenseParking(all, existingLicenses: existing) { newest[$0] ?? 0 }
        let rows = ProjectedRows(state: state, parking: parking)
        let focus = scope.focus
        return AuditState(
            reference: reference.description, customerID: scope.customerID,
            atPosition: cut.position == .max ? nil : cut.position, asOf: cut.recordedAt?.description,
            eventsReplayed: scope.events.count, lastPosition: scope.events.last?.position,
            subscriptions: rows.subscriptions.filter { focus.covers(.subscription($0.stripeSubscriptionID), in: state) }
                .map { AuditRow($0.columnValues) },
            paymentTransactions: rows.payments.filter { focus.covers(.payment($0.stripePaymentIntentID), in: state) }
                .map { AuditRow($0.columnValues) },
            parked: rows.parked.filter { focus.coversObject($0.objectID, in: state) },
            corrections: state.correctedObjects.filter { focus.covers($0, in: state) }
                .flatMap { state.corrections(of: $0) }.map(CorrectionSummary.init))
    }
}

/// One projected row, column by column, in table order.
public struct AuditRow: Sendable, Codable, Equatable {
    public var columns: [ColumnValue]

    public init(_ columns: [ColumnValue]) { self.columns = columns }

    /// The value of `column`, nil when NULL or absent.
    public subscript(column: String) -> String? { columns.first { $0.column == column }?.value ?? nil }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A JSON object of column → value (`null` for NULL), each typed as its column's kind in
    /// ``StateExportTable`` (amounts numbers, flags booleans, `metadata` an object, everything else a string), so
    /// a row has the same JSON types wherever it is shown: replayed here, live in the read API, or exported.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for column in columns {
            try container.encode(Self.typed(column), forKey: Key(stringValue: column.column))
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        columns = try container.allKeys.map { key in
            switch try container.decode(JSONTree.self, forKey: key) {
            case .null: ColumnValue(key.stringValue, nil)
            case .string(let text): ColumnValue(key.stringValue, text)
            case .bool(let value): ColumnValue(key.stringValue, String(value))
            case .integer(let value): ColumnValue(key.stringValue, String(value))
            case let other: ColumnValue(key.stringValue, other.compactText)
            }
        }
    }

    /// The kind of every column of the two projected tables (no name has two kinds).
    static let kinds: [String: StateExportTable.Kind] = Dictionary(
        (StateExportTable.subscriptions.columns + StateExportTable.paymentTransactions.columns).map {
            ($0.name, $0.kind)
        }, uniquingKeysWith: { first, _ in first })

    /// A column's text form as its kind's JSON value; text that does not parse as its kind stays a string.
    static func typed(_ column: ColumnValue) -> JSONTree {
        guard let value = column.value else { return .null }
        switch kinds[column.column] ?? .text {
        case .text: return .string(value)
        case .integer: return Int64(value).map(JSONTree.integer) ?? .string(value)
        case .boolean: return Bool(value).map(JSONTree.bool) ?? .string(value)
        case .json: return (try? JSONTree(parsing: value)) ?? .string(value)
        }
    }
}

extension AuditFocus {
    /// Whether a parked record's object (a Stripe id, or `position:N`) is covered.
    func coversObject(_ objectID: String, in state: ProjectionState) -> Bool {
        if case .customer = self { return true }
        return covers(.subscription(objectID), in: state) || covers(.payment(objectID), in: state)
    }
}
