import Foundation
import LedgerCore
import LedgerTestRandom
import LedgerTestSupport
import Testing

/// `ledger serve --sync-every`: the same catch-up as `ledger sync events`, in the server, against the
/// scripted fake Stripe (`ledger serve` as a process, real PostgreSQL).
@Suite(.serialized) struct ServeSyncTests {
    /// A tick takes about a second alone; a whole-suite run on two cores once starved one past 60 s.
    static let underLoad = Duration.seconds(180)

    @Test func eventsTheFakeListsReachTheLogWhileServingAndAreCounted() async throws {
        let seed = TestSeed.value(default: 1_509)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let first = fake.addEvents(5, from: fakeNow - 4_000, spanSeconds: 1_000, random: &random)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let served = try await serveSyncing(database, fake)
                defer { Task { await served.stop() } }
                try await Poll.until("the first catch-up appended the fake's events", timeout: Self.underLoad) {
                    try storedStripeEvents(database).count == first.count
                }
                // Created after the first run (Stripe creates nothing in the past): a tick lists them once
                // Stripe's clock reaches them, from the cursor's second on. A few seconds ahead, since a test
                // thread stalled by the whole suite's load could otherwise add them after a tick had already
                // moved the cursor past their second (a race of the test, not of Stripe).
                let now = Int64(Date().timeIntervalSince1970)
                let later = fake.addEvents(3, from: now + 3, spanSeconds: 1, random: &random)
                do {
                    try await Poll.until("a later tick appended the events listed since", timeout: Self.underLoad) {
                        try storedStripeEvents(database).count == first.count + later.count
                    }
                } catch {
                    // Fails in whole-suite runs only (docs: the stop-25 note); say what the server and the fake saw.
                    let stored = (try? storedStripeEvents(database).count) ?? -1
                    let requests = fake.requests.suffix(8).map { "\($0.query) → \($0.answered)" }
                    let log = await served.stop().standardError.suffix(6_000)
                    let message =
                        "seed \(seed): \(stored) of \(first.count + later.count) stored; later created "
                        + "\(later.map(\.created)); the fake's last requests: \(requests); ledger serve's log:\n\(log)"
                    Issue.record(Comment(rawValue: message))
                    throw error
                }
                try expectStoredExactlyOnce(first + later, in: database, seed: seed)
                try await Poll.until("/metrics counts every recovered event", timeout: Self.underLoad) {
                    try await metric("ledger_stripe_sync_events_recovered_total", served)
                        == Double(first.count + later.count)
                }
                #expect(try await metric("ledger_stripe_sync_errors_total", served) == 0, "seed \(seed)")
                #expect(try await metric("ledger_stripe_sync_last_run_succeeded", served) == 1, "seed \(seed)")
                #expect(try await metric("ledger_stripe_sync_last_run_timestamp_seconds", served) ?? 0 > 0)
                await served.stop()
            }
        }
    }

    @Test func aFailingStripeCountsErrorsAndTheServerKeepsServing() async throws {
        let seed = TestSeed.value(default: 1_510)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let events = fake.addEvents(4, from: fakeNow - 4_000, spanSeconds: 1_000, random: &random)
        // Final answers (not retried): the first two runs fail at their first request.
        fake.state.withLock { $0.faults = [.status(400), .status(400)] }
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let served = try await serveSyncing(database, fake)
                defer { Task { await served.stop() } }
                try await Poll.until("two failed runs are counted", timeout: Self.underLoad) {
                    try await metric("ledger_stripe_sync_errors_total", served) == 2
                }
                #expect(try await served.get("/healthz").status == 200, "seed \(seed): the server keeps serving")
                try await Poll.until("a later tick recovered the events", timeout: Self.underLoad) {
                    try storedStripeEvents(database).count == events.count
                }
                try expectStoredExactlyOnce(events, in: database, seed: seed)
                try await Poll.until("/metrics shows the successful run", timeout: Self.underLoad) {
                    try await metric("ledger_stripe_sync_last_run_succeeded", served) == 1
                }
                #expect(try await metric("ledger_stripe_sync_errors_total", served) == 2, "seed \(seed)")
                #expect(try await metric("ledger_stripe_sync_events_recovered_total", served) == Double(events.count))
                await served.stop()
            }
        }
    }

    @Test func serveRefusesSyncWithoutAKey() throws {
        let output = try runLedger(
            ["serve", "--sync-every", "1m", "--database-url", "postgresql://127.0.0.1:1/none"],
            environment: ["STRIPE_API_KEY": ""])
        #expect(output.status != 0, "\(output.standardError)")
        #expect(output.standardError.contains("STRIPE_API_KEY"), "\(output.standardError)")
    }

    /// `ledger serve --sync-every 1s` against the fake, with its key.
    private func serveSyncing(_ database: TestDatabase, _ fake: FakeStripe) async throws -> ServedLedger {
        try await ServedLedger.start(
            databaseURL: database.url,
            // A request the loaded machine leaves unanswered is given up after seconds, not the default 30 s
            // times 8 attempts, so one stuck request cannot outlast the test's wait.
            arguments: [
                "--sync-every", "1s", "--api-base", fake.baseURL, "--requests-per-second", "1000",
                "--request-timeout-seconds", "5", "--attempts", "3",
            ],
            environment: ["STRIPE_API_KEY": FakeStripe.key])
    }

    /// The value of an unlabelled series at `/metrics`, nil when absent.
    private func metric(_ name: String, _ served: ServedLedger) async throws -> Double? {
        let response = try await served.get("/metrics", token: nil)
        let text = String(decoding: response.body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}
