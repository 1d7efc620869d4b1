import Foundation
import LedgerCore

/// One row that differs between a live projected table and the rows the log implies.
public struct RowDifference: Sendable, Equatable, Codable {
    /// How the live row differs.
    public enum Kind: String, Sendable, Codable {
        /// The log implies the row; the live table does not have it.
        case missing
        /// The live table has a row the log does not imply.
        case extra
        /// Both have the row; some columns differ.
        case changed
    }

    /// The row's `id`, lower-case as PostgreSQL prints it.
    public var id: String
    /// The row's Stripe id (subscription or payment intent), for people reading the report.
    public var stripeID: String?
    public var kind: Kind
    /// The columns whose values differ (changed rows; empty for missing and extra ones).
    public var columns: [String]
    /// Live values: those of `columns` for a changed row, the whole row for an extra one, nil for a missing one.
    public var live: JSONTree?
    /// Expected values: those of `columns` for a changed row, the whole row for a missing one, nil for an extra one.
    public var expected: JSONTree?
}

/// The rows of one projected table that differ from the rows the log implies.
public struct TableDifferences: Sendable, Equatable, Codable {
    public var table: String
    /// Every differing row, listed or not.
    public var rows: Int
    public var missing: Int
    public var extra: Int
    public var changed: Int
    /// The first differing rows by id, at most the listing limit.
    public var listed: [RowDifference]
    /// Differing rows beyond the listing limit.
    public var unlisted: Int
}

/// Compares the live `subscriptions` and `payment_transactions` with expected rows, in SQL.
///
/// The expected rows are staged with ``ProjectionWriter/stage(subscriptions:payments:)`` into
/// temporary tables and joined with the live ones on `id` (FULL OUTER JOIN), column by column with
/// `IS DISTINCT FROM`, so PostgreSQL's own type semantics decide what is equal (`jsonb` key order,
/// timestamp precision). Everything happens in one REPEATABLE READ transaction that is rolled back:
/// the live tables are only read.
public struct ProjectionDiff {
    /// No parameters. One snapshot for every read that follows; UTC so timestamps print the same everywhere.
    static let beginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL TimeZone = 'UTC'"
    /// No parameters; the rows of each live table.
    static let selectLiveRowCounts = """
        SELECT (SELECT count(*) FROM public.subscriptions), (SELECT count(*) FROM public.payment_transactions)
        """

    /// `$1` rows to list at most.
    static let selectSubscriptionDifferences = differencesStatement(.subscriptions)
    /// `$1` rows to list at most.
    static let selectPaymentDifferences = differencesStatement(.paymentTransactions)

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Runs `body` in one REPEATABLE READ transaction that is always rolled back: every statement in it
    /// sees the same snapshot, and nothing it writes (the staging tables) outlives it.
    public func inRolledBackSnapshot<T>(_ body: () throws -> T) throws -> T {
        precondition(!connection.isInTransaction, "the comparison needs a transaction of its own")
        try connection.execute(Self.beginSnapshot)
        defer { if connection.isOpen { try? connection.execute("ROLLBACK") } }
        return try body()
    }

    /// The number of rows in the live tables.
    public func liveRowCounts() throws -> (subscriptions: Int, payments: Int) {
        let row = try connection.query(Self.selectLiveRowCounts)[0]
        return (try row.decode(at: 0), try row.decode(at: 1))
    }

    /// Stages the expected rows and lists how the live tables differ from them, at most `rowsMax` rows
    /// per table (all are counted); must run inside ``inRolledBackSnapshot(_:)``.
    public func compare(
        subscriptions: some Sequence<SubscriptionRow>, payments: some Sequence<PaymentTransactionRow>,
        listing rowsMax: Int = Limits.driftListedRowsMax
    ) throws -> [TableDifferences] {
        precondition(connection.isInTransaction, "compare must run inside inRolledBackSnapshot")
        try ProjectionWriter(connection: connection).stage(subscriptions: subscriptions, payments: payments)
        return [
            try differences("subscriptions", Self.selectSubscriptionDifferences, rowsMax),
            try differences("payment_transactions", Self.selectPaymentDifferences, rowsMax),
        ]
    }

    func differences(_ table: String, _ statement: String, _ rowsMax: Int) throws -> TableDifferences {
        precondition(rowsMax > 0, "list at least one row: the counts arrive with the listed rows")
        let rows = try connection.query(statement, [rowsMax])
        var result = TableDifferences(table: table, rows: 0, missing: 0, extra: 0, changed: 0, listed: [], unlisted: 0)
        for row in rows {
            let kindText: String = try row.decode(at: 2)
            guard let kind = RowDifference.Kind(rawValue: kindText) else {
                throw PostgresError(.decoding, message: "unexpected difference kind \(kindText)")
            }
            let columns: String = try row.decode(at: 3)
            result.listed.append(
                RowDifference(
                    id: try row.decode(at: 0), stripeID: try row.decode(at: 1), kind: kind,
                    columns: columns.split(separator: ",").map(String.init),
                    live: try row.decode(String?.self, at: 4).map(JSONTree.init(parsing:)),
                    expected: try row.decode(String?.self, at: 5).map(JSONTree.init(parsing:))))
            result.rows = try row.decode(at: 6)
            result.missing = try row.decode(at: 7)
            result.extra = try row.decode(at: 8)
        }
        result.changed = result.rows - result.missing - result.extra
        result.unlisted = result.rows - result.listed.count
        return result
    }

    /// The statement listing a table's differing rows by id (`$1` rows at most), each with its Stripe id,
    /// kind, differing columns (comma-separated), live and expected values as `jsonb`, and in every row the
    /// counts of all differing, missing and extra rows (window counts, taken before the LIMIT).
    ///
    /// Built from the fixed column lists; no value is ever spliced in. Only the projected columns are
    /// compared, so a column the application adds to a live table is not drift.
    static func differencesStatement(_ projected: ProjectedTable) -> String {
        let table = projected.rawValue
        let stripeID = projected.stripeIDColumn.name
        let compared = projected.columns.filter { $0 != projected.primaryKey }.map(\.name)
            .map { "CASE WHEN l.\($0) IS DISTINCT FROM s.\($0) THEN '\($0)' END" }
            .joined(separator: ",\n                  ")
        func values(_ row: String) -> String {
            """
            CASE kind WHEN 'changed' THEN
                       (SELECT jsonb_object_agg(key, value) FROM jsonb_each(to_jsonb(\(row))) WHERE key = ANY(columns))
                   ELSE to_jsonb(\(row)) END
            """
        }
        return """
            SELECT id, stripe_id, kind, CASE kind WHEN 'changed' THEN array_to_string(columns, ',') ELSE '' END,
                   \(values("live")),
                   \(values("expected")),
                   count(*) OVER (), count(*) FILTER (WHERE kind = 'missing') OVER (),
                   count(*) FILTER (WHERE kind = 'extra') OVER ()
            FROM (
                SELECT coalesce(l.id, s.id) AS id, coalesce(l.\(stripeID), s.\(stripeID)) AS stripe_id,
                       CASE WHEN l.id IS NULL THEN 'missing' WHEN s.id IS NULL THEN 'extra' ELSE 'changed' END AS kind,
                       array_remove(ARRAY[
                          \(compared)
                       ], NULL) AS columns,
                       l AS live, s AS expected
                FROM public.\(table) AS l FULL OUTER JOIN staging_\(table) AS s ON s.id = l.id
            ) AS compared
            WHERE kind <> 'changed' OR cardinality(columns) > 0
            ORDER BY id
            LIMIT $1
            """
    }
}
