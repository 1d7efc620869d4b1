import Foundation
import LedgerCore

/// A piece of what a snapshot holds, as ``SnapshotContent`` hands it to the writer.
public enum SnapshotBatch: Sendable {
    /// Rows of one table, in key order, each row's values in column order.
    case rows(SnapshotContent.Table, [[SQLiteValue]])
    /// The last batch: every table's row count and the content digest of all rows sent.
    case end(SnapshotContent.Summary)
}

/// Runs a producer of ``SnapshotBatch``es and hands each one, in order, to a consumer on the calling thread.
///
/// The engine's implementation runs the producer on a thread of its own (computing and encoding rows
/// overlaps SQLite's inserts); ``InlineSnapshotPipe`` runs both on the caller's thread.
public protocol SnapshotBatchPipe {
    /// Returns once `produce` has ended and `consume` has taken every batch; throws the first error of either.
    func run(
        _ produce: @escaping @Sendable (_ send: (SnapshotBatch) throws -> Void) throws -> Void,
        consume: (SnapshotBatch) throws -> Void
    ) throws
}

/// Produces and consumes on the calling thread, one batch at a time.
public struct InlineSnapshotPipe: SnapshotBatchPipe {
    public init() {}

    public func run(
        _ produce: @escaping @Sendable (_ send: (SnapshotBatch) throws -> Void) throws -> Void,
        consume: (SnapshotBatch) throws -> Void
    ) throws {
        try produce { try consume($0) }
    }
}

/// The rows of a snapshot, computed from a state table by table in the digest's order, each table sorted
/// by its key as SQLite's BINARY collation orders it (UTF-8 bytes), and digested as they are sent.
///
/// Key order makes every insert into a `WITHOUT ROWID` table an append to its B-tree, and lets the
/// digest be computed from the values themselves: they are the rows ``ContentDigest/compute(_:)``
/// reads back, in the order it reads them, because each value is bound to a column of its own
/// storage class (integers to INTEGER, text to TEXT, bytes to BLOB), which SQLite stores unchanged.
public struct SnapshotContent: Sendable {
    /// The digested tables, in digest order (``SnapshotSchema/digestedTables``).
    public enum Table: Int, Sendable, CaseIterable {
        case subscriptions, paymentTransactions, parked, reducerState, mrrMovements

        var name: String { SnapshotSchema.digestedTables[rawValue].name }
        var columnCount: Int {
            switch self {
            case .subscriptions: 18
            case .paymentTransactions: 14
            case .parked: 4
            case .reducerState: 3
            case .mrrMovements: 9
            }
        }
    }

    /// What the last batch says about all the others.
    public struct Summary: Sendable {
        /// Rows per table, in ``Table`` order.
        public var counts: [Int]
        public var contentDigest: String
    }

    /// Rows per batch: large enough that a hand-off between threads costs nothing per row, small enough
    /// that a few queued batches stay a few megabytes.
    static let batchRowsMax = 4096

    let state: LedgerProjections

    public init(_ state: LedgerProjections) {
        self.state = state
    }

    /// Computes every table's rows and sends them in batches, then the summary.
    ///
    /// The reducer records, most of the rows, are encoded one at a time as they are batched, so the
    /// consumer inserts a batch while the next is encoded rather than waiting for the whole table.
    public func produce(_ send: (SnapshotBatch) throws -> Void) throws {
        var hasher = ContentDigest.Hasher()
        var counts: [Int] = []
        for table in Table.allCases {
            hasher.beginTable(table.name)
            var batch: [[SQLiteValue]] = []
            batch.reserveCapacity(Self.batchRowsMax)
            var count = 0
            try forEachRow(of: table) { row in
                hasher.append(row: row)
                batch.append(row)
                count += 1
                guard batch.count == Self.batchRowsMax else { return }
                try send(.rows(table, batch))
                batch.removeAll(keepingCapacity: true)
            }
            if !batch.isEmpty { try send(.rows(table, batch)) }
            counts.append(count)
        }
        try send(.end(Summary(counts: counts, contentDigest: hasher.finalize())))
    }

    /// Calls `body` with one table's rows in key order.
    func forEachRow(of table: Table, _ body: ([SQLiteValue]) throws -> Void) throws {
        let billing = state.billing
        switch table {
        case .subscriptions:
            // The key is the first value, the lower-case UUID.
            try Self.sortedByText(billing.subscriptionRows().map { ($0.id.uuidString.lowercased(), $0) }) {
                SnapshotSchema.values($1)
            }.forEach(body)
        case .paymentTransactions:
            try Self.sortedByText(billing.paymentRows().map { ($0.id.uuidString.lowercased(), $0) }) {
                SnapshotSchema.values($1)
            }.forEach(body)
        case .parked:
            try Self.sortedByText(billing.parked.map { ($0.key.snapshotKey, $0.value) }) { key, event in
                [.text(key), .integer(event.position), .text(event.eventType), .text(event.reason.description)]
            }.forEach(body)
        case .reducerState:
            // The reducer emits (kind, key) byte order; the digest and the B-tree appends rely on it, so a
            // record out of order is the reducer's bug, not a file to write.
            var previous: ReducerRecord?
            try billing.forEachReducerRecord { record in
                if let previous {
                    precondition(Self.recordOrder(previous, record), "reducer records out of (kind, key) order")
                }
                previous = record
                try body([.text(record.kind.rawValue), .text(record.key), .blob(record.state)])
            }
        case .mrrMovements:
            var movements = state.mrr.movements
            // Log order; within one position the key's text columns decide, as SQLite compares them.
            if !movements.isSorted(by: Self.movementOrder) { movements.sort(by: Self.movementOrder) }
            try movements.lazy.map(SnapshotSchema.values).forEach(body)
        }
    }

    /// The elements sorted by their keys' bytes, each made a row by `row` (which gets the key too).
    private static func sortedByText<Element>(
        _ keyed: [(key: String, element: Element)], _ row: (String, Element) -> [SQLiteValue]
    ) -> [[SQLiteValue]] {
        keyed.sorted { precedes($0.key, $1.key) }.map { row($0.key, $0.element) }
    }

    /// SQLite's BINARY collation: UTF-8 bytes, a prefix first.
    static func precedes(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    static func recordOrder(_ a: ReducerRecord, _ b: ReducerRecord) -> Bool {
        a.kind.rawValue == b.kind.rawValue ? precedes(a.key, b.key) : precedes(a.kind.rawValue, b.kind.rawValue)
    }

    static func movementOrder(_ a: MRRMovement, _ b: MRRMovement) -> Bool {
        if a.sourcePosition != b.sourcePosition { return a.sourcePosition < b.sourcePosition }
        if a.stripeSubscriptionID != b.stripeSubscriptionID {
            return precedes(a.stripeSubscriptionID, b.stripeSubscriptionID)
        }
        return precedes(a.kind.rawValue, b.kind.rawValue)
    }
}

extension Array {
    func isSorted(by precedes: (Element, Element) -> Bool) -> Bool {
        zip(self, dropFirst()).allSatisfy { !precedes($1, $0) }
    }
}
