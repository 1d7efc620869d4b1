import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `GET /v1/subscriptions/{ref}` without a cut: the live row and the projection's checkpoint.
///
/// The row is read as the text form audits use (lower-case UUIDs, ISO 8601 UTC times with microseconds,
/// `true`/`false`) and encoded by ``AuditRow``, so it has exactly the JSON types of the same row at
/// `?at_position=` or `?as_of=` (amounts numbers, `metadata` an object). Only the projected columns are shown.
struct LiveSubscription: Encodable {
    var checkpoint: Int64?
    var subscription: AuditRow

    enum CodingKeys: String, CodingKey { case checkpoint, subscription }

    /// Always writes `checkpoint`, `null` before the projection has run.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkpoint, forKey: .checkpoint)
        try container.encode(subscription, forKey: .subscription)
    }

    /// Reads the row `reference` names (sub_… or a row UUID), nil when there is none.
    static func read(_ reference: AuditReference, projection: String, connection: PostgresConnection) throws
        -> LiveSubscription?
    {
        let (statement, key) =
            switch reference {
            case .subscriptionRowID(let id): (Queries.selectByRowID, id.uuidString.lowercased())
            default: (Queries.selectByStripeID, reference.description)
            }
        guard let row = try connection.query(statement, [key, projection]).first else { return nil }
        let columns = StateExportTable.subscriptions.columns
        let values = try columns.indices.map { ColumnValue(columns[$0].name, try row.decode(String?.self, at: $0)) }
        return LiveSubscription(
            checkpoint: try row.decode(Int64?.self, at: columns.count), subscription: AuditRow(values))
    }

    /// The statements, built from the fixed column list of ``StateExportTable/subscriptions``; no value is spliced in.
    enum Queries {
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
