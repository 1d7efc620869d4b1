import Foundation
import LedgerCore
import LedgerPostgres

/// Every event of one subscription, customer or payment, in log order, with what the projection
/// did with it and the columns of the projected rows it changed: what `ledger history` prints.
public struct AuditHistory: Sendable, Codable {
    public var reference: String
    /// The customer whose events were replayed (nil when the object's events name none).
    public var customerID: String?
    public var entries: [HistoryEntry]
    /// What the reader should know about the rows: a missing license, an object left parked.
    public var notes: [String]

    /// Replays the reference's customer from the first event (see ``AuditEvents``) and keeps the events it is about.
    public static func build(
        _ reference: AuditReference, includePayments: Bool, connection: PostgresConnection
    ) throws -> AuditHistory {
        let scope = try AuditEvents.read(
            reference, includePayments: includePayments, cut: .everything, connection: connection)
        return try replay(scope, reference: reference, connection: connection)
    }

    /// The history of `scope`, the events of `reference` read through the whole log.
    static func replay(_ scope: AuditEvents, reference: AuditReference, connection: PostgresConnection) throws
        -> AuditHistory
    {
        var state = scope.initialState()
        var rows: [ProjectionObjectKey: [ColumnValue]] = [:]
        var replayed: [(event: RecordedEvent, outcome: ApplyOutcome, subject: EventSubject, changes: [RowChange])] = []
        for event in scope.events {
            let outcome = state.apply(event)
            var changes: [RowChange] = []
            for key in state.takeChangedObjects().sorted() {
                let new = state.columnValues(of: key)
                let columns = ColumnChange.between(rows[key], new)
                rows[key] = new
                if !columns.isEmpty, let change = RowChange(key, columns) { changes.append(change) }
            }
            replayed.append((event, outcome, state.subject(of: event), changes))
        }
        // Which rows are covered is decided on the final state: a payment linked to the subscription
        // by a later invoice shows its whole history, from its first event. So is what an event is about:
        // a refund or dispute naming only a charge that a later charge event ties to its intent is about
        // that payment, though it changed no row when it was applied.
        let covered = Set(rows.keys.filter { scope.focus.covers($0, in: state) })
        let entries = replayed.compactMap { event, outcome, then, changes -> HistoryEntry? in
            let shown = changes.filter { covered.contains($0.key) }
            let finally = state.subject(of: event)
            let subject = EventSubject(
                subscriptionID: then.subscriptionID ?? finally.subscriptionID,
                paymentIntentIDs: then.paymentIntentIDs.union(finally.paymentIntentIDs))
            let about =
                scope.focus.shows(event, subject: subject)
                || subject.paymentIntentIDs.contains { covered.contains(.payment($0)) }
            guard about || !shown.isEmpty else { return nil }
            return HistoryEntry(event, outcome: outcome, changes: shown)
        }
        let notes = try Self.notes(state, focus: scope.focus, connection: connection)
        return AuditHistory(
            reference: reference.description, customerID: scope.customerID, entries: entries, notes: notes)
    }

    /// Covered objects still parked, and covered subscriptions whose license does not exist (the live
    /// projection parks those rows).
    static func notes(_ state: ProjectionState, focus: AuditFocus, connection: PostgresConnection) throws -> [String] {
        var notes: [String] = []
        for (key, parked) in state.parked.sorted(by: { $0.key < $1.key }) where focus.covers(key, in: state) {
            notes.append(
                "\(key.objectName) is parked at position \(parked.position) (\(parked.eventType)): \(parked.reason)")
        }
        let subscriptions = state.subscriptionRows().filter {
            focus.covers(.subscription($0.stripeSubscriptionID), in: state)
        }
        let existing = try LicenseLookup(connection: connection).existing(Set(subscriptions.map(\.licenseID)))
        for row in subscriptions where !existing.contains(row.licenseID) {
            notes.append(
                "license \(row.licenseID.uuidString.lowercased()) of \(row.stripeSubscriptionID) does not exist in "
                    + "licenses: the live projection parks this subscription until it does")
        }
        return notes
    }
}

/// One event of a history.
public struct HistoryEntry: Sendable, Codable {
    /// What the projection did with the event.
    public enum Outcome: String, Sendable, Codable {
        case applied, ignored, parked
    }

    public var position: Int64
    public var occurredAt: String
    public var recordedAt: String
    public var type: String
    public var source: String
    public var sourceEventID: String?
    public var stream: String
    public var outcome: Outcome
    /// Why an event was ignored or parked.
    public var reason: String?
    /// For a correction (`ledger correct`): what it sets, who decided and why.
    public var correction: CorrectionSummary?
    /// The covered rows the event changed, column by column.
    public var changes: [RowChange]

    init(_ event: RecordedEvent, outcome: ApplyOutcome, changes: [RowChange]) {
        position = event.position
        occurredAt = event.occurredAt.description
        recordedAt = event.recordedAt.description
        type = event.type
        source = event.source
        sourceEventID = event.sourceEventID
        stream = event.streamID
        correction = CorrectionSummary(event: event)
        self.changes = changes
        switch outcome {
        case .applied: self.outcome = .applied
        case .ignored(let why):
            self.outcome = .ignored
            reason = why.description
        case .parked(let why):
            self.outcome = .parked
            reason = why.description
        }
    }
}

/// The columns one event changed in one projected row.
public struct RowChange: Sendable, Codable {
    /// `subscriptions` or `payment_transactions`.
    public var table: String
    /// The Stripe id of the row's object (`sub_…`, `pi_…`).
    public var object: String
    public var columns: [ColumnChange]

    var key: ProjectionObjectKey {
        table == "subscriptions" ? .subscription(object) : .payment(object)
    }

    init?(_ key: ProjectionObjectKey, _ columns: [ColumnChange]) {
        switch key {
        case .subscription(let id): (table, object) = ("subscriptions", id)
        case .payment(let id): (table, object) = ("payment_transactions", id)
        case .event: return nil
        }
        self.columns = columns
    }
}

extension ProjectionState {
    /// The projected row of `key` as audit columns, nil when the object has no valid row.
    func columnValues(of key: ProjectionObjectKey) -> [ColumnValue]? {
        switch key {
        case .subscription(let id): subscriptionRow(stripeID: id)?.columnValues
        case .payment(let id): paymentRow(paymentIntentID: id)?.columnValues
        case .event: nil
        }
    }
}

extension ProjectionObjectKey {
    /// The object as reports name it: `sub_…`, `pi_…`, or `event at position N`.
    var objectName: String {
        switch self {
        case .subscription(let id), .payment(let id): id
        case .event(let position): "the event at position \(position)"
        }
    }
}
