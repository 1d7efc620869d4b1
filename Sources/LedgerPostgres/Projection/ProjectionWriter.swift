import Foundation
import LedgerCore

/// What bringing a live table to the projected state changed: the drift.
public struct TableDrift: Sendable, Equatable, Codable {
    public var table: String
    public var inserted: Int
    public var updated: Int
    public var deleted: Int

    public init(table: String, inserted: Int, updated: Int, deleted: Int) {
        self.table = table
        self.inserted = inserted
        self.updated = updated
        self.deleted = deleted
    }

    /// Rows that differed from the projection.
    public var total: Int { inserted + updated + deleted }

    /// Adds up the drifts of each table, keeping the tables in order of first appearance.
    public static func sum(_ drifts: [TableDrift]) -> [TableDrift] {
        var sums: [TableDrift] = []
        for drift in drifts {
            if let index = sums.firstIndex(where: { $0.table == drift.table }) {
                sums[index].inserted += drift.inserted
                sums[index].updated += drift.updated
                sums[index].deleted += drift.deleted
            } else {
                sums.append(drift)
            }
        }
        return sums
    }
}

/// Writes projected rows into `subscriptions` and `payment_transactions`.
///
/// Rows go to temporary staging tables with binary COPY, then the live tables
/// are changed with set-based statements that touch only rows that differ, in
/// the caller's transaction: readers see the old state or the new one, never
/// half (MVCC), and are never blocked (row locks only). Rows are updated in
/// place, never deleted and re-inserted, so foreign keys from other tables
/// (referrals, commissions) keep pointing at them.
public struct ProjectionWriter {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Makes both tables equal to `subscriptions` and `payments` (a rebuild); must run in a transaction.
    public func replaceAll(
        subscriptions: some Sequence<SubscriptionRow>, payments: some Sequence<PaymentTransactionRow>
    ) throws -> [TableDrift] {
        precondition(connection.isInTransaction, "replaceAll must run inside the caller's transaction")
        try stage(subscriptions: subscriptions, payments: payments)
        var subscriptionDrift = try merge(Self.subscriptions)
        var paymentDrift = try merge(Self.payments)
        // Payments first: deleting a subscription would null their foreign key.
        paymentDrift.deleted = try connection.query(Self.payments.deleteMissing).affectedRows
        subscriptionDrift.deleted = try connection.query(Self.subscriptions.deleteMissing).affectedRows
        return [subscriptionDrift, paymentDrift]
    }

    /// Inserts or updates `subscriptions` and `payments` (an incremental catch-up); must run in a transaction.
    public func upsert(
        subscriptions: some Sequence<SubscriptionRow>, payments: some Sequence<PaymentTransactionRow>
    ) throws -> [TableDrift] {
        precondition(connection.isInTransaction, "upsert must run inside the caller's transaction")
        try stage(subscriptions: subscriptions, payments: payments)
        return [try merge(Self.subscriptions), try merge(Self.payments)]
    }

    /// Deletes the rows with these ids (payments first: deleting a subscription would null their foreign key).
    /// Returns the drift, deletions only.
    public func delete(subscriptions: [UUID], payments: [UUID]) throws -> [TableDrift] {
        precondition(connection.isInTransaction, "delete must run inside the caller's transaction")
        func delete(from table: ProjectedTableSQL, _ ids: [UUID]) throws -> Int {
            guard !ids.isEmpty else { return 0 }
            return try connection.query(table.deleteIDs, [PostgresArrayLiteral.make(ids.map(\.uuidString))])
                .affectedRows
        }
        let payments = try delete(from: Self.payments, payments)
        let subscriptions = try delete(from: Self.subscriptions, subscriptions)
        return [
            TableDrift(table: Self.subscriptions.name, inserted: 0, updated: 0, deleted: subscriptions),
            TableDrift(table: Self.payments.name, inserted: 0, updated: 0, deleted: payments),
        ]
    }

    /// Copies rows into the temporary tables `staging_subscriptions` and `staging_payment_transactions`
    /// (shaped `LIKE` the live ones, emptied first, dropped at the end of the transaction); must run in a
    /// transaction. ``ProjectionDiff`` compares them with the live tables.
    public func stage(
        subscriptions: some Sequence<SubscriptionRow>, payments: some Sequence<PaymentTransactionRow>
    ) throws {
        precondition(connection.isInTransaction, "stage must run inside the caller's transaction")
        try connection.execute(Self.createStaging)
        try connection.copyIn(Self.subscriptions.copyIntoStaging, format: .binary) { writer in
            for row in subscriptions { try writer.writeBinaryRow(Self.fields(of: row)) }
        }
        try connection.copyIn(Self.payments.copyIntoStaging, format: .binary) { writer in
            for row in payments { try writer.writeBinaryRow(Self.fields(of: row)) }
        }
    }

    func merge(_ table: ProjectedTableSQL) throws -> TableDrift {
        let updated = try connection.query(table.updateChanged).affectedRows
        let inserted = try connection.query(table.insertNew).affectedRows
        return TableDrift(table: table.name, inserted: inserted, updated: updated, deleted: 0)
    }
}

extension ProjectionWriter {
    /// No parameters: creates (once per transaction) and empties the staging tables.
    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS staging_subscriptions (LIKE public.subscriptions) ON COMMIT DROP;
        CREATE TEMP TABLE IF NOT EXISTS staging_payment_transactions (LIKE public.payment_transactions) ON COMMIT DROP;
        TRUNCATE staging_subscriptions, staging_payment_transactions;
        """
}

/// The fixed SQL of one projected table, built once from its column list.
struct ProjectedTableSQL {
    let name: String
    let copyIntoStaging: String
    let updateChanged: String
    let insertNew: String
    let deleteMissing: String
    /// `$1` the ids to delete (uuid[]).
    let deleteIDs: String

    init(_ table: ProjectedTable) {
        name = table.rawValue
        let staging = "staging_\(name)"
        let list = table.columns.map(\.name).joined(separator: ", ")
        let assignments = table.columns.filter { $0 != table.primaryKey }.map { "\($0.name) = s.\($0.name)" }
            .joined(separator: ", ")
        copyIntoStaging = "COPY \(staging) (\(list)) FROM STDIN (FORMAT binary)"
        // No parameters in any of these: they move rows between the staging and live tables.
        updateChanged = """
            UPDATE public.\(name) AS l SET \(assignments) FROM \(staging) AS s
            WHERE l.id = s.id AND (l.*) IS DISTINCT FROM (s.*)
            """
        // ON CONFLICT rather than an anti-join: a NOT EXISTS probe planned for an (almost) empty
        // live table becomes a sequential scan of the rows this very statement inserts, quadratic.
        insertNew = """
            INSERT INTO public.\(name) (\(list))
            SELECT \(list) FROM \(staging) ON CONFLICT (id) DO NOTHING
            """
        deleteIDs = "DELETE FROM public.\(name) WHERE id = ANY($1::uuid[])"
        deleteMissing = """
            DELETE FROM public.\(name) AS l WHERE NOT EXISTS (SELECT 1 FROM \(staging) s WHERE s.id = l.id)
            """
    }
}

extension ProjectionWriter {
    static let subscriptions = ProjectedTableSQL(.subscriptions)
    static let payments = ProjectedTableSQL(.paymentTransactions)

    static func fields(of row: SubscriptionRow) -> [CopyBinaryField] {
        [
            .uuid(row.id), .uuid(row.licenseID), .text(row.stripeSubscriptionID), .optionalText(row.stripeCustomerID),
            .text(row.status.rawValue), .text(row.planType.rawValue), .text(row.billingCycle.rawValue),
            .int32(row.amountCents), .text(row.currency), .time(row.currentPeriodStart), .time(row.currentPeriodEnd),
            .bool(row.cancelAtPeriodEnd), .time(row.canceledAt), .time(row.trialStart), .time(row.trialEnd),
            .time(row.createdAt), .time(row.updatedAt), .jsonb(row.metadata),
        ]
    }

    static func fields(of row: PaymentTransactionRow) -> [CopyBinaryField] {
        [
            .uuid(row.id), row.subscriptionID.map { .uuid($0) } ?? .null, .text(row.stripePaymentIntentID),
            .optionalText(row.stripeInvoiceID), .int32(row.amountCents), .text(row.currency),
            .text(row.status.rawValue), .optionalText(row.paymentMethod), .optionalText(row.failureReason),
            .int32(row.refundedAmountCents), .time(row.processedAt), .time(row.createdAt), .time(row.updatedAt),
            .jsonb(row.metadata),
        ]
    }
}

extension CopyBinaryField {
    static func uuid(_ id: UUID) -> CopyBinaryField { .bytes(withUnsafeBytes(of: id.uuid) { Array($0) }) }
    static func optionalText(_ text: String?) -> CopyBinaryField { text.map { .text($0) } ?? .null }
    static func time(_ time: EventTime?) -> CopyBinaryField { time.map { .int64($0.postgresMicroseconds) } ?? .null }
    static func bool(_ value: Bool) -> CopyBinaryField { .bytes([value ? 1 : 0]) }
    /// Binary `jsonb` is a version byte (1) followed by the JSON text.
    static func jsonb(_ json: String) -> CopyBinaryField { .bytes([1] + Array(json.utf8)) }
}
