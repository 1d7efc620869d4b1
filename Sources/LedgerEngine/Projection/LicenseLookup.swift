import Foundation
import LedgerCore
import LedgerPostgres

/// Which licenses exist, and where a subscription's newest event is: what the runner needs to park
/// subscriptions whose license is missing (the foreign key would refuse their rows).
struct LicenseLookup {
    /// `$1` license ids (uuid[]).
    static let selectExisting = "SELECT id FROM public.licenses WHERE id = ANY($1::uuid[])"
    /// `$1` stream ids `subscription:<Stripe id>` (text[]); answers the Stripe id and the newest position.
    static let selectNewestPositions = """
        SELECT substr(stream_id, 14), max(position) FROM ledger.events
        WHERE stream_id = ANY($1::text[]) GROUP BY stream_id
        """

    let connection: PostgresConnection

    /// The subset of `ids` present in `public.licenses`.
    func existing(_ ids: Set<UUID>) throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let rows = try connection.query(
            Self.selectExisting, [PostgresArrayLiteral.make(ids.map(\.uuidString))], resultFormat: .binary)
        return Set(try rows.map { try $0.decode(UUID.self, at: 0) })
    }

    /// The newest log position of each subscription's stream, by Stripe subscription id.
    func newestPositions(ofSubscriptions ids: some Collection<String>) throws -> [String: Int64] {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.query(
            Self.selectNewestPositions, [PostgresArrayLiteral.make(ids.map { "subscription:\($0)" })])
        var newest: [String: Int64] = [:]
        for row in rows { newest[try row.decode(String.self, at: 0)] = try row.decode(Int64.self, at: 1) }
        return newest
    }

    /// The parked record that stands for a subscription row waiting for its license.
    static func parkedRecord(_ row: SubscriptionRow, position: Int64) -> ParkedRecord {
        ParkedRecord(
            objectID: row.stripeSubscriptionID, position: position, eventType: eventType,
            reason: "license \(row.licenseID.uuidString.lowercased()) does not exist in licenses")
    }

    /// `ledger.parked.event_type` of a subscription parked for its license.
    static let eventType = "license"
}
