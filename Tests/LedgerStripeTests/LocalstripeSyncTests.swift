import Foundation
import LedgerTestSupport
import Testing

/// `ledger sync events` against localstripe: a lifecycle driven with Stripe's own Python SDK, then a sync into an
/// empty ledger.
///
/// localstripe implements `GET /v1/events` (with `created` filters, `limit`, `starting_after`), lists
/// oldest first, and emits no event for refunds (`Refund` creates none); see docs/0013.
@Suite(.serialized) struct LocalstripeSyncTests {
    @Test func syncRecoversEveryEventOfALifecycleIntoAnEmptyLedger() async throws {
        try await Localstripe.serving { base in
            let driven = try await Localstripe.drive("localstripe_lifecycle.py", base: base)
            let listed = try #require(driven["events"] as? [String])
            #expect(listed.count >= 6, "the lifecycle made too few events: \(listed)")

            try await TestDatabase.withMigrated { database in
                let command = ["sync", "events", "--database-url", database.url, "--api-base", base, "--json"]
                let first = try await BackgroundThread {
                    try runLedger(command, environment: ["STRIPE_API_KEY": Localstripe.key])
                }.value
                #expect(first.status == 0, "\(first.standardError)")
                #expect(try summary(first)["appended"] as? Int == listed.count)
                let stored = try storedStripeEvents(database).map(\.id)
                #expect(
                    stored.count == listed.count && Set(stored) == Set(listed), "stored \(stored), listed \(listed)")

                let again = try await BackgroundThread {
                    try runLedger(command, environment: ["STRIPE_API_KEY": Localstripe.key])
                }.value
                #expect(again.status == 0, "\(again.standardError)")
                #expect(try summary(again)["appended"] as? Int == 0)
            }
        }
    }
}
