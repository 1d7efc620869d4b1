import Foundation
import LedgerCore

extension PostgresError {
    /// True when the server refused a statement for the values it carried — a data exception (class 22),
    /// an integrity constraint (23) or a program limit such as an index row too large (54) — rather than
    /// for the connection, the disk or a conflict, which retrying may cure.
    public var isDataRefusal: Bool {
        guard kind == .server, let sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("23") || sqlState.hasPrefix("54")
    }
}

/// The rows PostgreSQL refuses, by row id, each with the server's message.
public struct RefusedRows: Sendable, Equatable {
    public var subscriptions: [UUID: String] = [:]
    public var payments: [UUID: String] = [:]

    public var isEmpty: Bool { subscriptions.isEmpty && payments.isEmpty }
}

extension ProjectionWriter {
    /// Finds which of `subscriptions` and `payments` PostgreSQL refuses by themselves: each is copied into
    /// a probe table with the live table's columns, NOT NULLs and CHECKs (not its foreign keys, which
    /// name other rows rather than this one's values), bisecting within savepoints so one refused row
    /// costs about log₂(n) copies. Runs in its own transaction and rolls it back: nothing is written.
    ///
    /// The last line of "poison never stops anything": the reducer checks every constraint it knows
    /// (``ProjectedTable``); this finds what it did not, so the projector can park those objects alone.
    public func refusedRows(
        subscriptions: [SubscriptionRow], payments: [PaymentTransactionRow]
    ) throws -> RefusedRows {
        precondition(!connection.isInTransaction, "refusedRows runs in a transaction of its own")
        var refused = RefusedRows()
        try connection.execute("BEGIN")
        defer { if connection.isOpen { try? connection.execute("ROLLBACK") } }
        try connection.execute(Self.createProbes)
        try bisect(subscriptions, into: Self.subscriptionsProbe, fields: Self.fields(of:)) {
            refused.subscriptions[$0.id] = $1
        }
        try bisect(payments, into: Self.paymentsProbe, fields: Self.fields(of:)) { refused.payments[$0.id] = $1 }
        return refused
    }

    /// Copies `rows` in one savepoint; on a data refusal, halves them until single rows name themselves.
    private func bisect<Row>(
        _ rows: ArraySlice<Row>, into copy: String, fields: (Row) -> [CopyBinaryField],
        refused: (Row, String) -> Void
    ) throws {
        guard !rows.isEmpty else { return }
        try connection.execute("SAVEPOINT probe")
        do {
            _ = try connection.copyIn(copy, format: .binary) { writer in
                for row in rows { try writer.writeBinaryRow(fields(row)) }
            }
            try connection.execute("RELEASE SAVEPOINT probe")
        } catch let error as PostgresError where error.isDataRefusal {
            try connection.execute("ROLLBACK TO SAVEPOINT probe")
            try connection.execute("RELEASE SAVEPOINT probe")
            if rows.count == 1, let row = rows.first {
                refused(row, error.message)
                return
            }
            let middle = rows.startIndex + rows.count / 2
            try bisect(rows[..<middle], into: copy, fields: fields, refused: refused)
            try bisect(rows[middle...], into: copy, fields: fields, refused: refused)
        }
    }

    private func bisect<Row>(
        _ rows: [Row], into copy: String, fields: (Row) -> [CopyBinaryField], refused: (Row, String) -> Void
    ) throws {
        try bisect(rows[...], into: copy, fields: fields, refused: refused)
    }

    /// No parameters: probe tables shaped and checked like the live ones, gone with the transaction.
    static let createProbes = """
        CREATE TEMP TABLE probe_subscriptions (LIKE public.subscriptions INCLUDING CONSTRAINTS) ON COMMIT DROP;
        CREATE TEMP TABLE probe_payment_transactions (LIKE public.payment_transactions INCLUDING CONSTRAINTS)
            ON COMMIT DROP;
        """
    static let subscriptionsProbe = probeCopy(.subscriptions)
    static let paymentsProbe = probeCopy(.paymentTransactions)

    /// `COPY probe_<table>` with the columns in the order rows are copied (``ProjectedTable``'s).
    static func probeCopy(_ table: LedgerCore.ProjectedTable) -> String {
        "COPY probe_\(table.rawValue) (\(table.columns.map(\.name).joined(separator: ", "))) FROM STDIN (FORMAT binary)"
    }
}
