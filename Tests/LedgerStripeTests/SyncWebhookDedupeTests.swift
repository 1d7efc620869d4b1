import Foundation
import LedgerCore
import LedgerTestRandom
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// A webhook and `ledger sync events` store one Stripe event once, whichever comes first: the same
/// validation, event id and dedupe by `evt_` id (`ledger serve` as a process, real PostgreSQL).
@Suite(.serialized) struct SyncWebhookDedupeTests {
    @Test func aWebhookAfterTheSyncAndASyncAfterTheWebhookAreDuplicates() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 1_408))
        let fake = FakeStripe()
        let events = fake.addEvents(6, from: fakeNow - 3_000, spanSeconds: 2_000, random: &random)
        let (deliveredFirst, syncedFirst) = (events[0], events[1])
        try await TestDatabase.withMigrated { database in
            let served = try await ServedLedger.start(databaseURL: database.url)
            defer { Task { await served.stop() } }
            let early = try await deliver(deliveredFirst, to: served)
            #expect(early.status == 200, "\(String(decoding: early.body, as: UTF8.self))")
            #expect(String(decoding: early.body, as: UTF8.self).contains("\"duplicate\":false"))

            try await fake.serving {
                // The webhook's event may be the newest: list from before all of them.
                let since = "\(EventTime(secondsSinceEpoch: fakeNow - 3_600))"
                let output = try await syncEvents(database, fake, ["--since", since, "--json"])
                #expect(output.status == 0, "\(output.standardError)")
                let report = try summary(output)
                #expect(report["appended"] as? Int == events.count - 1)
                #expect(report["duplicates"] as? Int == 1)
                #expect(report["conflicting_duplicates"] as? Int == 0)
            }
            let late = try await deliver(syncedFirst, to: served)
            #expect(late.status == 200)
            #expect(String(decoding: late.body, as: UTF8.self).contains("\"duplicate\":true"))
            #expect(try storedStripeEvents(database).count == events.count)
            await served.stop()
        }
    }

    private func deliver(_ event: FakeStripe.Event, to served: ServedLedger) async throws -> LoopbackHTTPResponse {
        let signature = StripeSignature.header(
            payload: event.body, secret: ServedLedger.secret, timestamp: Int64(Date().timeIntervalSince1970))
        return try await served.postWebhook(event.body, signature: signature)
    }
}
