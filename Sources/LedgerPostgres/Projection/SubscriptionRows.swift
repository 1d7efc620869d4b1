import Foundation
import LedgerCore

/// Reads of one row of the projected `subscriptions` table, for audits and the read API.
public struct SubscriptionRows {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The Stripe subscription id of the row `rowID`; nil when there is no such row.
    public func stripeSubscriptionID(ofRow rowID: UUID) throws -> String? {
        try connection.query(Queries.selectStripeIDOfRow, [rowID]).first?.decode(String.self, at: 0)
    }

    /// A row as text, in the column order of ``StateExportTable/subscriptions``, with the checkpoint of a projection.
    public struct Live: Sendable {
        public var values: [ColumnValue]
        /// Nil before the projection has run.
        public var checkpoint: Int64?
    }

    /// The row of Stripe subscription `stripeID`, nil when there is none.
    public func live(stripeID: String, projection: String) throws -> Live? {
        try live(Queries.selectByStripeID, key: stripeID, projection: projection)
    }

    /// The row `rowID`, nil when there is none.
    public func live(rowID: UUID, projection: String) throws -> Live? {
        try live(Queries.selectByRowID, key: rowID.uuidString.lowercased(), projection: projection)
    }

    /// The row as the text form audits use (lower-case UUIDs, ISO 8601 UTC times with microseconds,
    /// `true`/`false`), so it reads exactly as the same row replayed.
    private func live(_ statement: String, key: String, projection: String) throws -> Live? {
        guard let row = try connection.query(statement, [key, projection]).first else { return nil }
        let columns = StateExportTable.subscriptions.columns
        let values = try columns.indices.map { ColumnValue(columns[$0].name, try row.decode(String?.self, at: $0)) }
        return Live(values: values, checkpoint: try row.decode(Int64?.self, at: columns.count))
    }

    /// The statements, built from the fixed column list of ``StateExportTable/subscriptions``; no value is spliced in.
    enum Queries {
        /// `$1` subscription row id; answers its Stripe subscription id.
        static let selectStripeIDOfRow = "SELECT stripe_subscription_id FROM public.subscriptions WHERE id = $1"

        /// Times in the audit text form, whatever the session's TimeZone.
        static let timeColumns: Set = [
            "current_period_start", "current_period_end", "canceled_at", "trial_start", "trial_end", "created_at",
            "updated_at",
        ]

        /// Every projected column as text, then the checkpoint of projection `$2`.
        static let selectList =
            StateExportTable.subscriptions.columns.map { column in
                timeColumns.contains(column.name)
                    ? #"to_char(s.\#(column.name) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#
                    : "s.\(column.name)::text"
            }.joined(separator: ", ") + ", (SELECT position FROM ledger.checkpoints WHERE projection = $2)"

        /// `$1` Stripe subscription id, `$2` projection name.
        static let selectByStripeID =
            "SELECT \(selectList) FROM public.subscriptions s WHERE s.stripe_subscription_id = $1"
        /// `$1` subscription row id (uuid), `$2` projection name.
        static let selectByRowID = "SELECT \(selectList) FROM public.subscriptions s WHERE s.id = $1::uuid"
    }
}
