import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestRandom
import LedgerTestSupport
import Testing

/// `ledger sync events` against the scripted fake Stripe and real PostgreSQL.
@Suite(.serialized) struct SyncEventsCommandTests {
    /// Windows narrower than a busy hour, pages of 100, same-second ties: every event once, oldest first,
    /// verbatim; a rerun appends nothing; events of the cursor's second listed late are picked up by the next run.
    @Test func appendsEveryEventOnceOldestFirstAndResumesFromTheCursor() async throws {
        let seed = TestSeed.value(default: 1_401)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        var expected = fake.addEvents(260, from: fakeNow - 5_400, spanSeconds: 600, random: &random)
        expected += fake.addEvents(40, from: fakeNow - 20 * 86_400, spanSeconds: 10 * 86_400, random: &random)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let first = try await syncEvents(database, fake, ["--json", "--window-events-max", "100"])
                #expect(first.status == 0, "seed \(seed): \(first.standardError)")
                #expect(try summary(first)["appended"] as? Int == expected.count)
                try expectStoredExactlyOnce(expected, in: database, seed: seed)
                #expect(fake.requests.allSatisfy { $0.version == "2024-06-20" })

                let again = try await syncEvents(database, fake, ["--json"])
                #expect(again.status == 0, "\(again.standardError)")
                #expect(try summary(again)["appended"] as? Int == 0)

                // Events of the cursor's own second that Stripe lists only now are not missed.
                let cursor: Int64 = try #require(
                    try database.connect().query("SELECT created_through FROM ledger.sync_cursors").first?.decode(at: 0)
                )
                expected += fake.addEvents(7, from: cursor, spanSeconds: 1, random: &random)
                let later = try await syncEvents(database, fake, ["--json"])
                #expect(try summary(later)["appended"] as? Int == 7, "\(later.standardOutput)")
                try expectStoredExactlyOnce(expected, in: database, seed: seed)
            }
        }
    }

    /// 429 with Retry-After, a 500 and a response slower than the timeout are retried; the 429's
    /// retry waits at least what Retry-After said.
    @Test func retriesRateLimitsServerErrorsAndTimeouts() async throws {
        let seed = TestSeed.value(default: 1_402)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let expected = fake.addEvents(30, from: fakeNow - 3_000, spanSeconds: 2_000, random: &random)
        fake.state.withLock {
            $0.faults = [.status(429, retryAfter: "1"), .status(500), .delay(.seconds(4)), .status(503)]
        }
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let output = try await syncEvents(database, fake, ["--json", "--request-timeout-seconds", "1"])
                #expect(output.status == 0, "\(output.standardError)")
                try expectStoredExactlyOnce(expected, in: database, seed: seed)
                let requests = fake.requests
                #expect(requests.count >= 5)
                #expect(requests[1].at - requests[0].at >= .seconds(1), "the retry after 429 came too soon")
            }
        }
    }

    /// `Stripe-Should-Retry: false` is final even on a 500; exhausted attempts fail with exit 1.
    @Test func shouldRetryFalseAndExhaustedAttemptsFail() async throws {
        let fake = FakeStripe()
        fake.state.withLock { $0.faults = [.status(500, shouldRetry: "false")] }
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let refused = try await syncEvents(database, fake)
                #expect(refused.status == 1)
                #expect(refused.standardError.contains("HTTP 500 after 1 attempt"), "\(refused.standardError)")
                #expect(fake.requests.count == 1)

                fake.state.withLock { $0.faults = Array(repeating: .status(502), count: 3) }
                let exhausted = try await syncEvents(database, fake, ["--attempts", "3"])
                #expect(exhausted.status == 1)
                #expect(exhausted.standardError.contains("HTTP 502 after 3 attempts"), "\(exhausted.standardError)")
            }
        }
    }

    /// Pages after the first of a window keep failing: the run stops with exit 1 having appended and
    /// recorded the windows before; the rerun continues with no gap and no duplicate.
    @Test func aListingThatFailsPartWayResumesWithoutGapsOrDuplicates() async throws {
        let seed = TestSeed.value(default: 1_403)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        var expected = fake.addEvents(50, from: fakeNow - 10 * 86_400, spanSeconds: 3_000, random: &random)
        expected += fake.addEvents(250, from: fakeNow - 2 * 86_400, spanSeconds: 3_000, random: &random)
        fake.state.withLock { $0.failingContinuations = 500 }
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let failed = try await syncEvents(database, fake, ["--attempts", "2"])
                #expect(failed.status == 1)
                let partial = try storedStripeEvents(database)
                #expect(partial.count >= 50 && partial.count < expected.count, "seed \(seed): \(partial.count)")

                fake.state.withLock { $0.failingContinuations = nil }
                let resumed = try await syncEvents(database, fake, ["--json"])
                #expect(resumed.status == 0, "\(resumed.standardError)")
                #expect(try summary(resumed)["appended"] as? Int == expected.count - partial.count)
                try expectStoredExactlyOnce(expected, in: database, seed: seed)
            }
        }
    }

    /// kill -9 while pages are being served; the rerun stores every event exactly once.
    @Test func killedMidSyncThenRerunStoresEveryEventOnce() async throws {
        let seed = TestSeed.value(default: 1_404)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        var expected: [FakeStripe.Event] = []
        for day in 1...12 {
            expected += fake.addEvents(40, from: fakeNow - Int64(day) * 2 * 86_400, spanSeconds: 3_000, random: &random)
        }
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let before = try await syncKilledPartWay("events", database, fake) {
                    try storedStripeEvents(database).count
                }
                #expect(before < expected.count, "seed \(seed): the kill came after the whole sync")

                let rerun = try await syncEvents(database, fake)
                #expect(rerun.status == 0, "\(rerun.standardError)")
                try expectStoredExactlyOnce(expected, in: database, seed: seed)
            }
        }
    }

    /// The log's newest Stripe event is older than Stripe's 30 days: exit 1, nothing appended, the
    /// message names the gap and `sync backfill`; a --since within the 30 days is accepted.
    @Test func aGapBeyondRetentionIsRefusedWithExitOne() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 1_405))
        let fake = FakeStripe()
        let old = fake.addEvents(1, from: fakeNow - 40 * 86_400, spanSeconds: 1, random: &random)
        fake.addEvents(5, from: fakeNow - 86_400, spanSeconds: 100, random: &random)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            for event in old {
                let validated = try ValidatedEvent.stripe(event.body[...]).get()
                try EventStore(connection: connection).append(
                    AppendBatch(validated: [validated]), recordedAt: EventTime(secondsSinceEpoch: fakeNow))
            }
            try await fake.serving {
                let refused = try await syncEvents(database, fake)
                #expect(refused.status == 1)
                #expect(refused.standardError.contains("30 days"), "\(refused.standardError)")
                #expect(refused.standardError.contains("ledger sync backfill"))
                #expect(try storedStripeEvents(database).count == 1)

                let since = "\(EventTime(secondsSinceEpoch: fakeNow - 2 * 86_400))"
                let accepted = try await syncEvents(database, fake, ["--since", since, "--json"])
                #expect(accepted.status == 0, "\(accepted.standardError)")
                #expect(try summary(accepted)["appended"] as? Int == 5)
            }
        }
    }

    /// `--account` sends Stripe-Account on every request and lists that account's events only; the
    /// ledger then refuses another account, or none.
    @Test func aConnectedAccountIsSentAndNeverMixedWithAnother() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 1_406))
        let fake = FakeStripe()
        let connected = fake.addEvents(
            12, from: fakeNow - 3_000, spanSeconds: 2_000, account: "acct_1A", random: &random)
        fake.addEvents(9, from: fakeNow - 3_000, spanSeconds: 2_000, random: &random)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let output = try await syncEvents(database, fake, ["--account", "acct_1A"])
                #expect(output.status == 0, "\(output.standardError)")
                #expect(fake.requests.allSatisfy { $0.account == "acct_1A" })
                try expectStoredExactlyOnce(connected, in: database, seed: 1_406)

                for other in [["--account", "acct_2B"], []] {
                    let refused = try await syncEvents(database, fake, other)
                    #expect(refused.status == 2, "\(other): \(refused.standardError)")
                    #expect(refused.standardError.contains("this ledger syncs acct_1A"))
                }
            }
        }
    }

    /// No key, a key that is not Stripe's, a key of the other mode: exit 2 before any request; a key Stripe
    /// refuses: exit 1, and the key's text is in no output.
    @Test func keysAreCheckedAndNeverShown() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 1_407))
        let fake = FakeStripe()
        fake.addEvents(3, from: fakeNow - 3_000, spanSeconds: 2_000, random: &random)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                #expect(try await syncEvents(database, fake, key: nil).status == 2)
                #expect(try await syncEvents(database, fake, key: "pk_test_publishable").status == 2)
                #expect(fake.requests.isEmpty)
                let wrong = "sk_test_WRONGsecretVALUE42"
                let refused = try await syncEvents(database, fake, key: wrong)
                #expect(refused.status == 1)
                #expect(refused.standardError.contains("HTTP 401"), "\(refused.standardError)")
                #expect(!(refused.standardError + refused.standardOutput).contains("WRONGsecretVALUE42"))

                #expect(try await syncEvents(database, fake).status == 0)
                let live = try await syncEvents(database, fake, key: "sk_live_OTHERmodeKEY")
                #expect(live.status == 2)
                #expect(live.standardError.contains("this ledger is in test mode"), "\(live.standardError)")
                #expect(!live.standardError.contains("OTHERmodeKEY"))
            }
        }
    }
}
