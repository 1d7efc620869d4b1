import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// A webhook redelivered with other bytes is answered as a duplicate (Stripe must stop retrying) and kept
/// as a conflicting duplicate, with or without group commit; `/metrics` counts it.
@Suite("webhooks: conflicting duplicates")
struct ConflictingDuplicateServeTests {
    @Test(arguments: [true, false])
    func aRedeliveryWithOtherBytesIsKeptAndCounted(groupCommit: Bool) async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(
                database, configure: { ($0.projector, $0.groupCommit) = (false, groupCommit) }
            ) { server in
                let original = subscriptionEvent("evt_conflict_serve", subscription: "sub_conflict_1")
                let changed = subscriptionEvent("evt_conflict_serve", subscription: "sub_conflict_2")
                for body in [original, original, changed, changed] {
                    let response = try await server.postWebhook(body, signature: sign(body))
                    #expect(response.status == 200, "\(response.text)")
                    #expect(response.json?["position"] as? Int == 1)
                }
                let rows = try database.connect().query(
                    """
                    SELECT origin, conflicts_with_position, body FROM ledger.rejected_inputs
                     WHERE conflicts_with_position IS NOT NULL
                    """, resultFormat: .binary)
                #expect(rows.count == 1)
                #expect(try rows.first?.decode(String.self, at: 0) == "webhook")
                #expect(try rows.first?.decode(Int64.self, at: 1) == 1)
                #expect(try rows.first?.decode([UInt8].self, at: 2) == changed)
                let metrics = try await server.request("GET", "/metrics").text
                #expect(metrics.contains("ledger_conflicting_duplicates 1.0"), "\(metrics)")
                #expect(metrics.contains(#"ledger_webhooks_total{outcome="duplicate"} 3"#), "\(metrics)")
            }
        }
    }
}
