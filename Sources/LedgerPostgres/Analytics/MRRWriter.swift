import Foundation
import LedgerCore

/// Writes MRR movements and daily rows into `mrr_movements` and `mrr_daily`, in the caller's
/// transaction (the one that writes the billing rows and moves the checkpoint).
///
/// Like ``ProjectionWriter``: rows go to temporary staging tables with binary COPY, then set-based
/// statements change only what differs. A movement is matched on its natural key, the table's
/// unique (subscription, day, kind, position), so rows that stay keep their `id`; a daily row on
/// its key (day, currency).
public struct MRRWriter {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Adds a catch-up's movements and updates the daily rows it changed; returns the drift.
    public func append(_ changes: MRRLedger.Changes) throws -> [TableDrift] {
        precondition(connection.isInTransaction, "append must run inside the caller's transaction")
        guard !changes.movements.isEmpty || !changes.dailyRows.isEmpty else {
            return [Self.movements.noDrift, Self.daily.noDrift]
        }
        try stage(movements: changes.movements, daily: changes.dailyRows)
        return [try merge(Self.movements), try merge(Self.daily)]
    }

    /// Makes both tables equal to `movements` and `daily` (a rebuild); returns the drift.
    public func replaceAll(movements: [MRRMovement], daily: [MRRDailyRow]) throws -> [TableDrift] {
        precondition(connection.isInTransaction, "replaceAll must run inside the caller's transaction")
        try stage(movements: movements, daily: daily)
        // Fresh statistics, so the joins below are planned for the staged row counts (a rebuild stages all).
        try connection.execute(Self.analyzeStaging)
        var drift = [try merge(Self.movements), try merge(Self.daily)]
        drift[0].deleted = try connection.query(Self.movements.deleteMissing).affectedRows
        drift[1].deleted = try connection.query(Self.daily.deleteMissing).affectedRows
        return drift
    }

    func stage(movements: [MRRMovement], daily: [MRRDailyRow]) throws {
        try connection.execute(Self.createStaging)
        try connection.copyIn(Self.movements.copyIntoStaging, format: .binary) { writer in
            for movement in movements { try writer.writeBinaryRow(Self.fields(of: movement)) }
        }
        try connection.copyIn(Self.daily.copyIntoStaging, format: .binary) { writer in
            for row in daily { try writer.writeBinaryRow(Self.fields(of: row)) }
        }
    }

    func merge(_ table: AnalyticsTable) throws -> TableDrift {
        let updated = try connection.query(table.updateChanged).affectedRows
        let inserted = try connection.query(table.insertNew).affectedRows
        return TableDrift(table: table.name, inserted: inserted, updated: updated, deleted: 0)
    }
}

extension MRRWriter {
    /// The columns of `mrr_movements` the projector writes (all but the surrogate `id`), in copy order.
    public static let movementColumns = [
        "stripe_subscription_id", "stripe_customer_id", "day", "kind", "currency", "amount_cents",
        "mrr_before_cents", "mrr_after_cents", "source_position",
    ]
    /// The natural key of a movement (`mrr_movements_subscription_day_kind_position_key`).
    static let movementKey = ["stripe_subscription_id", "day", "kind", "source_position"]
    /// The columns of `mrr_daily` (migrations 003 and 008), in copy order.
    public static let dailyColumns = [
        "day", "currency", "mrr_cents", "active_customers", "new_cents", "expansion_cents", "contraction_cents",
        "churn_cents", "reactivation_cents", "new_customers", "reactivated_customers", "churned_customers",
    ]

    /// No parameters: creates (once per transaction) and empties the staging tables, shaped like the
    /// written columns (no constraints: the live tables check every row when it arrives there).
    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS staging_mrr_movements ON COMMIT DROP AS
            SELECT \(movementColumns.joined(separator: ", ")) FROM public.mrr_movements WITH NO DATA;
        CREATE TEMP TABLE IF NOT EXISTS staging_mrr_daily ON COMMIT DROP AS
            SELECT \(dailyColumns.joined(separator: ", ")) FROM public.mrr_daily WITH NO DATA;
        TRUNCATE staging_mrr_movements, staging_mrr_daily;
        """
    /// No parameters.
    static let analyzeStaging = "ANALYZE staging_mrr_movements; ANALYZE staging_mrr_daily"

    static let movements = AnalyticsTable(
        name: "mrr_movements", columns: movementColumns, key: movementKey,
        insertOrder: "source_position, stripe_subscription_id, kind")
    static let daily = AnalyticsTable(
        name: "mrr_daily", columns: dailyColumns, key: ["day", "currency"], insertOrder: "currency, day")

    /// PostgreSQL's binary `date`: days since 2000-01-01 as a 32-bit integer.
    static func date(_ day: UTCDay) -> CopyBinaryField {
        .int32(Int32(clamping: day.daysSinceEpoch - 10_957))
    }

    static func fields(of movement: MRRMovement) -> [CopyBinaryField] {
        [
            .text(movement.stripeSubscriptionID), .optionalText(movement.stripeCustomerID), date(movement.day),
            .text(movement.kind.rawValue), .text(movement.currency), .int64(movement.amountCents),
            .int64(movement.mrrBeforeCents), .int64(movement.mrrAfterCents), .int64(movement.sourcePosition),
        ]
    }

    static func fields(of row: MRRDailyRow) -> [CopyBinaryField] {
        [
            date(row.day), .text(row.currency), .int64(row.mrrCents), .int32(Int32(clamping: row.activeCustomers)),
            .int64(row.newCents), .int64(row.expansionCents), .int64(row.contractionCents), .int64(row.churnCents),
            .int64(row.reactivationCents), .int32(Int32(clamping: row.newCustomers)),
            .int32(Int32(clamping: row.reactivatedCustomers)), .int32(Int32(clamping: row.churnedCustomers)),
        ]
    }
}

/// The fixed SQL of one analytics table, built once from its column list and natural key.
struct AnalyticsTable {
    let name: String
    let copyIntoStaging: String
    let updateChanged: String
    let insertNew: String
    let deleteMissing: String

    init(name: String, columns: [String], key: [String], insertOrder: String) {
        self.name = name
        let staging = "staging_\(name)"
        let list = columns.joined(separator: ", ")
        let matches = key.map { "l.\($0) = s.\($0)" }.joined(separator: " AND ")
        let values = columns.filter { !key.contains($0) }
        let assignments = values.map { "\($0) = s.\($0)" }.joined(separator: ", ")
        let live = values.map { "l.\($0)" }.joined(separator: ", ")
        let staged = values.map { "s.\($0)" }.joined(separator: ", ")
        let keyList = key.joined(separator: ", ")
        copyIntoStaging = "COPY \(staging) (\(list)) FROM STDIN (FORMAT binary)"
        // No parameters in any of these: they move rows between the staging and live tables.
        updateChanged = """
            UPDATE public.\(name) AS l SET \(assignments) FROM \(staging) AS s
            WHERE \(matches) AND (\(live)) IS DISTINCT FROM (\(staged))
            """
        // In log order, so the ids of new movements follow the log; ON CONFLICT rather than an
        // anti-join for the reason ProjectedTable gives.
        insertNew = """
            INSERT INTO public.\(name) (\(list))
            SELECT \(list) FROM \(staging) ORDER BY \(insertOrder) ON CONFLICT (\(keyList)) DO NOTHING
            """
        deleteMissing = """
            DELETE FROM public.\(name) AS l WHERE NOT EXISTS (SELECT 1 FROM \(staging) AS s WHERE \(matches))
            """
    }

    var noDrift: TableDrift { TableDrift(table: name, inserted: 0, updated: 0, deleted: 0) }
}
