import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Issue 13's properties, checked in process: mutated real Stripe events go through `StripeIngestor`, the
/// catch-up `Projector`, a rebuild from scratch and the audit history/state, on a throwaway database each.
///
/// A run is reproducible from its seed (`LEDGER_FUZZ_SEED`, printed); `LEDGER_FUZZ_SECONDS` runs more rounds.
@Suite("hostile input: engine in process", .serialized)
struct HostileInputPropertyTests {
    static let budget = HostileBudget.fromEnvironment
    /// The bounded run: rounds × cases per round poison events, each with its genuine follow-up.
    static let boundedRounds = 8
    static let casesPerRound = 20

    @Test func randomPoisonNeverStopsIngestProjectionRebuildOrAudit() async throws {
        let failures = try await Self.budget.failures(
            "hostile engine", seedOffset: 0, rounds: Self.boundedRounds, casesPerRound: Self.casesPerRound
        ) { try await Self.check($0, printsSummary: true) }
        for failure in failures { Issue.record("\(failure)") }
    }

    /// Failures 2, 3 and 4: every poison event of the issue, each followed by its genuine event, in one log.
    @Test func issue13PoisonEventsNeverStopTheEngine() async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let cases = try HostileIssueCase.allCases.enumerated().map { try $1.hostileCase(generator, index: $0) }
        let problems = try await Self.check(cases)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The poison alone: the projection finishes at the head, and the object is parked or left without a row —
    /// never a frozen checkpoint. Then the follow-up alone repairs the row.
    @Test(arguments: HostileIssueCase.freezing + [.createdYear5138])
    func issue13PoisonAloneIsParkedAndTheCheckpointReachesTheHead(_ issueCase: HostileIssueCase) async throws {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let hostile = try issueCase.hostileCase(generator, index: 0)
        try await TestDatabase.withMigrated { database in
            try database.connect().execute(HostileFixtures.licenseSQL)
            _ = try Self.ingest([hostile.poison], into: database)
            let report = try project(database)
            let head = try EventStore(connection: try database.connect()).head().position
            #expect(report.position == head, "\(hostile)")
            _ = try Self.ingest([hostile.followUp], into: database)
            #expect(try project(database).position == head + 1, "\(hostile)")
            let stale = try HostileChecks.staleRows([hostile], connection: try database.connect())
            #expect(stale.isEmpty, "\(hostile)\n\(stale)")
        }
    }

    /// Every property of the issue for one log; returns what failed, as messages.
    static func check(_ cases: [HostileCase], printsSummary: Bool = false) async throws -> [String] {
        try await TestDatabase.withMigrated { database in
            var problems: [String] = []
            let connection = try database.connect()
            try connection.execute(HostileFixtures.licenseSQL)
            let documents = HostileChecks.documents(cases)
            do {
                _ = try ingest(documents, into: database)
            } catch {
                return ["ingest failed: \(error)"]
            }
            problems += try HostileChecks.unaccounted(documents, connection: connection)
            // Small batches, so a poison event shares its batch with few others.
            do {
                let report = try project(database, batchSize: 7)
                let head = try EventStore(connection: connection).head().position
                if report.position != head { problems.append("catch-up stopped at \(report.position) of \(head)") }
            } catch {
                return problems + ["catch-up failed: \(error)"]
            }
            let caughtUp = try digests(database)
            problems += try HostileChecks.staleRows(cases, connection: connection).map { "after catch-up: \($0)" }
            problems += try verdicts(cases, connection: connection, printsSummary: printsSummary)
            problems += try audits(connection)
            let parkedWithoutReason = try connection.query(
                "SELECT count(*) FROM ledger.parked WHERE length(btrim(reason)) = 0")[0].decode(Int.self, at: 0)
            if parkedWithoutReason > 0 { problems.append("\(parkedWithoutReason) parked rows have no reason") }
            do {
                let rebuilt = try rebuild(database)
                if !rebuilt.drift.allSatisfy({ $0.total == 0 }) {
                    problems.append("rebuild from scratch differs from catch-up: \(rebuilt.drift)")
                }
                if try digests(database) != caughtUp { problems.append("rebuild digests differ from catch-up") }
            } catch {
                problems.append("rebuild from scratch failed: \(error)")
            }
            return problems
        }
    }

    /// Each follow-up does in the hostile log what it does in a log of the follow-ups alone: a poison event
    /// before it changes nothing about it. Every ignored or parked event says why.
    static func verdicts(_ cases: [HostileCase], connection: PostgresConnection, printsSummary: Bool = false) throws
        -> [String]
    {
        var events: [RecordedEvent] = []
        while true {
            let batch = try EventStore(connection: connection).read(after: events.last?.position ?? 0)
            if batch.isEmpty { break }
            events += batch
        }
        let followUpIDs = Set(cases.map(\.followUpEventID))
        var full = ProjectionState()
        var reference = ProjectionState()
        var problems: [String] = []
        var expected: [String: ApplyOutcome] = [:]
        for event in events where followUpIDs.contains(event.sourceEventID ?? "") {
            expected[event.sourceEventID ?? ""] = reference.apply(event)
        }
        var tally: [String: Int] = [:]
        defer {
            if printsSummary {
                let rejected =
                    (try? connection.query("SELECT count(*) FROM ledger.rejected_inputs")[0].decode(Int.self, at: 0))
                    ?? -1
                print(
                    "hostile engine: \(cases.count * 2) delivered, \(events.count) stored, \(rejected) rejected; "
                        + tally.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }
        for event in events {
            let outcome = full.apply(event)
            switch outcome {
            case .applied: tally["applied", default: 0] += 1
            case .ignored: tally["ignored", default: 0] += 1
            case .parked: tally["parked", default: 0] += 1
            }
            let reason: String? =
                switch outcome {
                case .applied: nil
                case .ignored(let reason): reason.description
                case .parked(let reason): reason.description
                }
            if reason?.isEmpty == true { problems.append("position \(event.position) has a verdict without a reason") }
            guard let id = event.sourceEventID, let wanted = expected[id], outcome != wanted else { continue }
            problems.append("follow-up \(id) at \(event.position): \(outcome), alone it is \(wanted)")
        }
        return problems
    }

    /// The history and the state of every subscription, PaymentIntent and customer in the log can be read.
    static func audits(_ connection: PostgresConnection) throws -> [String] {
        var references: [AuditReference] = []
        for row in try connection.query("SELECT DISTINCT stream_id FROM ledger.events ORDER BY 1") {
            let stream = try row.decode(String.self, at: 0)
            if let id = StreamID.key(of: stream, in: .subscription) { references.append(.subscription(id)) }
            if let id = StreamID.key(of: stream, in: .payment) { references.append(.paymentIntent(id)) }
        }
        for row in try connection.query(
            "SELECT DISTINCT customer_id FROM ledger.events WHERE customer_id IS NOT NULL ORDER BY 1")
        {
            references.append(.customer(try row.decode(String.self, at: 0)))
        }
        var problems: [String] = []
        for reference in references {
            do {
                let history = try AuditHistory.build(reference, includePayments: true, connection: connection)
                for entry in history.entries where entry.outcome != .applied && (entry.reason ?? "").isEmpty {
                    problems.append("history of \(reference): position \(entry.position) has no reason")
                }
                _ = try AuditState.build(reference, cut: .everything, connection: connection)
            } catch {
                problems.append("audit of \(reference) failed: \(error)")
            }
        }
        return problems
    }

    /// Ingests the documents as one JSON Lines input.
    @discardableResult
    static func ingest(_ documents: [[UInt8]], into database: TestDatabase) throws -> IngestReport {
        let ingestor = StripeIngestor(connection: try database.connect())
        var remaining = documents[...]
        try ingestor.ingest(origin: "hostile.jsonl") {
            guard let document = remaining.popFirst() else { return nil }
            return document + [0x0A]
        }
        return try ingestor.finish()
    }
}
