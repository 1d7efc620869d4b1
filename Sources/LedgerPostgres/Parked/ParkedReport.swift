import Foundation
import LedgerCore

/// `ledger.parked` grouped by the kind of reason, with each group's objects and its fix: what
/// `ledger parked` prints and `GET /v1/parked` answers.
public struct ParkedReport: Sendable, Equatable, Codable {
    /// One parked object.
    public struct Object: Sendable, Equatable, Codable {
        public var projection: String
        /// The Stripe id (`sub_…`, `pi_…`), or `position:N` for an event whose object is unknown.
        public var objectID: String
        /// The event that parked it (for a missing license: the subscription's newest event).
        public var position: Int64
        public var eventType: String
        public var reason: String
    }

    /// The objects parked for one kind of reason.
    public struct Group: Sendable, Equatable, Codable {
        public var kind: ParkedReasonKind
        /// Every object of this kind (``objects`` lists at most ``Limits/parkedObjectsListedMax``).
        public var count: Int
        public var fix: [String]
        /// In log order.
        public var objects: [Object]
    }

    /// Parked objects matching the filter, over every group.
    public var total: Int
    /// The groups, largest first (then by kind).
    public var groups: [Group]

    /// No parameters: every parked object in log order.
    static let selectParked = """
        SELECT projection, object_id, position, event_type, reason FROM ledger.parked
        ORDER BY position, object_id, projection
        """

    /// Reads `ledger.parked`; with `reason`, only the objects whose kind is `reason` or whose reason text
    /// contains it (case-insensitive).
    ///
    /// Every row is read (one per parked object, each reason at most a few hundred bytes): the kind is
    /// known only once the text is read, and the counts must be exact.
    public static func read(_ connection: PostgresConnection, reason filter: String? = nil) throws -> ParkedReport {
        let rows = try connection.query(selectParked)
        var groups: [ParkedReasonKind: Group] = [:]
        var total = 0
        for row in rows {
            let object = Object(
                projection: try row.decode(at: 0), objectID: try row.decode(at: 1), position: try row.decode(at: 2),
                eventType: try row.decode(at: 3), reason: try row.decode(at: 4))
            let kind = ParkedReasonKind(eventType: object.eventType, reason: object.reason)
            guard matches(filter, kind: kind, reason: object.reason) else { continue }
            total += 1
            let empty = Group(kind: kind, count: 0, fix: kind.fix, objects: [])
            groups[kind, default: empty].count += 1
            if groups[kind, default: empty].objects.count < Limits.parkedObjectsListedMax {
                groups[kind, default: empty].objects.append(object)
            }
        }
        let sorted = groups.values.sorted { ($1.count, $0.kind) < ($0.count, $1.kind) }
        return ParkedReport(total: total, groups: sorted)
    }

    private static func matches(_ filter: String?, kind: ParkedReasonKind, reason: String) -> Bool {
        guard let filter, !filter.isEmpty else { return true }
        return kind.rawValue == filter || reason.range(of: filter, options: .caseInsensitive) != nil
    }
}

extension Limits {
    /// Objects `ledger parked` and `GET /v1/parked` list per kind of reason; the count is always exact.
    public static let parkedObjectsListedMax = 1_000
}
