import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger sync reconcile` against localstripe, which emits no `customer.subscription.updated`: after the
/// lifecycles of Tests/Scripts/localstripe_backfill_lifecycle.py (an upgrade, an interval change, cancels), rows
/// made from the events `ledger sync events` recovers are stale; reconcile reports them and `--repair` closes
/// them, leaving rows equal, column by column, to the objects localstripe lists.
@Suite(.serialized) struct LocalstripeReconcileTests {
    @Test func reconcileReportsWhatTheEventsMissedAndRepairCloses() async throws {
        try await Localstripe.serving { base in
            let driven = try await Localstripe.drive("localstripe_backfill_lifecycle.py", base: base)
            let subscriptions = try #require(driven["subscriptions"] as? [[String: Any]])
            let intents = try #require(driven["payment_intents"] as? [[String: Any]])
            let licenses = try #require(driven["licenses"] as? [[String: Any]])

            try await TestDatabase.withMigrated { database in
                let connection = try database.connect()
                for license in licenses {
                    try insertLicense(try #require(UUID(uuidString: license["id"] as? String ?? "")), into: connection)
                }
                func ledger(_ arguments: [String]) async throws -> ProcessOutput {
                    let command = arguments + ["--database-url", database.url]
                    return try await BackgroundThread {
                        try runLedger(command, environment: ["STRIPE_API_KEY": Localstripe.key])
                    }.value
                }
                let synced = try await ledger(["sync", "events", "--api-base", base])
                #expect(synced.status == 0, "\(synced.standardError)")
                #expect(try await ledger(["project"]).status == 0)

                let reconcile = ["sync", "reconcile", "--api-base", base, "--json"]
                let stale = try await ledger(reconcile)
                #expect(stale.status == 1, "the events alone should leave rows stale: \(stale.standardOutput)")
                let differences = try #require(summary(stale)["differences"] as? [[String: Any]])
                #expect(!differences.isEmpty)

                let repaired = try await ledger(reconcile + ["--repair"])
                #expect(repaired.status == 0, "\(repaired.standardOutput) \(repaired.standardError)")
                try LocalstripeBackfillTests.expectSubscriptionRows(equalTo: subscriptions, in: connection)
                try LocalstripeBackfillTests.expectPaymentRows(equalTo: intents, in: connection, processedAt: false)

                let again = try await ledger(reconcile)
                #expect(again.status == 0, "\(again.standardOutput)")
            }
        }
    }
}
