import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Issue 13's properties through the real binary: `ledger ingest stripe`, `project`, `rebuild --from-scratch`,
/// `digest`, `status`, `history` and `state` over mutated real Stripe events. A process killed by a signal
/// (132 SIGILL, 134 SIGABRT, …) is always a failure; a non-zero exit is a failure except `ingest`'s documented 1
/// when something was rejected.
@Suite("hostile input: the ledger binary", .serialized)
struct HostileInputCLITests {
    static let budget = HostileBudget.fromEnvironment
    static let boundedRounds = 5
    static let casesPerRound = 20
    /// The objects of the fixtures the poison events aim at, and their customers.
    static let references = [
        "sub_000000000000000000000000", "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw", "pi_000000000000000000000000",
        "pi_00000000000000", "pi_1PgafyB7WZ01zgkWSjxsAJo3", "cus_00000000000000", "cus_QXg1o8vcGmoR32",
    ]

    @Test func randomPoisonNeverStopsTheBinary() async throws {
        // A seed of its own (offset 1), so the CLI suite does not repeat the engine suite's logs.
        let failures = try await Self.budget.failures(
            "hostile CLI", seedOffset: 1, rounds: Self.boundedRounds, casesPerRound: Self.casesPerRound
        ) { try await Self.check($0) }
        for failure in failures { Issue.record("\(failure)") }
    }

    /// Failures 2, 3 and 4: every poison event of the issue, each followed by its genuine event, in one log
    /// through every command.
    @Test func issue13PoisonEventsThroughEveryCommand() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let cases = try HostileIssueCase.allCases.enumerated().map { try $1.hostileCase(generator, index: $0) }
        let problems = try await Self.check(cases)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// Failure 3: the poison alone must not freeze the checkpoint; `ledger status` still answers.
    @Test(arguments: HostileIssueCase.freezing + [.currentPeriodEndHuge, .canceledAtExponent, .createdYear5138])
    func issue13PoisonAloneLetsTheCheckpointReachTheHead(_ issueCase: HostileIssueCase) async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let hostile = try issueCase.hostileCase(generator, index: 0)
        try await Self.withLedger { database, environment, directory in
            var problems = try Self.ingest([hostile.poison], environment, directory)
            problems += Self.expectSuccess(try runLedger(["project", "--json"], environment: environment), "project")
            let (head, checkpoint) = try Self.positions(database)
            if checkpoint != head {
                problems.append("checkpoint \(checkpoint.map(String.init) ?? "none") of head \(head)")
            }
            problems += Self.expectSuccess(try runLedger(["status", "--json"], environment: environment), "status")
            let unexplained = try database.connect().query(
                "SELECT count(*) FROM ledger.parked WHERE length(btrim(reason)) = 0")[0].decode(Int.self, at: 0)
            if unexplained > 0 { problems.append("\(unexplained) parked rows without a reason") }
            #expect(problems.isEmpty, "\(hostile)\n\(problems.joined(separator: "\n"))")
        }
    }

    /// Failure 4: a `created` in year 5138 must not pin the subscription; its history says what became of it.
    @Test func issue13FarFutureCreatedDoesNotPinTheObject() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let hostile = try HostileIssueCase.createdYear5138.hostileCase(generator, index: 0)
        try await Self.withLedger { database, environment, directory in
            _ = try Self.ingest([hostile.poison, hostile.followUp], environment, directory)
            _ = try runLedger(["project"], environment: environment)
            let stale = try HostileChecks.staleRows([hostile], connection: try database.connect())
            #expect(stale.isEmpty, "\(stale)")
            let history = try runLedger(
                ["history", "sub_000000000000000000000000", "--json"], environment: environment)
            let entries = Self.jsonLines(history.standardOutput)
            let poison = entries.first { Self.sourceEventID($0) == hostile.poisonEventID }
            if let poison {
                #expect(poison["outcome"] as? String != "applied", "the future event was applied: \(poison)")
                #expect((poison["reason"] as? String ?? "").isEmpty == false, "\(poison)")
            }
            let followUp = entries.first { Self.sourceEventID($0) == hostile.followUpEventID }
            #expect(followUp?["outcome"] as? String == "applied", "\(history.standardOutput)")
        }
    }

    /// Failure 5: events whose object has no id (`balance.available`, `invoice.upcoming`) are valid Stripe
    /// events: `ledger ingest` stores them.
    @Test func issue13EventsWithoutAnObjectIDAreStored() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        var documents: [[UInt8]] = []
        for (index, name) in ["2026-07-29/balance.available", "2020-08-27/invoice.upcoming"].enumerated() {
            var event = try generator.template(name).event
            event.set("id", .text("evt_issue13_no_object_id_\(index)"))
            documents.append(event.bytes)
        }
        try await Self.withLedger { database, environment, directory in
            let file = directory.appendingPathComponent("no-object-id.jsonl")
            try Data(documents.map { $0 + [0x0A] }.joined()).write(to: file)
            let output = try runLedger(["ingest", "stripe", file.path, "--json"], environment: environment)
            #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
            let stored = try database.connect().query(
                "SELECT count(*) FROM ledger.events WHERE source_event_id LIKE 'evt_issue13_no_object_id_%'")[0]
                .decode(Int.self, at: 0)
            #expect(stored == 2, "\(output.standardOutput)")
        }
    }

    /// Failure 6: an object id over 512 UTF-8 bytes (171 euro signs) costs only its own line: the file's
    /// valid events are written, the long one is stored or rejected with its line; a BOM costs nothing.
    @Test func issue13OneLongIDDoesNotAbortTheFile() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let template = try generator.template("2020-08-27/customer.subscription.updated")
        var documents: [[UInt8]] = []
        for index in 0..<3 {
            var event = template.event
            event.set("id", .text("evt_issue13_long_\(index)"))
            event.set("created", .number(String(HostileGenerator.firstCreated + Int64(index))))
            if index == 1 {
                HostileFixtures.setObjectMember(&event, "id", .text("sub_" + String(repeating: "€", count: 171)))
            }
            documents.append(event.bytes)
        }
        try await Self.withLedger { database, environment, directory in
            let file = directory.appendingPathComponent("long-id.jsonl")
            try Data(([0xEF, 0xBB, 0xBF] + documents.map { $0 + [0x0A] }.joined())).write(to: file)
            let output = try runLedger(["ingest", "stripe", file.path, "--json"], environment: environment)
            #expect([0, 1].contains(output.status), "\(output.status): \(output.standardError)")
            let connection = try database.connect()
            let stored = Set(
                try connection.query("SELECT source_event_id FROM ledger.events").map {
                    try $0.decode(String.self, at: 0)
                })
            #expect(stored.contains("evt_issue13_long_0"), "the event after the BOM was lost: \(output.standardError)")
            #expect(stored.contains("evt_issue13_long_2"), "the file was aborted: \(output.standardError)")
            if !stored.contains("evt_issue13_long_1") {
                let origins = try connection.query("SELECT origin FROM ledger.rejected_inputs").map {
                    try $0.decode(String.self, at: 0)
                }
                #expect(origins.contains { $0.hasSuffix(":2") }, "not stored, not rejected with its line: \(origins)")
            }
        }
    }

    /// Failure 6: a document over 1 MiB is rejected, and if its body is kept truncated the reason says so.
    @Test func issue13AnOversizedDocumentIsRejectedAndSaysIfItWasTruncated() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        var event = try generator.template("2020-08-27/customer.subscription.updated").event
        event.set("id", .text("evt_issue13_huge"))
        HostileFixtures.setObjectMember(&event, "description", .text(String(repeating: "h", count: 1_100_000)))
        var valid = try generator.template("2020-08-27/payment_intent.succeeded").event
        valid.set("id", .text("evt_issue13_after_huge"))
        try await Self.withLedger { database, environment, directory in
            let file = directory.appendingPathComponent("huge.jsonl")
            try Data(event.bytes + [0x0A] + valid.bytes + [0x0A]).write(to: file)
            let output = try runLedger(["ingest", "stripe", file.path, "--json"], environment: environment)
            #expect([0, 1].contains(output.status), "\(output.status): \(output.standardError)")
            let connection = try database.connect()
            #expect(
                try connection.query(
                    "SELECT count(*) FROM ledger.events WHERE source_event_id = 'evt_issue13_after_huge'")[0]
                    .decode(Int.self, at: 0) == 1)
            for row in try connection.query("SELECT length(body), reason FROM ledger.rejected_inputs") {
                let length = try row.decode(Int.self, at: 0)
                let reason = try row.decode(String.self, at: 1)
                if length < event.bytes.count {
                    #expect(
                        ["kept", "truncat"].contains { reason.lowercased().contains($0) },
                        "kept \(length) of \(event.bytes.count) bytes: \(reason)")
                }
            }
        }
    }

    // MARK: - The properties

    /// Every property of the issue for one log through the binary; returns what failed, as messages.
    static func check(_ cases: [HostileCase]) async throws -> [String] {
        try await withLedger { database, environment, directory in
            var problems = try ingest(HostileChecks.documents(cases), environment, directory)
            let connection = try database.connect()
            problems += try HostileChecks.unaccounted(HostileChecks.documents(cases), connection: connection)
            problems += expectSuccess(
                try runLedger(["project", "--batch-size", "5"], environment: environment), "project")
            let (head, checkpoint) = try positions(database)
            if checkpoint != head {
                problems.append("project stopped at \(checkpoint.map(String.init) ?? "none") of \(head)")
            }
            problems += try HostileChecks.staleRows(cases, connection: connection).map { "after project: \($0)" }
            let caughtUp = try runLedger(["digest", "--json"], environment: environment)
            problems += expectSuccess(caughtUp, "digest")
            problems += expectSuccess(
                try runLedger(["rebuild", "--from-scratch", "--json"], environment: environment),
                "rebuild --from-scratch")
            let rebuilt = try runLedger(["digest", "--json"], environment: environment)
            if rebuilt.standardOutput != caughtUp.standardOutput {
                problems.append("rebuild ≠ catch-up: \(caughtUp.standardOutput) vs \(rebuilt.standardOutput)")
            }
            problems += expectSuccess(try runLedger(["status", "--json"], environment: environment), "status")
            problems += try audits(cases, environment: environment, head: head)
            return problems
        }
    }

    /// `ledger history` and `ledger state` of every fixture object: exit 0, verdicts with reasons, and each
    /// subscription's or PaymentIntent's follow-up applied.
    static func audits(_ cases: [HostileCase], environment: [String: String], head: Int64) throws -> [String] {
        var problems: [String] = []
        var followUps: [String: HostileCase] = [:]
        for hostile in cases where hostile.followUpHasRow { followUps[hostile.followUpEventID] = hostile }
        var seenFollowUps: Set<String> = []
        // History of each subscription and PaymentIntent; state of each customer (all its rows) and of the
        // customer-less PaymentIntent: every object is read by both commands, with as few processes as that takes.
        for reference in references where !reference.hasPrefix("cus_") {
            let history = try runLedger(
                ["history", reference, "--include-payments", "--json"], environment: environment)
            // A reference with no event in this log is a documented "not found" failure (exit 1).
            if history.status == 1, history.standardError.contains("no event") { continue }
            problems += expectSuccess(history, "history \(reference)")
            for entry in jsonLines(history.standardOutput) {
                let outcome = entry["outcome"] as? String ?? ""
                if outcome != "applied", (entry["reason"] as? String ?? "").isEmpty {
                    problems.append("history \(reference): \(outcome) without a reason at \(entry["position"] ?? "?")")
                }
                guard let id = sourceEventID(entry), followUps[id] != nil else { continue }
                seenFollowUps.insert(id)
                if outcome != "applied" {
                    problems.append("follow-up \(id) is \(outcome): \(entry["reason"] as? String ?? "")")
                }
            }
        }
        for reference in references where reference.hasPrefix("cus_") || reference == "pi_000000000000000000000000" {
            let state = try runLedger(
                ["state", reference, "--at-position", "\(head)", "--json"], environment: environment)
            if !(state.status == 1 && state.standardError.contains("no event")) {
                problems += expectSuccess(state, "state \(reference)")
            }
        }
        for id in followUps.keys.sorted() where !seenFollowUps.contains(id) {
            problems.append("no history shows the follow-up \(id)")
        }
        return problems
    }

    // MARK: - Helpers

    /// A migrated database with the test license, a scratch directory and the binary's environment.
    static func withLedger<T>(
        _ body: (TestDatabase, [String: String], URL) async throws -> T
    ) async throws -> T {
        try await TestDatabase.with { database in
            let environment = ["DATABASE_URL": database.url, "LEDGER_LOG_LEVEL": "warning"]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let migrated = try runLedger(["migrate", "up"], environment: environment)
            guard migrated.status == 0 else { throw TestSupportError("migrate up: \(migrated.standardError)") }
            try database.connect().execute(HostileFixtures.licenseSQL)
            return try await body(database, environment, directory)
        }
    }

    /// `ledger ingest stripe` of the documents as one JSON Lines file; exit 1 only when something was rejected.
    static func ingest(_ documents: [[UInt8]], _ environment: [String: String], _ directory: URL) throws -> [String] {
        let file = directory.appendingPathComponent("hostile-\(UUID()).jsonl")
        try Data(documents.map { $0 + [0x0A] }.joined()).write(to: file)
        let output = try runLedger(["ingest", "stripe", file.path, "--json"], environment: environment)
        if output.status == 1 {
            let report = try? JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
            if (report?["rejected"] as? Int ?? 0) > 0 { return [] }
        }
        return expectSuccess(output, "ingest stripe")
    }

    /// A problem unless the command exited 0; a signal is named as a crash.
    static func expectSuccess(_ output: ProcessOutput, _ command: String) -> [String] {
        guard output.status != 0 else { return [] }
        let crash = (0...3).contains(output.status) ? "" : " (killed by a signal or crashed)"
        return ["ledger \(command) exited \(output.status)\(crash): \(output.standardError.suffix(1500))"]
    }

    static func positions(_ database: TestDatabase) throws -> (head: Int64, checkpoint: Int64?) {
        let row = try database.connect().query(
            """
            SELECT (SELECT position FROM ledger.head),
                   (SELECT position FROM ledger.checkpoints WHERE projection = 'billing')
            """)[0]
        return (try row.decode(at: 0), try row.decode(Int64?.self, at: 1))
    }

    /// A history entry's Stripe event id (`ledger history --json` keys are snake_case, as everywhere).
    static func sourceEventID(_ entry: [String: Any]) -> String? {
        entry["source_event_id"] as? String
    }

    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
