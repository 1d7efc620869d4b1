import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestRandom
import LedgerTestSupport
import Testing

/// `ledger sync reconcile` against the scripted fake Stripe and real PostgreSQL: rows made from events (as
/// webhooks or `sync events` deliver them) compared with Stripe's current objects through the projection's rules.
@Suite(.serialized) struct SyncReconcileCommandTests {
    /// Rows equal to Stripe's objects: exit 0. A status and a `cancel_at_period_end` changed at Stripe without an
    /// event: exactly those two columns reported, exit 1. `--repair` records observations and projects them: the
    /// rows equal Stripe's, a second reconcile exits 0, and the subscription's history lists the observation.
    @Test func reportsChangedColumnsAndRepairsThemWithObservations() async throws {
        let seed = TestSeed.value(default: 1_431)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let account = ReconcileAccount(subscriptions: 3 + random.below(5), random: &random)
        account.serve(on: fake)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            for license in account.licenses { try insertLicense(license, into: connection) }
            try await fake.serving {
                let synced = try await syncEvents(database, fake, ["--json"])
                #expect(synced.status == 0, "seed \(seed): \(synced.standardError)")
                try projectLedger(database)

                let clean = try await reconcile(database, fake)
                #expect(clean.status == 0, "seed \(seed): \(clean.standardOutput) \(clean.standardError)")
                let first = try summary(clean)
                #expect(first["listed_subscriptions"] as? Int == account.subscriptions.count)
                #expect(first["listed_payment_intents"] as? Int == account.subscriptions.count)
                #expect((first["differences"] as? [Any])?.isEmpty == true, "seed \(seed): \(clean.standardOutput)")

                // Stripe changes two subscriptions; the endpoint never hears of it.
                let ids = account.subscriptions.map(\.id)
                let pastDue = ids[random.below(ids.count)]
                let canceling = ids.filter { $0 != pastDue }[random.below(ids.count - 1)]
                account.change(pastDue, on: fake) { $0["status"] = "past_due" }
                account.change(canceling, on: fake) { $0["cancel_at_period_end"] = true }

                let drift = try await reconcile(database, fake)
                #expect(drift.status == 1, "seed \(seed): \(drift.standardError)")
                let reported = try findings(summary(drift)["differences"])
                #expect(
                    reported
                        == [
                            Finding(object: canceling, column: "cancel_at_period_end", ledger: "false", stripe: "true"),
                            Finding(object: pastDue, column: "status", ledger: "active", stripe: "past_due"),
                        ].sorted(), "seed \(seed): \(drift.standardOutput)")
                let text = try await reconcile(database, fake, json: false)
                #expect(text.standardOutput.contains("\(pastDue) status: ledger \"active\", Stripe \"past_due\""))

                let repaired = try await reconcile(database, fake, ["--repair"])
                #expect(repaired.status == 0, "seed \(seed): \(repaired.standardOutput) \(repaired.standardError)")
                let repair = try #require(summary(repaired)["repair"] as? [String: Any])
                #expect(repair["appended"] as? Int == 2, "seed \(seed): \(repaired.standardOutput)")
                #expect((repair["remaining"] as? [Any])?.isEmpty == true, "seed \(seed): \(repaired.standardOutput)")
                #expect(try row(pastDue, in: connection) == ["past_due", "false"])
                #expect(try row(canceling, in: connection) == ["active", "true"])
                let observations: Int64 = try #require(
                    try connection.query(
                        "SELECT count(*) FROM ledger.events WHERE type = 'ledger.subscription_observed'"
                    ).first?.decode(at: 0))
                #expect(observations == 2)

                let again = try await reconcile(database, fake)
                #expect(again.status == 0, "seed \(seed): \(again.standardOutput)")
                let history = try runLedger(["history", pastDue, "--database-url", database.url])
                #expect(history.status == 0, "\(history.standardError)")
                #expect(history.standardOutput.contains("ledger.subscription_observed"), "\(history.standardOutput)")
            }
        }
    }

    /// A refund Stripe made without an event reaches the payment through the expanded latest charge; objects the
    /// ledger never heard of are only in Stripe, a subscription Stripe no longer lists only in the ledger (not said
    /// with `--since`). `--repair` records what observations can give and leaves the rest reported, exit 1.
    @Test func refundsAndObjectsOnlyOneSideHas() async throws {
        let seed = TestSeed.value(default: 1_434)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let account = ReconcileAccount(subscriptions: 3, random: &random)
        let unheard = ReconcileAccount(subscriptions: 1, random: &random)
        account.serve(on: fake)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            for license in account.licenses + unheard.licenses { try insertLicense(license, into: connection) }
            try await fake.serving {
                #expect(try await syncEvents(database, fake).status == 0)
                try projectLedger(database)
                let gone = account.subscriptions[0].id
                fake.state.withLock { state in
                    state.objects["/v1/subscriptions"]?.removeAll {
                        ReconcileAccount.object($0)["id"] as? String == gone
                    }
                }
                unheard.addObjectsOnly(to: fake)
                let refunded = try #require(account.paymentIntents[1]["id"] as? String)
                let amount = try #require(account.paymentIntents[1]["amount"] as? Int)
                account.change(refunded, at: "/v1/payment_intents", on: fake) { intent in
                    var charge = intent["latest_charge"] as? [String: Any] ?? [:]
                    charge["amount_refunded"] = amount
                    charge["refunded"] = true
                    intent["latest_charge"] = charge
                }
                let newSubscription = unheard.subscriptions[0].id
                let newIntent = try #require(unheard.paymentIntents[0]["id"] as? String)
                let refund = [
                    Finding(object: refunded, column: "refunded_amount_cents", ledger: "0", stripe: "\(amount)"),
                    Finding(object: refunded, column: "status", ledger: "succeeded", stripe: "refunded"),
                ]
                let onlyInStripe = [
                    Finding(object: newIntent, column: "only_in_stripe"),
                    Finding(object: newSubscription, column: "only_in_stripe"),
                ]

                let all = try await reconcile(database, fake)
                #expect(all.status == 1, "seed \(seed): \(all.standardError)")
                #expect(
                    try findings(summary(all)["differences"])
                        == (refund + onlyInStripe + [Finding(object: gone, column: "only_in_ledger")]).sorted(),
                    "seed \(seed): \(all.standardOutput)")
                let since = try await reconcile(database, fake, ["--since", "2000-01-01T00:00:00Z"])
                #expect(since.status == 1)
                #expect(
                    try findings(summary(since)["differences"]) == (refund + onlyInStripe).sorted(),
                    "seed \(seed): \(since.standardOutput)")

                let repaired = try await reconcile(database, fake, ["--repair"])
                #expect(repaired.status == 1, "only_in_ledger remains: \(repaired.standardOutput)")
                let repair = try #require(summary(repaired)["repair"] as? [String: Any])
                // The new subscription; the new intent and the refunded one, each with its latest charge.
                #expect(repair["appended"] as? Int == 5, "seed \(seed): \(repaired.standardOutput)")
                #expect(
                    try findings(repair["remaining"]) == [Finding(object: gone, column: "only_in_ledger")],
                    "seed \(seed): \(repaired.standardOutput)")
                let payment = try connection.query(
                    "SELECT status, refunded_amount_cents FROM payment_transactions WHERE stripe_payment_intent_id = $1",
                    [refunded]
                ).first
                #expect(try payment?.decode(at: 0) as String? == "refunded")
                #expect(try payment?.decode(at: 1) as Int32? == Int32(amount))
                #expect(try row(newSubscription, in: connection) == ["active", "false"])
                let after = try await reconcile(database, fake, ["--since", "2000-01-01T00:00:00Z"])
                #expect(after.status == 0, "seed \(seed): \(after.standardOutput)")
            }
        }
    }

    /// With `ledger project --follow` holding the projection, `--repair` leaves the observations to it, still
    /// confirms the repair from the log, and the follower brings the table to Stripe's value.
    @Test func repairLeavesTheObservationsToTheProjectorThatHoldsTheProjection() async throws {
        let seed = TestSeed.value(default: 1_435)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let account = ReconcileAccount(subscriptions: 2, random: &random)
        account.serve(on: fake)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            for license in account.licenses { try insertLicense(license, into: connection) }
            try await fake.serving {
                #expect(try await syncEvents(database, fake).status == 0)
                let follower = try LedgerProcess(
                    ["project", "--follow", "--json"], environment: ["DATABASE_URL": database.url])
                defer { follower.send(SIGKILL) }
                let caughtUp = """
                    SELECT coalesce((SELECT position FROM ledger.checkpoints), 0)
                        >= (SELECT coalesce(max(position), 0) FROM ledger.events)
                    """
                try await Poll.until("the follower caught up") { try connection.query(caughtUp)[0].decode(at: 0) }
                let changed = account.subscriptions[random.below(2)].id
                account.change(changed, on: fake) { $0["status"] = "past_due" }

                let repaired = try await reconcile(database, fake, ["--repair"])
                #expect(repaired.status == 0, "seed \(seed): \(repaired.standardOutput) \(repaired.standardError)")
                let repair = try #require(summary(repaired)["repair"] as? [String: Any])
                #expect(repair["projection_held"] is String, "\(repaired.standardOutput)")
                #expect(repair["projected_through"] == nil)
                #expect((repair["remaining"] as? [Any])?.isEmpty == true, "\(repaired.standardOutput)")
                try await Poll.until("the follower applied the observation") {
                    try row(changed, in: connection) == ["past_due", "false"]
                }
                follower.send(SIGTERM)
                #expect(follower.wait().status == 0)
            }
        }
    }

    /// `--customer` lists one customer's objects only, and reports only that customer's differences.
    @Test func customerRestrictsTheListsAndTheReport() async throws {
        let seed = TestSeed.value(default: 1_432)
        var random = SeededGenerator(seed: seed)
        let fake = FakeStripe()
        let account = ReconcileAccount(subscriptions: 4, random: &random)
        account.serve(on: fake)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            for license in account.licenses { try insertLicense(license, into: connection) }
            try await fake.serving {
                #expect(try await syncEvents(database, fake).status == 0)
                try projectLedger(database)
                let first = account.subscriptions[0]
                let second = account.subscriptions[1]
                account.change(first.id, on: fake) { $0["status"] = "past_due" }
                account.change(second.id, on: fake) { $0["status"] = "past_due" }
                let output = try await reconcile(database, fake, ["--customer", first.customer])
                #expect(output.status == 1, "seed \(seed): \(output.standardError)")
                let report = try summary(output)
                #expect(try findings(report["differences"]).map(\.object) == [first.id], "\(output.standardOutput)")
                #expect(report["listed_subscriptions"] as? Int == 1)
                let listings = fake.requests.suffix(2).map(\.query)
                #expect(listings.allSatisfy { $0["customer"] == first.customer }, "\(listings)")
            }
        }
    }

    /// A key of the other mode than the ledger's is refused with exit 2 before any listing.
    @Test func aKeyOfTheOtherModeIsRefused() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 1_433))
        let fake = FakeStripe()
        let account = ReconcileAccount(subscriptions: 1, random: &random)
        account.serve(on: fake)
        try await TestDatabase.withMigrated { database in
            try await fake.serving {
                #expect(try await syncEvents(database, fake).status == 0)
                let output = try await reconcile(database, fake, key: "sk_live_FAKEsecretKEY0123456789")
                #expect(output.status == 2, "\(output.standardError)")
                #expect(!fake.requests.contains { $0.query["expand[]"] != nil || $0.query["status"] == "all" })
            }
        }
    }
}

/// One reported column, for comparing reports as values.
struct Finding: Equatable, Comparable, CustomStringConvertible {
    var object: String
    var column: String
    var ledger: String?
    var stripe: String?

    static func < (a: Finding, b: Finding) -> Bool { (a.object, a.column) < (b.object, b.column) }
    var description: String { "\(object) \(column): \(ledger ?? "null") → \(stripe ?? "null")" }
}

/// The `differences` of a `--json` report, one entry per column (an object without columns as one with "").
func findings(_ value: Any?) throws -> [Finding] {
    let entries = try #require(value as? [[String: Any]], "differences: \(String(describing: value))")
    return entries.flatMap { entry -> [Finding] in
        let object = entry["object"] as? String ?? ""
        let columns = entry["columns"] as? [[String: Any]] ?? []
        if columns.isEmpty { return [Finding(object: object, column: entry["kind"] as? String ?? "")] }
        return columns.map {
            Finding(
                object: object, column: $0["column"] as? String ?? "", ledger: $0["ledger"] as? String,
                stripe: $0["stripe"] as? String)
        }
    }.sorted()
}

/// Runs `ledger sync reconcile` against `fake` on a thread of its own.
func reconcile(
    _ database: TestDatabase, _ fake: FakeStripe, _ arguments: [String] = [], json: Bool = true,
    key: String = FakeStripe.key
) async throws -> ProcessOutput {
    let command =
        [
            "sync", "reconcile", "--database-url", database.url, "--api-base", fake.baseURL,
            "--requests-per-second", "1000",
        ] + arguments + (json ? ["--json"] : [])
    return try await BackgroundThread("test.reconcile") {
        try runLedger(command, environment: ["STRIPE_API_KEY": key])
    }.value
}

func projectLedger(_ database: TestDatabase) throws {
    let output = try runLedger(["project", "--database-url", database.url])
    #expect(output.status == 0, "\(output.standardError)")
}

/// A subscription's `status` and `cancel_at_period_end` in the table.
func row(_ subscription: String, in connection: PostgresConnection) throws -> [String] {
    let rows = try connection.query(
        "SELECT status, cancel_at_period_end::text FROM subscriptions WHERE stripe_subscription_id = $1",
        [subscription])
    return try rows.map { [try $0.decode(at: 0) as String, try $0.decode(at: 1) as String] }.first ?? []
}
