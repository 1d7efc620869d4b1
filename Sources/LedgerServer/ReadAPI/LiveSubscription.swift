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
        let rows = SubscriptionRows(connection: connection)
        let live =
            switch reference {
            case .subscriptionRowID(let id): try rows.live(rowID: id, projection: projection)
            default: try rows.live(stripeID: reference.description, projection: projection)
            }
        return live.map { LiveSubscription(checkpoint: $0.checkpoint, subscription: AuditRow($0.values)) }
    }
}
