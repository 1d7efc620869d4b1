import Foundation
import LedgerCore

/// Which licenses exist, and where a subscription's newest event is: what the license rule needs to park
/// subscriptions whose license is missing (the foreign key would refuse their rows).
public struct LicenseLookup {
    /// `$1` license ids (uuid[]).
    static let selectExisting = "SELECT id FROM public.licenses WHERE id = ANY($1::uuid[])"
    /// `$1` subscription stream ids (text[], ``StreamID/subscription(_:)``); answers each stream's newest position.
    static let selectNewestPositions = """
        SELECT stream_id, max(position) FROM ledger.events
        WHERE stream_id = ANY($1::text[]) GROUP BY stream_id
        """

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The subset of `ids` present in `public.licenses`.
    public func existing(_ ids: Set<UUID>) throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let rows = try connection.query(
            Self.selectExisting, [PostgresArrayLiteral.make(ids.map(\.uuidString))], resultFormat: .binary)
        return Set(try rows.map { try $0.decode(UUID.self, at: 0) })
    }

    /// The newest log position of each subscription's stream, by Stripe subscription id.
    public func newestPositions(ofSubscriptions ids: some Collection<String>) throws -> [String: Int64] {
        guard !ids.isEmpty else { return [:] }
        let streams = ids.map { StreamID.subscription($0).description }
        let rows = try connection.query(Self.selectNewestPositions, [PostgresArrayLiteral.make(streams)])
        var newest: [String: Int64] = [:]
        for row in rows {
            guard let id = StreamID.key(of: try row.decode(String.self, at: 0), in: .subscription) else { continue }
            newest[id] = try row.decode(Int64.self, at: 1)
        }
        return newest
    }
}
