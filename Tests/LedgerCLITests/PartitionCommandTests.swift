import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger partition and verify --archive")
struct PartitionCommandTests {
    /// 12,000 events in 5,000-event partitions and a snapshot record at the head.
    func partitionedLog(_ database: TestDatabase) throws -> [String: String] {
        let connection = try database.connect()
        try connection.execute("SELECT ledger.set_events_per_partition(5000)")
        let store = EventStore(connection: connection)
        for round in 0..<3 {
            let events = (0..<4_000).map { index in
                NewEvent(
                    eventID: UUID(), streamID: "s:\(index % 11)", type: "test.happened", source: "ledger",
                    sourceEventID: nil, occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000 + Int64(round)),
                    body: Array("{\"n\":\(index)}".utf8))
            }
            try store.append(AppendBatch(events: events), recordedAt: EventTime(Date()))
        }
        let head = try store.head()
        _ = try store.recordSnapshot(
            SnapshotRecord(
                position: head.position, chainHash: HexEncoding.encode(head.hash), projectorVersion: 1,
                formatVersion: 1, contentDigest: String(repeating: "b", count: 64)))
        return ["DATABASE_URL": database.url]
    }

    /// Runs `body` with the environment of a ``partitionedLog(_:)`` and a path for an archive file.
    func withPartitionedLog(_ body: (_ environment: [String: String], _ archive: String) throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            let environment = try partitionedLog(database)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("partition-cli-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try body(environment, directory.appendingPathComponent("p1.ledger").path)
        }
    }

    @Test func detachArchiveVerifyAndAttachFromTheCommandLine() async throws {
        try await withPartitionedLog { environment, archive in

            let listed = try runLedger(["partition", "list", "--json"], environment: environment)
            #expect(listed.status == 0, "\(listed.standardError)")
            let partitions = try #require(
                try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
            #expect(partitions.first?["name"] as? String == "events_p000001")
            #expect(partitions.first?["events"] as? Int == 5_000)

            #expect(try runLedger(["partition", "detach", "events_p000002"], environment: environment).status == 1)
            let detached = try runLedger(["partition", "detach", "events_p000001"], environment: environment)
            #expect(detached.status == 0, "\(detached.standardError)")
            let archived = try runLedger(
                ["partition", "archive", "events_p000001", "--output", archive], environment: environment)
            #expect(archived.status == 0, "\(archived.standardError)")

            // Without the archive, verify says which positions it cannot check; with it, the chain verifies.
            let blind = try runLedger(["verify", "--no-drift"], environment: environment)
            #expect(blind.status == 1)
            #expect(
                blind.standardError.contains("positions 1…5000 are in detached partitions"), "\(blind.standardError)")
            let verified = try runLedger(["verify", "--no-drift", "--archive", archive], environment: environment)
            #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
            #expect(verified.standardOutput.contains("archive    ok"), "\(verified.standardOutput)")

            // One changed byte of an archived body fails it.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
            let body = try #require(bytes.range(of: Data("{\"n\":17}".utf8)))
            bytes[body.lowerBound + 5] = UInt8(ascii: "8")
            try bytes.write(to: URL(fileURLWithPath: archive))
            let tampered = try runLedger(
                ["verify", "--no-drift", "--json", "--archive", archive], environment: environment)
            #expect(tampered.status == 1)
            #expect(tampered.standardOutput.contains("hash mismatch"), "\(tampered.standardOutput)")

            let attached = try runLedger(["partition", "attach", "events_p000001"], environment: environment)
            #expect(attached.status == 0, "\(attached.standardError)")
            #expect(try runLedger(["verify", "--no-drift"], environment: environment).status == 0)
        }
    }

    @Test func dropAndRestoreFromTheCommandLine() async throws {
        try await withPartitionedLog { environment, archive in
            let before = try runLedger(["export", "events"], environment: environment)
            #expect(before.status == 0, "\(before.standardError)")

            #expect(try runLedger(["partition", "detach", "events_p000001"], environment: environment).status == 0)
            #expect(
                try runLedger(
                    ["partition", "archive", "events_p000001", "--output", archive], environment: environment
                )
                .status == 0)
            let missing = try runLedger(
                ["partition", "drop", "events_p000001", "--archive", archive + ".missing"], environment: environment)
            #expect(missing.status != 0)
            #expect(missing.standardError.contains("cannot open"), "\(missing.standardError)")
            let dropped = try runLedger(
                ["partition", "drop", "events_p000001", "--archive", archive], environment: environment)
            #expect(dropped.status == 0, "\(dropped.standardError)")
            let listed = try runLedger(["partition", "list"], environment: environment)
            #expect(listed.standardOutput.contains("dropped"), "\(listed.standardOutput)")
            let verified = try runLedger(["verify", "--no-drift", "--archive", archive], environment: environment)
            #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")

            let restored = try runLedger(["partition", "restore", archive], environment: environment)
            #expect(restored.status == 0, "\(restored.standardError)")
            #expect(restored.standardOutput.contains("partition attach events_p000001"), "\(restored.standardOutput)")
            #expect(try runLedger(["partition", "attach", "events_p000001"], environment: environment).status == 0)
            #expect(try runLedger(["verify", "--no-drift"], environment: environment).status == 0)
            let after = try runLedger(["export", "events"], environment: environment)
            #expect(after.standardOutput == before.standardOutput)
        }
    }

    @Test func helpExplainsTheCommands() throws {
        let help = try runLedger(["partition", "--help"])
        #expect(help.status == 0)
        for word in ["detach", "archive", "drop", "restore", "attach", "verify --archive", "events_per_partition"] {
            #expect(help.standardOutput.contains(word), "\(word) in \(help.standardOutput)")
        }
    }
}
