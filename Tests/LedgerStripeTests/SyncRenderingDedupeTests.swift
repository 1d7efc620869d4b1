import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestRandom
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// A Stripe event listed by `ledger sync events` and delivered by webhook is rendered twice by Stripe:
/// other whitespace, key order, string escaping and `pending_webhooks`. The log answers the second
/// rendering as a plain duplicate, and still keeps other content (`data.object.status`) as a
/// conflicting duplicate in `ledger.rejected_inputs` (docs/0002, docs/0013).
@Suite(.serialized) struct SyncRenderingDedupeTests {
    /// Every pair of renderings of one event is a plain duplicate; a changed status is a conflict.
    @Test func anotherRenderingIsADuplicateAndOtherContentAConflict() async throws {
        let seed = TestSeed.value(default: 2_026)
        var random = SeededGenerator(seed: seed)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            for round in 0..<20 {
                let event = RenderableEvent(random: &random)
                let first = try store.append(batch(event.rendered(random: &random)), recordedAt: EventTime(Date()))
                guard case .appended(let position, _)? = first.first else {
                    Issue.record("seed \(seed) round \(round): \(first)")
                    continue
                }
                let again = try store.append(batch(event.rendered(random: &random)), recordedAt: EventTime(Date()))
                #expect(again == [.duplicate(position: position)], "seed \(seed) round \(round)")
                let changed = event.withStatus("canceled").rendered(random: &random)
                let conflict = try store.append(batch(changed), recordedAt: EventTime(Date()))
                #expect(conflict == [.duplicate(position: position, conflicting: true)], "seed \(seed) round \(round)")
            }
            #expect(try RejectedInputs(connection: connection).conflictingDuplicates() == 20, "seed \(seed)")
        }
    }

    @Test func aWebhookAfterTheSyncInAnotherRenderingIsADuplicate() async throws {
        let seed = TestSeed.value(default: 77)
        var random = SeededGenerator(seed: seed)
        let same = RenderableEvent(random: &random, created: fakeNow - 600)
        let changed = RenderableEvent(random: &random, created: fakeNow - 500)
        let fake = FakeStripe()
        fake.add(same.listed(random: &random), changed.listed(random: &random))
        try await TestDatabase.withMigrated { database in
            let served = try await ServedLedger.start(databaseURL: database.url)
            defer { Task { await served.stop() } }
            try await fake.serving {
                let output = try await syncEvents(
                    database, fake, ["--since", "\(EventTime(secondsSinceEpoch: fakeNow - 900))"])
                #expect(output.status == 0, "\(output.standardError)")
            }
            for delivered in [same.rendered(random: &random), changed.withStatus("canceled").rendered(random: &random)]
            {
                let response = try await deliver(delivered, to: served)
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self).contains("\"duplicate\":true"), "seed \(seed)")
            }
            let rejected = RejectedInputs(connection: try database.connect())
            #expect(try rejected.conflictingDuplicates() == 1, "seed \(seed): only the changed status conflicts")
            #expect(try storedStripeEvents(database).count == 2, "seed \(seed)")
            await served.stop()
        }
    }

    @Test func aSyncAfterTheWebhookInAnotherRenderingIsADuplicate() async throws {
        let seed = TestSeed.value(default: 78)
        var random = SeededGenerator(seed: seed)
        let same = RenderableEvent(random: &random, created: fakeNow - 600)
        let changed = RenderableEvent(random: &random, created: fakeNow - 500)
        let fake = FakeStripe()
        fake.add(same.listed(random: &random), changed.withStatus("canceled").listed(random: &random))
        try await TestDatabase.withMigrated { database in
            let served = try await ServedLedger.start(databaseURL: database.url)
            defer { Task { await served.stop() } }
            for delivered in [same.rendered(random: &random), changed.rendered(random: &random)] {
                let response = try await deliver(delivered, to: served)
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self).contains("\"duplicate\":false"))
            }
            try await fake.serving {
                let since = "\(EventTime(secondsSinceEpoch: fakeNow - 900))"
                let output = try await syncEvents(database, fake, ["--since", since, "--json"])
                #expect(output.status == 0, "\(output.standardError)")
                let report = try summary(output)
                #expect(report["appended"] as? Int == 0, "seed \(seed)")
                #expect(report["duplicates"] as? Int == 2, "seed \(seed)")
                #expect(
                    report["conflicting_duplicates"] as? Int == 1, "seed \(seed): only the changed status conflicts")
            }
            #expect(try RejectedInputs(connection: database.connect()).conflictingDuplicates() == 1)
            await served.stop()
        }
    }

    private func batch(_ body: [UInt8]) throws -> AppendBatch {
        AppendBatch(validated: [try ValidatedEvent.stripe(body[...]).get()])
    }

    private func deliver(_ body: [UInt8], to served: ServedLedger) async throws -> LoopbackHTTPResponse {
        let signature = StripeSignature.header(
            payload: body, secret: ServedLedger.secret, timestamp: Int64(Date().timeIntervalSince1970))
        return try await served.postWebhook(body, signature: signature)
    }
}

/// A Stripe event as a tree, rendered as Stripe might render it on any occasion: members in a seeded
/// order, seeded whitespace, `/` escaped or not, and a seeded `pending_webhooks`.
struct RenderableEvent {
    indirect enum Value {
        case string(String)
        case integer(Int64)
        case boolean(Bool)
        case null
        case object([(String, Value)])
    }

    var members: [(String, Value)]
    var id: String
    var created: Int64

    init(random: inout SeededGenerator, created: Int64? = nil) {
        let created = created ?? fakeNow - 1_000 + Int64(random.below(900))
        id = "evt_render\(String(random.next(), radix: 36))"
        self.created = created
        let object: [(String, Value)] = [
            ("id", .string("sub_\(String(random.next() % 1_000_000, radix: 36))")),
            ("object", .string("subscription")),
            ("customer", .string("cus_\(String(random.next() % 1_000, radix: 36))")),
            ("status", .string(random.pick(["active", "trialing", "past_due"]))),
            ("created", .integer(created)),
            ("description", .string("plan/\(random.below(100)) \"tier\" é")),
            ("metadata", .object([("k", .string("v"))])),
        ]
        members = [
            ("id", .string(id)), ("object", .string("event")), ("api_version", .string("2024-06-20")),
            ("created", .integer(created)), ("data", .object([("object", .object(object))])),
            ("livemode", .boolean(false)),
            ("request", .object([("id", .null), ("idempotency_key", .null)])),
            ("type", .string("customer.subscription.updated")),
        ]
    }

    /// The same event with `data.object.status` set to `status`.
    func withStatus(_ status: String) -> RenderableEvent {
        var copy = self
        copy.members = members.map { key, value in
            guard key == "data", case .object(let data) = value, case .object(let object)? = data.first?.1 else {
                return (key, value)
            }
            let changed = object.map { $0.0 == "status" ? ($0.0, Value.string(status)) : $0 }
            return (key, .object([("object", .object(changed))]))
        }
        return copy
    }

    /// One rendering: a seeded `pending_webhooks`, member order, spacing and escaping.
    func rendered(random: inout SeededGenerator) -> [UInt8] {
        var all = members + [("pending_webhooks", Value.integer(Int64(random.below(4))))]
        all.shuffle(using: &random)
        var output = ""
        Self.write(.object(all), into: &output, depth: 0, random: &random)
        return Array(output.utf8)
    }

    /// As the fake lists it.
    func listed(random: inout SeededGenerator) -> FakeStripe.Event {
        FakeStripe.Event(id: id, created: created, account: "", body: rendered(random: &random))
    }

    private static func write(_ value: Value, into output: inout String, depth: Int, random: inout SeededGenerator) {
        switch value {
        case .string(let text):
            let escapeSlash = random.below(2) == 0
            var escaped = ""
            for character in text {
                switch character {
                case "\"": escaped += "\\\""
                case "/": escaped += escapeSlash ? "\\/" : "/"
                default: escaped.append(character)
                }
            }
            output += "\"\(escaped)\""
        case .integer(let number): output += "\(number)"
        case .boolean(let flag): output += flag ? "true" : "false"
        case .null: output += "null"
        case .object(var members):
            members.shuffle(using: &random)
            let pretty = random.below(2) == 0
            let indent = pretty ? "\n" + String(repeating: "  ", count: depth + 1) : ""
            output += "{"
            for (index, member) in members.enumerated() {
                output += (index > 0 ? "," : "") + indent + "\"\(member.0)\":" + (pretty ? " " : "")
                write(member.1, into: &output, depth: depth + 1, random: &random)
            }
            output += (pretty ? "\n" + String(repeating: "  ", count: depth) : "") + "}"
        }
    }
}

extension FakeStripe {
    /// Adds events as they are (their own bytes).
    func add(_ events: FakeStripe.Event...) {
        state.withLock { $0.events += events }
    }
}
