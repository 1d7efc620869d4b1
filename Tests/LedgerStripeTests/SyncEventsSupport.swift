import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestRandom
import LedgerTestSupport
import Testing

/// The second the tests place events from: the real clock when first read, which the fake's `Date`
/// header (Stripe's clock to the ledger) also follows.
let fakeNow = Int64(Date().timeIntervalSince1970)

/// Runs `ledger sync events` against `fake` on a thread of its own (the fake serves on the cooperative pool).
func syncEvents(
    _ database: TestDatabase, _ fake: FakeStripe, _ arguments: [String] = [], key: String? = FakeStripe.key
) async throws -> ProcessOutput {
    let command =
        ["sync", "events", "--database-url", database.url, "--api-base", fake.baseURL, "--requests-per-second", "1000"]
        + arguments
    let environment = key.map { ["STRIPE_API_KEY": $0] } ?? ["STRIPE_API_KEY": ""]
    return try await BackgroundThread("test.sync") { try runLedger(command, environment: environment) }.value
}

/// Starts `ledger sync <command>` against `fake`, which holds every request once the next listing with items
/// is answered to its end; kills it with SIGKILL once `recorded` counts anything, lets the fake answer
/// again, and returns the count at the kill.
func syncKilledPartWay(
    _ command: String, _ database: TestDatabase, _ fake: FakeStripe, recorded: @escaping () throws -> Int
) async throws -> Int {
    fake.state.withLock { $0.holdAfterListings = $0.listingsEnded + 1 }
    defer { fake.state.withLock { $0.holdAfterListings = nil } }
    let process = try LedgerProcess(
        ["sync", command, "--database-url", database.url, "--api-base", fake.baseURL, "--requests-per-second", "1000"],
        environment: ["STRIPE_API_KEY": FakeStripe.key])
    try await Poll.until("ledger sync \(command) recorded something", timeout: .seconds(180)) {
        try recorded() > 0 || !process.isRunning
    }
    process.send(SIGKILL)
    _ = try await BackgroundThread { process.wait() }.value
    return try recorded()
}

/// The `--json` summary's numbers.
func summary(_ output: ProcessOutput) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
    return try #require(object as? [String: Any], "stdout: \(output.standardOutput) stderr: \(output.standardError)")
}

/// The Stripe events of the log in position order: evt id, `created`, SHA-256 of the stored body.
struct StoredStripeEvent: Equatable {
    var id: String
    var created: Int64
    var bodySHA256: String
}

func storedStripeEvents(_ database: TestDatabase) throws -> [StoredStripeEvent] {
    let connection = try database.connect()
    let rows = try connection.query(
        """
        SELECT source_event_id, extract(epoch FROM occurred_at)::bigint, encode(sha256(body), 'hex')
        FROM ledger.events WHERE source = 'stripe' ORDER BY position
        """)
    return try rows.map { row in
        StoredStripeEvent(id: try row.decode(at: 0), created: try row.decode(at: 1), bodySHA256: try row.decode(at: 2))
    }
}

/// Every event of `expected` is stored exactly once, byte for byte, and the log holds them oldest first.
func expectStoredExactlyOnce(_ expected: [FakeStripe.Event], in database: TestDatabase, seed: UInt64) throws {
    let stored = try storedStripeEvents(database)
    #expect(stored.count == expected.count, "seed \(seed): \(stored.count) stored, \(expected.count) expected")
    #expect(Set(stored.map(\.id)).count == stored.count, "seed \(seed): an event is stored twice")
    let byID = Dictionary(uniqueKeysWithValues: expected.map { ($0.id, $0) })
    for event in stored {
        guard let original = byID[event.id] else {
            Issue.record("seed \(seed): \(event.id) was never listed")
            continue
        }
        #expect(event.bodySHA256 == HexEncoding.sha256(original.body), "seed \(seed): \(event.id) is not verbatim")
    }
    #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.created <= $1.created }, "seed \(seed): not oldest first")
}
