import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import LedgerTestSupport
import Logging
import Testing

/// Every snapshot written is recorded in the log by `ledger.record_snapshot()`; the record chains like any
/// event, changes no projected row, and does not make the next snapshot due by itself.
@Suite("snapshots recorded in the log")
struct SnapshotRecordTests {
    static func withDirectory<T>(_ body: (SnapshotDirectory) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-records-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(SnapshotDirectory(url: url))
    }

    @Test func recordsChainLikeEveryEventAndChangeNoProjectedRow() async throws {
        let ledger = GeneratedLedger(customers: 12, months: 5, duplicates: 0.1, shuffle: 0.1)
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                try ledger.load(database)
                _ = try rebuild(database)
                let before = try digests(database)
                let store = EventStore(connection: try database.connect())
                let head = try store.head().position
                let maker = SnapshotMaker(
                    connect: database.connect, policy: SnapshotPolicy(directory: directory), logger: Logger.quiet)
                let file = try maker.createAtHead()
                #expect(file.meta.position == head)
                let records = try store.snapshotRecords()
                #expect(records.count == 1)
                #expect(records.first?.position == head + 1)
                #expect(records.first?.record == file.meta.record)
                #expect(try store.head().position == head + 1)
                // A second snapshot of the same head state: a new file at head + 1, its own record.
                _ = try maker.createAtHead()
                #expect(try store.snapshotRecords().count == 2)

                // The hash PL/pgSQL computed is the one the Swift verifier recomputes.
                let chain = try ChainVerifier(connect: database.connect).verify()
                #expect(chain.isValid, "\(String(describing: chain.failure))")
                #expect(chain.verifiedThrough == head + 2)
                // The projection reads no record: rows and digests are those of the log without them.
                _ = try rebuild(database)
                #expect(try digests(database) == before)
                let report = try Projector(connect: database.connect).catchUp()
                #expect(report.drift.allSatisfy { $0.total == 0 })
                #expect(try digests(database) == before)
            }
        }
    }

    @Test func aSnapshotEveryEventDoesNotLoopOnItsOwnRecords() async throws {
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                let store = EventStore(connection: try database.connect())
                for index in 1...5 {
                    try store.append(
                        AppendBatch(events: [
                            NewEvent(
                                eventID: UUID(), streamID: "note:loop", type: "note.recorded", source: "ledger",
                                occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000 + Int64(index)),
                                body: Array(#"{"n":\#(index)}"#.utf8))
                        ]), recordedAt: EventTime(secondsSinceEpoch: 1_700_000_100))
                }
                let policy = SnapshotPolicy(directory: directory, every: 1)
                let projector = try Projector(connect: database.connect, batchSize: 2, snapshots: policy)
                let first = try projector.catchUp()
                // Batches of two: snapshots at 2, 4 and 6 (note 5 and the first record), none at 8, where
                // the batch holds only records of the projector's own snapshots.
                #expect(first.snapshotsWritten.count == 3, "\(first.snapshotsWritten)")
                let head = try store.head().position
                #expect(head == 5 + 3)
                // The run applied its own records: nothing left behind, nothing waiting.
                #expect(first.position == head)
                let status = try LedgerStatus.read(try database.connect())
                #expect(status.projections.first?.lag == 0)
                // Nothing new: the next catch-up writes nothing (in `--follow`, it would be the next wake-up).
                let second = try projector.catchUp()
                #expect(second.eventsApplied == 0 && second.snapshotsWritten.isEmpty)
                #expect(try store.head().position == head)
            }
        }
    }

    @Test func aRecordAfterTheCheckpointIsNotAnEventWaiting() async throws {
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                try GeneratedLedger(customers: 4, months: 3).load(database)
                _ = try rebuild(database)
                let connection = try database.connect()
                let checkpoint = try EventStore(connection: connection).head().position
                #expect(try LedgerStatus.oldestUnapplied(after: checkpoint, connection) == nil)
                _ = try SnapshotMaker(
                    connect: database.connect, policy: SnapshotPolicy(directory: directory), logger: Logger.quiet
                ).createAtHead()
                // The record is after the checkpoint, but it is nothing the projection must apply.
                #expect(try EventStore(connection: connection).head().position == checkpoint + 1)
                #expect(try LedgerStatus.oldestUnapplied(after: checkpoint, connection) == nil)
                let note = NewEvent(
                    eventID: UUID(), streamID: "note:waiting", type: "note.recorded", source: "ledger",
                    occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000), body: Array("{}".utf8))
                try EventStore(connection: connection).append(
                    AppendBatch(events: [note]), recordedAt: EventTime(Date()))
                #expect(try LedgerStatus.oldestUnapplied(after: checkpoint, connection)?.position == checkpoint + 2)
            }
        }
    }
}
