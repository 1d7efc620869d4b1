import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// Issue 13's properties on the webhook path: mutated real Stripe events, correctly signed, posted to a
/// running `ledger serve`. Never a 5xx (the database is up), the process stays up, every 2xx body is stored,
/// every 400 body is in `rejected_inputs`, and the live projector keeps moving: the genuine event after
/// each poison one reaches its row.
@Suite("hostile input: ledger serve webhooks", .serialized)
struct HostileWebhookPropertyTests {
    static let budget = HostileBudget.fromEnvironment
    static let boundedRounds = 8
    static let casesPerRound = 25

    @Test func signedPoisonNeverTakesTheServerOrItsProjectorDown() async throws {
        let failures = try await Self.budget.failures(
            "hostile webhooks", seedOffset: 2, rounds: Self.boundedRounds, casesPerRound: Self.casesPerRound,
            unit: "requests"
        ) { try await Self.check($0) }
        for failure in failures { Issue.record("\(failure)") }
    }

    /// Failures 2–4 on the webhook path: the issue's poison events, each followed by its genuine event.
    @Test func issue13PoisonEventsSignedAndPostedKeepTheServerAndProjectorGoing() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let cases = try HostileIssueCase.allCases.enumerated().map { index, issueCase in
            try issueCase.hostileCase(generator, index: index)
        }
        let problems = try await Self.check(cases)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// Failure 2: a stored event with a huge time must not stop `serve` from starting again.
    @Test func issue13ServeRestartsOnALogHoldingHugeTimes() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let cases = try [HostileIssueCase.currentPeriodEndHuge, .canceledAtExponent].enumerated().map {
            try $1.hostileCase(generator, index: $0)
        }
        try await TestDatabase.withMigrated { database in
            try database.connect().execute(HostileFixtures.licenseSQL)
            let first = try await ServedLedger.start(databaseURL: database.url)
            for hostile in cases {
                _ = try await first.postWebhook(hostile.poison, signature: sign(hostile.poison))
            }
            let stopped = await first.stop()
            #expect(stopped.status == 0, "first serve: \(stopped.standardError.suffix(1500))")
            // The restart replays the stored poison.
            let second = try await ServedLedger.start(databaseURL: database.url)
            for hostile in cases {
                let response = try await second.postWebhook(hostile.followUp, signature: sign(hostile.followUp))
                #expect(response.status == 200, "\(response.text)")
            }
            try await Self.waitForProjector(second, database: database)
            let stale = try HostileChecks.staleRows(cases, connection: try database.connect())
            #expect(stale.isEmpty, "\(stale)")
            let output = await second.stop()
            #expect(output.status == 0, "restarted serve: \(output.standardError.suffix(1500))")
        }
    }

    /// Failure 5: a signed, well-formed Stripe event is acknowledged and stored whatever its type, even when
    /// its object has no id (`balance.available`, `invoice.upcoming`).
    @Test(arguments: ["2026-07-29/balance.available", "2020-08-27/invoice.upcoming"])
    func issue13SignedEventWithoutAnObjectIDIsAcknowledgedAndStored(_ name: String) async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        var event = try generator.template(name).event
        let id = "evt_issue13_no_id_" + (name.split(separator: "/").last ?? "").replacingOccurrences(of: ".", with: "_")
        event.set("id", .text(id))
        let body = event.bytes
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            let signature = try await PythonTools.stripeSignatures([(body, ServedLedger.secret, unixNow())])[0]
            let response = try await server.postWebhook(body, signature: signature)
            #expect((200..<300).contains(response.status), "\(name): \(response.status) \(response.text)")
            #expect(try storedCount(database, sourceEventID: id) == 1)
            await server.stop()
        }
    }

    // MARK: - The properties

    /// Posts every case's poison and follow-up, signed, and returns what broke, as messages.
    static func check(_ cases: [HostileCase]) async throws -> [String] {
        try await TestDatabase.withMigrated { database in
            try database.connect().execute(HostileFixtures.licenseSQL)
            let server = try await ServedLedger.start(databaseURL: database.url)
            var problems: [String] = []
            var accepted: [[UInt8]] = []
            var refused: [[UInt8]] = []
            for hostile in cases {
                for (name, body) in [("poison", hostile.poison), ("follow-up", hostile.followUp)] {
                    let response: LoopbackHTTPResponse
                    do {
                        response = try await server.postWebhook(body, signature: sign(body))
                    } catch {
                        problems.append("case \(hostile.index) \(name): no answer (\(error))")
                        continue
                    }
                    switch response.status {
                    case 200..<300: accepted.append(body)
                    case 400: refused.append(body)
                    default:
                        problems.append(
                            "case \(hostile.index) \(name): \(response.status) \(response.text.prefix(500))")
                    }
                    if name == "follow-up", !(200..<300).contains(response.status) {
                        problems.append("case \(hostile.index): the genuine follow-up got \(response.status)")
                    }
                }
                guard server.process.isRunning else {
                    problems.append("ledger serve exited after case \(hostile.index)")
                    break
                }
            }
            if server.process.isRunning {
                let health = try await server.request("GET", "/healthz")
                if health.status != 200 { problems.append("/healthz answered \(health.status)") }
                try await waitForProjector(server, database: database)
            }
            let connection = try database.connect()
            problems += try missing(accepted, from: "ledger.events", connection).map { "answered 2xx but \($0)" }
            problems += try missing(refused, from: "ledger.rejected_inputs", connection).map {
                "answered 400 but \($0)"
            }
            problems += try HostileChecks.staleRows(cases, connection: connection).map { "live projector: \($0)" }
            let output = await server.stop()
            if output.status != 0 {
                problems.append("ledger serve exited \(output.status): \(output.standardError.suffix(1500))")
            }
            return problems
        }
    }

    /// The bodies of `documents` not stored byte for byte in `table`.
    static func missing(_ documents: [[UInt8]], from table: String, _ connection: PostgresConnection) throws
        -> [String]
    {
        var stored: [String: Int] = [:]
        // The table name is one of two constants above, never input.
        for row in try connection.query("SELECT encode(body, 'hex') FROM \(table)") {
            stored[try row.decode(String.self, at: 0), default: 0] += 1
        }
        var problems: [String] = []
        for document in documents {
            let key = HostileChecks.hex(document)
            if let count = stored[key], count > 0 {
                stored[key] = count - 1
            } else {
                problems.append("not in \(table): \(String(decoding: document.prefix(300), as: UTF8.self))")
            }
        }
        return problems
    }

    /// Waits until the server's projector has applied the whole log (the read API's status says so).
    static func waitForProjector(_ server: ServedLedger, database: TestDatabase) async throws {
        let head = try EventStore(connection: try database.connect()).head().position
        try await waitUntil("the live projector reached position \(head)", timeout: .seconds(60)) {
            let status = try await server.get("/v1/status").json
            let projector = status?["projector"] as? [String: Any]
            return ((projector?["checkpoint"] as? NSNumber)?.int64Value ?? -1) >= head
        }
    }
}
