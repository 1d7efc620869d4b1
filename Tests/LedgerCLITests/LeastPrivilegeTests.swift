import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Every `ledger` command runs under the least-privileged role docs/operations.md gives it, and
/// fails (with PostgreSQL's "permission denied", never a partial write) under a role that lacks it.
@Suite("least privilege: ledger commands")
struct LeastPrivilegeCommandTests {
    /// `ledger` as the documented login `role` (`owner`, `ingest`, `worker`, `api`, `analytics`).
    func ledger(_ roles: DocumentedRoles, as role: String, _ arguments: [String]) throws -> ProcessOutput {
        try runLedger(arguments, environment: ["DATABASE_URL": try roles.url(as: role)])
    }

    func count(_ roles: DocumentedRoles, _ sql: String) throws -> Int64 {
        try roles.connect(as: "owner").query(sql)[0].decode(at: 0)
    }

    @Test func eachCommandRunsUnderItsDocumentedRole() async throws {
        try await DocumentedRoles.with(migrating: .binary) { roles in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("least-privilege-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let events = directory.appendingPathComponent("events.jsonl")
            let fixtures = directory.appendingPathComponent("fixtures.sql")
            let generated = try runLedger([
                "generate", "--customers", "4", "--months", "3", "--seed", "5", "--out", events.path,
                "--fixtures-sql", fixtures.path,
            ])
            #expect(generated.status == 0, "\(generated.standardError)")
            // The application's own licenses belong to the owner, as in production.
            try roles.connect(as: "owner").execute(try String(contentsOf: fixtures, encoding: .utf8))

            let ingested = try ledger(roles, as: "ingest", ["ingest", "stripe", events.path])
            #expect(ingested.status == 0, "\(ingested.standardError)")
            let invalid = directory.appendingPathComponent("invalid.jsonl")
            try Data("{\"not\": \"an event\"}\n".utf8).write(to: invalid)
            let rejected = try ledger(roles, as: "ingest", ["ingest", "stripe", invalid.path])
            #expect(rejected.status == 1 && !rejected.standardError.contains("permission denied"), "\(rejected)")
            #expect(try count(roles, "SELECT count(*) FROM ledger.rejected_inputs") == 1)
            let appended = try ledger(
                roles, as: "ingest",
                ["append", "--stream", "note:least-privilege", "--type", "note.recorded", "--data", #"{"n":1}"#])
            #expect(appended.status == 0, "\(appended.standardError)")
            let head = try count(roles, "SELECT position FROM ledger.head")
            #expect(head == (try count(roles, "SELECT count(*) FROM ledger.events")))

            let snapshots = ["--snapshot-dir", directory.appendingPathComponent("snapshots").path]
            let projected = try ledger(roles, as: "worker", ["project"] + snapshots)
            #expect(projected.status == 0, "\(projected.standardError)")
            #expect(try count(roles, "SELECT position FROM ledger.checkpoints WHERE projection = 'billing'") == head)
            let rebuilt = try ledger(roles, as: "worker", ["rebuild", "--from-scratch"] + snapshots)
            #expect(rebuilt.status == 0, "\(rebuilt.standardError)")

            let status = try ledger(roles, as: "api", ["status"])
            #expect(status.status == 0, "\(status.standardError)")
            let exported = try ledger(roles, as: "api", ["export", "events"])
            #expect(exported.status == 0, "\(exported.standardError)")
            #expect(exported.standardOutput.split(separator: "\n").count == head)
            let subscription: String = try roles.connect(as: "owner").query(
                "SELECT stripe_subscription_id FROM public.subscriptions ORDER BY 1 LIMIT 1")[0].decode(at: 0)
            let history = try ledger(roles, as: "api", ["history", subscription])
            #expect(history.status == 0, "\(history.standardError)")
            #expect(history.standardOutput.contains("customer.subscription.created"))
            let state = try ledger(roles, as: "api", ["state", subscription, "--at-position", "\(head)"])
            #expect(state.status == 0, "\(state.standardError)")
            for arguments in [["digest"], ["report", "mrr", "--from", "2020-01", "--to", "2039-12"]] {
                let output = try ledger(roles, as: "api", arguments)
                #expect(output.status == 0, "\(arguments): \(output.standardError)")
            }
            // Writing a snapshot records it in the log (ledger.record_snapshot): the projector's.
            let snapshotted = try ledger(
                roles, as: "worker",
                ["snapshot", "create", "--snapshot-dir", directory.appendingPathComponent("snapshots").path])
            #expect(snapshotted.status == 0, "\(snapshotted.standardError)")
            let verified = try ledger(roles, as: "api", ["verify"] + snapshots)
            #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
            let consumed = try ledger(roles, as: "analytics", ["consume", "--group", "jobs", "--max", "5"])
            #expect(consumed.status == 0, "\(consumed.standardError)")
        }
    }

    @Test func aCommandUnderTooSmallARoleIsRefusedAndWritesNothing() async throws {
        try await DocumentedRoles.with(migrating: .binary) { roles in
            let appended = try ledger(
                roles, as: "ingest", ["append", "--stream", "note:a", "--type", "note.recorded", "--data", "{}"])
            #expect(appended.status == 0, "\(appended.standardError)")
            let refused: [(role: String, arguments: [String])] = [
                ("api", ["append", "--stream", "note:b", "--type", "note.recorded", "--data", "{}"]),
                ("worker", ["append", "--stream", "note:b", "--type", "note.recorded", "--data", "{}"]),
                ("ingest", ["project", "--snapshot-dir", FileManager.default.temporaryDirectory.path + "/lp-none"]),
                ("api", ["consume", "--group", "jobs"]),
                ("api", ["migrate", "up"]),
            ]
            for (role, arguments) in refused {
                let output = try ledger(roles, as: role, arguments)
                #expect(output.status != 0, "\(role) \(arguments)")
                #expect(output.standardError.contains("permission denied"), "\(role) \(arguments): \(output)")
            }
            #expect(try count(roles, "SELECT count(*) FROM ledger.events") == 1)
            #expect(try count(roles, "SELECT count(*) FROM ledger.checkpoints") == 0)
            #expect(try count(roles, "SELECT count(*) FROM ledger.consumers") == 0)
        }
    }
}
