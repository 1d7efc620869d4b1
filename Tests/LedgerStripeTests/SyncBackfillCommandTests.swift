import Foundation
import LedgerTestRandom
import LedgerTestSupport
import Testing

/// `ledger sync backfill` against the scripted fake: what localstripe cannot do — many pages listed while
/// earlier ones commit, a listing that fails part way, kill -9 — with every object observed exactly once.
@Suite struct SyncBackfillCommandTests {
    /// Several pages per resource, listed faster than they commit: each object is observed once, the pages
    /// listed while an append committed are appended together, and a rerun records nothing.
    @Test func everyObjectIsObservedOnceAndARerunRecordsNothing() async throws {
        let seed = TestSeed.value(default: 1_601)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let expected = BackfillObjects.add(to: fake, upTo: 450, random: &random)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let first = try await syncBackfill(database, fake, ["--json"])
                #expect(first.status == 0, "seed \(seed): \(first.standardError)")
                #expect(try summary(first)["appended"] as? Int == expected.count, "seed \(seed)")
                try expectObservedExactlyOnce(expected, in: database, seed: seed)

                let rerun = try await syncBackfill(database, fake, ["--json"])
                #expect(rerun.status == 0, "seed \(seed): \(rerun.standardError)")
                #expect(try summary(rerun)["appended"] as? Int == 0, "seed \(seed)")
                #expect(try summary(rerun)["unchanged"] as? Int == expected.count, "seed \(seed)")
                try expectObservedExactlyOnce(expected, in: database, seed: seed)
            }
        }
    }

    /// Pages after the first of a resource keep failing: exit 1 with the pages before committed; the rerun
    /// resumes after them, with no gap and no duplicate.
    @Test func aListingThatFailsPartWayResumesWithoutGapsOrDuplicates() async throws {
        let seed = TestSeed.value(default: 1_602)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let expected = BackfillObjects.add(to: fake, upTo: 350, minimumSubscriptions: 150, random: &random)
        fake.state.withLock { $0.failingContinuations = 500 }
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let failed = try await syncBackfill(database, fake, ["--attempts", "2"])
                #expect(failed.status == 1, "seed \(seed): \(failed.standardError)")
                let partial = try observedObjectIDs(database)
                #expect(partial.count == 100, "seed \(seed): the first page is committed before the failure")

                fake.state.withLock { $0.failingContinuations = nil }
                let resumed = try await syncBackfill(database, fake, ["--json"])
                #expect(resumed.status == 0, "seed \(seed): \(resumed.standardError)")
                let subscriptions = try #require((try summary(resumed)["resources"] as? [[String: Any]])?.first)
                #expect(subscriptions["resumed_after"] is String, "seed \(seed): \(subscriptions)")
                #expect(try summary(resumed)["appended"] as? Int == expected.count - partial.count, "seed \(seed)")
                try expectObservedExactlyOnce(expected, in: database, seed: seed)
            }
        }
    }

    /// kill -9 while pages are being served and appended; the rerun observes every object exactly once.
    @Test func killedMidBackfillThenRerunObservesEveryObjectOnce() async throws {
        let seed = TestSeed.value(default: 1_603)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let expected = BackfillObjects.add(to: fake, upTo: 600, minimumSubscriptions: 300, random: &random)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                let before = try await syncKilledPartWay("backfill", database, fake) {
                    try observedObjectIDs(database).count
                }
                #expect(before < expected.count, "seed \(seed): the kill came after the whole backfill")

                let rerun = try await syncBackfill(database, fake)
                #expect(rerun.status == 0, "seed \(seed): \(rerun.standardError)")
                try expectObservedExactlyOnce(expected, in: database, seed: seed)
            }
        }
    }
}

/// Seeded objects of every resource a backfill lists by default, each with an `id`, its `object` kind, a
/// `customer` and a `created` time, set on the fake's lists; returns their ids.
enum BackfillObjects {
    static let resources: [(path: String, kind: String, prefix: String)] = [
        ("/v1/subscriptions", "subscription", "sub_"), ("/v1/invoices", "invoice", "in_"),
        ("/v1/payment_intents", "payment_intent", "pi_"), ("/v1/charges", "charge", "ch_"),
        ("/v1/refunds", "refund", "re_"),
    ]

    static func add(
        to fake: FakeStripe, upTo count: Int, minimumSubscriptions: Int = 0, random: inout SeededGenerator
    ) -> Set<String> {
        var ids = Set<String>()
        for (index, resource) in resources.enumerated() {
            let number =
                index == 0
                ? minimumSubscriptions + random.below(count - minimumSubscriptions + 1) : random.below(count + 1)
            var objects: [[UInt8]] = []
            for _ in 0..<number {
                let id = "\(resource.prefix)bf\(String(random.next() % 1_000_000_000_000, radix: 36))"
                let created = fakeNow - Int64(random.below(40 * 86_400))
                let customer = "cus_bf\(random.below(200))"
                let status = resource.kind == "subscription" ? #", "status": "active""# : ""
                objects.append(
                    Array(
                        #"{"id": "\#(id)", "object": "\#(resource.kind)", "customer": "\#(customer)", "created": \#(created)\#(status), "livemode": false}"#
                            .utf8))
                ids.insert(id)
            }
            fake.setObjects(resource.path, objects)
        }
        return ids
    }
}

/// Runs `ledger sync backfill` against `fake` on a thread of its own.
func syncBackfill(_ database: TestDatabase, _ fake: FakeStripe, _ arguments: [String] = []) async throws
    -> ProcessOutput
{
    let command =
        [
            "sync", "backfill", "--database-url", database.url, "--api-base", fake.baseURL, "--requests-per-second",
            "1000",
        ] + arguments
    return try await BackgroundThread("test.backfill") {
        try runLedger(command, environment: ["STRIPE_API_KEY": FakeStripe.key])
    }.value
}

/// The ids of the objects the log's observations carry, one entry per observation.
func observedObjectIDs(_ database: TestDatabase) throws -> [String] {
    let connection = try database.connect()
    return try connection.query(
        "SELECT convert_from(body, 'UTF8')::jsonb->'data'->'object'->>'id' FROM ledger.events "
            + "WHERE type LIKE 'ledger.%_observed' ORDER BY position"
    ).map { try $0.decode(at: 0) }
}

/// Every object of `expected` is observed exactly once, and nothing else is.
func expectObservedExactlyOnce(_ expected: Set<String>, in database: TestDatabase, seed: UInt64) throws {
    let observed = try observedObjectIDs(database)
    #expect(observed.count == expected.count, "seed \(seed): \(observed.count) observations, \(expected.count) objects")
    let missing = expected.subtracting(observed)
    let other = Set(observed).subtracting(expected)
    #expect(
        missing.isEmpty && other.isEmpty,
        "seed \(seed): \(missing.count) objects not observed (\(missing.sorted().prefix(5))), \(other.count) others")
}
