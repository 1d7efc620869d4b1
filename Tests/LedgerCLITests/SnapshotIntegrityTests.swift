import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@testable import LedgerSnapshots

/// A snapshot is trusted only when the log recorded it: rows edited and the file's own digest recomputed
/// are caught by `snapshot verify` and never replayed from; recording is the projector role's; `ledger head`
/// recommends the check that proves a kept digest.
@Suite("integrity: snapshots recorded in the log")
struct SnapshotIntegrityTests {
    func object(_ output: ProcessOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
    }

    /// A key of the CLI's JSON, snake_case or camelCase.
    func value(_ object: [String: Any], _ snake: String, _ camel: String) -> Any? { object[snake] ?? object[camel] }

    /// Changes one row of `path` and stores the content digest its rows now hash to, as the writer computes it:
    /// the file is consistent with itself, so only the log can tell.
    func tamper(_ path: String) throws {
        let changed = try runSQLite(
            path,
            "UPDATE subscriptions SET amount_cents = amount_cents + 100 WHERE id = (SELECT min(id) FROM subscriptions)")
        #expect(changed.status == 0, "\(changed.standardError)")
        let database = try SQLiteDatabase(path: path, readOnly: true)
        let digest = try ContentDigest.compute(database)
        database.close()
        let stored = try runSQLite(path, "UPDATE snapshot_meta SET content_digest = '\(digest)'")
        #expect(stored.status == 0, "\(stored.standardError)")
        // The file alone passes every check it can make.
        try SnapshotFile.open(URL(fileURLWithPath: path)).verifyContent()
    }

    @Test func anEditedSnapshotWithARecomputedDigestFailsVerifyAndIsNeverReplayedFrom() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 20, months: 5, firstPart: 0.5)
            defer { loaded.remove() }
            var environment = loaded.environment
            environment["LEDGER_SNAPSHOT_DIR"] = loaded.directory.appendingPathComponent("snapshots").path
            try ingest(loaded.files[0], environment)
            let older = try object(try runLedger(["snapshot", "create", "--json"], environment: environment))
            try ingest(loaded.files[1], environment)
            let newerOutput = try runLedger(["snapshot", "create", "--json"], environment: environment)
            #expect(newerOutput.status == 0, "\(newerOutput.standardError)")
            let newer = try object(newerOutput)
            let olderPosition = try #require(older["position"] as? Int)
            let newerPosition = try #require(newer["position"] as? Int)
            #expect(try runLedger(["snapshot", "verify"], environment: environment).status == 0)
            let listed = try runLedger(["snapshot", "list", "--json"], environment: environment)
            let files = try #require(
                try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
            let newerPath = try #require(files.first?["path"] as? String)
            #expect(newerPath.hasSuffix("\(newerPosition).sqlite"))

            try tamper(newerPath)
            let verified = try runLedger(["snapshot", "verify"], environment: environment)
            #expect(verified.status == 1)
            let name = URL(fileURLWithPath: newerPath).lastPathComponent
            // The record follows the snapshot: it is the event after the newer snapshot's position.
            let line = verified.standardOutput.split(separator: "\n").first { $0.contains(name) }
            #expect(line?.contains("INVALID") == true, "\(verified.standardOutput)")
            #expect(
                line?.contains("content differs from what was recorded at position \(newerPosition + 1)") == true,
                "\(verified.standardOutput)")
            let olderLine = verified.standardOutput.split(separator: "\n").first { $0.hasPrefix("ok") }
            #expect(olderLine?.hasSuffix("position \(olderPosition)") == true, "\(verified.standardOutput)")

            // Replays skip it with a warning and start from the older one.
            _ = try runLedger(["rebuild", "--from-scratch"], environment: environment)
            let projected = try runLedger(["project", "--json"], environment: environment)
            #expect(projected.status == 0, "\(projected.standardError)")
            let report = try object(projected)
            #expect(value(report, "snapshot_position", "snapshotPosition") as? Int == olderPosition, "\(report)")
            #expect(projected.standardError.contains("content differs"), "\(projected.standardError)")
            let rebuilt = try object(try runLedger(["rebuild", "--json"], environment: environment))
            #expect(value(rebuilt, "snapshot_position", "snapshotPosition") as? Int == olderPosition, "\(rebuilt)")
            let audit = try runLedger(["verify", "--no-drift"], environment: environment)
            #expect(audit.status == 1 && audit.standardOutput.contains("content differs"), "\(audit.standardOutput)")
        }
    }

    @Test func aSnapshotTheLogDoesNotRecordIsRefused() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 5, months: 3)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let directory = SnapshotDirectory(url: loaded.directory.appendingPathComponent("snapshots"))
            // Written as a writer that crashed before recording it (or one from before migration 011) would.
            let connection = try database.connect()
            let identity: String = try connection.query("SELECT id::text FROM ledger.identity")[0].decode(at: 0)
            let hash = try #require(try EventStore(connection: connection).hash(at: 1))
            let file = try SnapshotWriter(directory: directory).write(
                LedgerProjections(configuration: ProjectionConfiguration()),
                origin: .init(databaseID: try #require(UUID(uuidString: identity)), position: 1, chainHash: hash),
                createdAt: EventTime(Date()))
            var environment = loaded.environment
            environment["LEDGER_SNAPSHOT_DIR"] = directory.url.path
            let verified = try runLedger(["snapshot", "verify"], environment: environment)
            #expect(verified.status == 1)
            #expect(
                verified.standardOutput.contains(
                    "\(file.url.lastPathComponent)  not recorded in the log: no snapshot record for position 1"),
                "\(verified.standardOutput)")
        }
    }

    @Test func onlyTheProjectorRoleRecordsSnapshotsAndNoAppenderCanForgeARecord() async throws {
        try await DocumentedRoles.with(migrating: .binary) { roles in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-roles-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            func ledger(as role: String, _ arguments: [String]) throws -> ProcessOutput {
                try runLedger(
                    arguments,
                    environment: ["DATABASE_URL": try roles.url(as: role), "LEDGER_SNAPSHOT_DIR": directory.path])
            }
            let appended = try ledger(
                as: "ingest", ["append", "--stream", "note:roles", "--type", "note.recorded", "--data", #"{"n":1}"#])
            #expect(appended.status == 0, "\(appended.standardError)")

            // A reader may verify snapshots, not record one; the file it wrote is removed.
            let refused = try ledger(as: "api", ["snapshot", "create"])
            #expect(refused.status == 1)
            #expect(refused.standardError.contains("permission denied"), "\(refused.standardError)")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            #expect(left.isEmpty, "\(left)")

            let created = try ledger(as: "worker", ["snapshot", "create"])
            #expect(created.status == 0, "\(created.standardError)")
            let verified = try ledger(as: "api", ["snapshot", "verify"])
            #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")

            // An appender cannot append a record by hand, for a file it edited or any other.
            let forged = try ledger(
                as: "ingest",
                [
                    "append", "--stream", SnapshotRecord.streamID, "--type", SnapshotRecord.type, "--data",
                    #"{"position":1}"#,
                ])
            #expect(forged.status == 1)
            #expect(forged.standardError.contains("ledger.record_snapshot()"), "\(forged.standardError)")
            let owner = try roles.connect(as: "owner")
            let events: Int64 = try owner.query("SELECT count(*) FROM ledger.events")[0].decode(at: 0)
            #expect(events == 2)
            let chain = try runLedger(
                ["verify", "--no-drift"],
                environment: ["DATABASE_URL": try roles.url(as: "api"), "LEDGER_SNAPSHOT_DIR": directory.path])
            #expect(chain.status == 0, "\(chain.standardOutput)\(chain.standardError)")
        }
    }

    /// Why `ledger head` recommends `--digest`: an event before the kept position, changed in place with its
    /// stored hashes left alone, passes `--from` and fails `--digest`.
    @Test func fromProvesNothingBeforeItsPositionAndDigestDoes() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 6, months: 4)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try object(try runLedger(["head", "--json"], environment: loaded.environment))
            let digest = try #require(head["digest"] as? String)
            #expect(try #require(head["position"] as? Int) > 40)
            try database.connect().execute(
                """
                SET session_replication_role = replica;
                UPDATE ledger.events SET body = convert_to('{"altered":true}', 'UTF8') WHERE position = 40;
                SET session_replication_role = origin
                """)
            let from = try runLedger(["verify", "--no-drift", "--from", digest], environment: loaded.environment)
            #expect(from.status == 0, "\(from.standardOutput)")
            let proven = try runLedger(["verify", "--no-drift", "--digest", digest], environment: loaded.environment)
            #expect(proven.status == 1, "\(proven.standardOutput)")
            #expect(proven.standardOutput.contains("position 40"), "\(proven.standardOutput)")
        }
    }

    @Test func headHelpRecommendsTheDigestCheckNotFrom() throws {
        let help = try runLedger(["head", "--help"])
        #expect(help.status == 0)
        let text = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("`ledger verify --digest POS:HASH` later proves nothing up to POS changed"), "\(text)")
        #expect(!text.contains("--from POS:HASH` later proves"), "\(text)")
        #expect(text.contains("`ledger verify --from POS:HASH` proves nothing about events up to POS"), "\(text)")
    }
}
