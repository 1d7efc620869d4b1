import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import LedgerTestSupport
import Logging
import Testing

@Suite("snapshots: replay from a verified state")
struct SnapshotReplayTests {
    /// A fresh snapshot directory, removed after the test.
    static func withDirectory<T>(_ body: (SnapshotDirectory) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("snapshots-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(SnapshotDirectory(url: url))
    }

    func snapshot(_ database: TestDatabase, _ directory: SnapshotDirectory) throws -> SnapshotFile {
        try SnapshotMaker(
            connect: database.connect, policy: SnapshotPolicy(directory: directory), logger: Logger.quiet
        ).createAtHead()
    }

    func rebuild(_ database: TestDatabase, _ directory: SnapshotDirectory) throws -> RebuildReport {
        try ProjectionRebuilder(
            connect: database.connect, snapshots: SnapshotPolicy(directory: directory), logger: Logger.quiet
        ).rebuild()
    }

    /// Ingests raw Stripe event lines.
    func ingest(_ lines: [String], into database: TestDatabase) throws {
        let ingestor = StripeIngestor(connection: try database.connect())
        var pending = [Array((lines.joined(separator: "\n") + "\n").utf8)]
        try ingestor.ingest(origin: "crafted") { pending.popLast() }
        _ = try ingestor.finish()
    }

    /// A subscription whose price recurs weekly: the projection parks it (no billing_cycle for it).
    static let weeklySubscription = #"""
        {"id":"evt_weekly_1","object":"event","type":"customer.subscription.created","created":1600000000,"data":{"object":{"id":"sub_weekly","object":"subscription","customer":"cus_weekly","status":"active","currency":"usd","cancel_at_period_end":false,"current_period_start":1600000000,"current_period_end":1600604800,"items":{"data":[{"price":{"id":"price_weekly","unit_amount":500,"currency":"usd","recurring":{"interval":"week","interval_count":1}},"quantity":1}]},"metadata":{"license_id":"6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0f","plan_type":"pro"}}}}
        """#

    @Test func snapshotPlusTailGivesTheSameTablesAsAReplayFromEventOne() async throws {
        let ledger = GeneratedLedger(customers: 60, months: 10, duplicates: 0.2, shuffle: 0.3)
        let events = try ledger.generator.events().map { String(decoding: $0.json, as: UTF8.self) }
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                try ledger.insertLicenses(database)
                var snapshots: [SnapshotFile] = []
                try ledger.ingest(database, slice: 0..<events.count / 4)
                snapshots.append(try snapshot(database, directory))
                try ledger.ingest(database, slice: events.count / 4..<events.count / 2)
                // Taken while an event is parked.
                try ingest([Self.weeklySubscription], into: database)
                snapshots.append(try snapshot(database, directory))
                #expect(snapshots[1].meta.parkedEvents == 1)
                try ledger.ingest(database, slice: events.count / 2..<events.count)
                // Out of order across the boundary: early events of known subscriptions, delivered
                // again under new ids, are older than the state the snapshots hold.
                let stale = events.prefix(40).enumerated().map { offset, line in
                    line.replacingOccurrences(of: #"{"id":"evt_"#, with: #"{"id":"evt_late\#(offset)_"#)
                }
                try ingest(stale, into: database)

                _ = try ProjectionRebuilder(connect: database.connect).rebuildFromScratch()
                let scratch = try digests(database)
                try database.connect().execute("UPDATE subscriptions SET amount_cents = amount_cents + 1")
                for file in snapshots {
                    // Only this snapshot in the directory: the rebuild must start from it.
                    try await Self.withDirectory { single in
                        try FileManager.default.createDirectory(at: single.url, withIntermediateDirectories: true)
                        try FileManager.default.copyItem(
                            at: file.url, to: single.url.appendingPathComponent(file.url.lastPathComponent))
                        let report = try rebuild(database, single)
                        #expect(report.snapshotPosition == file.meta.position)
                        #expect(try digests(database) == scratch)
                        try database.connect().execute("UPDATE subscriptions SET amount_cents = amount_cents + 1")
                    }
                }
                // With both present the newest is used.
                let report = try rebuild(database, directory)
                #expect(report.snapshotPosition == snapshots[1].meta.position)
                #expect(try digests(database) == scratch)
            }
        }
    }

    @Test func theProjectorRestoresFromASnapshotAndWritesThemAsItGoes() async throws {
        let ledger = GeneratedLedger(duplicates: 0.1, shuffle: 0.1)
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                try ledger.insertLicenses(database)
                try ledger.ingest(database, slice: 0..<count / 2)
                let policy = SnapshotPolicy(directory: directory, every: 300)
                let first = try Projector(connect: database.connect, batchSize: 100, snapshots: policy).catchUp()
                #expect(first.snapshotsWritten.count >= count / 2 / 300)
                let catalog = try SnapshotCatalog(
                    directory: directory, connection: try database.connect(), logger: Logger.quiet)
                #expect(try catalog.list().allSatisfy(\.valid))
                try ledger.ingest(database, slice: count / 2..<count)
                let second = try Projector(connect: database.connect, batchSize: 100, snapshots: policy).catchUp()
                let newest = try #require(try catalog.list().first?.position)
                #expect(second.snapshotPosition != nil && second.snapshotPosition! <= first.position)
                #expect(second.eventsReplayed == first.position - second.snapshotPosition!)
                #expect(newest > first.position)
                let projected = try digests(database)
                #expect(
                    try ProjectionRebuilder(connect: database.connect).rebuildFromScratch().drift.allSatisfy {
                        $0.total == 0
                    })
                #expect(try digests(database) == projected)
            }
        }
    }

    /// Breaks a copy of the newest snapshot one way, and checks the rebuild skips it for the older one.
    func expectSkipped(
        _ expected: (SnapshotProblem) -> Bool, _ name: String,
        damage: (URL, TestDatabase) throws -> Void
    ) async throws {
        let ledger = GeneratedLedger()
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                try ledger.insertLicenses(database)
                try ledger.ingest(database, slice: 0..<count / 3)
                let older = try snapshot(database, directory)
                try ledger.ingest(database, slice: count / 3..<count)
                let newer = try snapshot(database, directory)
                try damage(newer.url, database)
                let catalog = try SnapshotCatalog(
                    directory: directory, connection: try database.connect(), logger: Logger.quiet)
                do throws(SnapshotProblem) {
                    _ = try catalog.verify(newer.url)
                    Issue.record("\(name): the damaged snapshot passed verification")
                } catch {
                    #expect(expected(error), "\(name): \(error)")
                }
                let listed = try catalog.list()
                #expect(listed.map(\.valid) == [false, true], "\(name)")
                let report = try rebuild(database, directory)
                #expect(report.snapshotPosition == older.meta.position, "\(name)")
                let fromSnapshot = try digests(database)
                _ = try ProjectionRebuilder(connect: database.connect).rebuildFromScratch()
                #expect(try digests(database) == fromSnapshot, "\(name)")
            }
        }
    }

    @Test func flippedBytesAreDetected() async throws {
        try await expectSkipped(
            { if case .digestMismatch = $0 { true } else if case .damaged = $0 { true } else { false } }, "flip"
        ) {
            url, _ in
            var bytes = [UInt8](try Data(contentsOf: url))
            // Flip a byte inside stored content (a Stripe subscription id), not in free space.
            let needle = Array("sub_".utf8)
            let start = try #require(
                (bytes.count / 2..<bytes.count - 4).first { Array(bytes[$0..<$0 + 4]) == needle })
            bytes[start + 5] ^= 0x01
            try Data(bytes).write(to: url)
        }
    }

    @Test func aTruncatedFileIsDetected() async throws {
        try await expectSkipped(
            { if case .unreadable = $0 { true } else if case .damaged = $0 { true } else { false } }, "truncate"
        ) {
            url, _ in
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: try handle.seekToEnd() / 2)
            try handle.close()
        }
    }

    @Test func aRowChangedWithTheSQLiteShellIsDetected() async throws {
        try await expectSkipped({ if case .digestMismatch = $0 { true } else { false } }, "sqlite3 update") { url, _ in
            try sqlite3(
                url,
                "UPDATE subscriptions SET amount_cents = amount_cents + 1 WHERE id = (SELECT min(id) FROM subscriptions)"
            )
        }
    }

    @Test func anotherProjectorVersionIsDetected() async throws {
        try await expectSkipped({ if case .projectorVersion = $0 { true } else { false } }, "projector version") {
            url, _ in
            try sqlite3(url, "UPDATE snapshot_meta SET projector_version = 999")
        }
    }

    @Test func anotherDatabasesSnapshotIsDetected() async throws {
        // A snapshot of another database holding the same events, renamed as if it were this one's.
        let foreign = FileManager.default.temporaryDirectory.appendingPathComponent("foreign-\(UUID()).sqlite")
        defer { try? FileManager.default.removeItem(at: foreign) }
        try await TestDatabase.withMigrated { other in
            try GeneratedLedger().load(other)
            try await Self.withDirectory { directory in
                try FileManager.default.copyItem(at: try snapshot(other, directory).url, to: foreign)
            }
        }
        try await expectSkipped({ if case .otherDatabase = $0 { true } else { false } }, "other database") { url, _ in
            try FileManager.default.removeItem(at: url)
            try FileManager.default.copyItem(at: foreign, to: url)
        }
    }

    @Test func aSnapshotOfAnotherLogAtTheSamePositionIsDetected() async throws {
        try await expectSkipped({ if case .chainHashMismatch = $0 { true } else { false } }, "chain hash") { url, _ in
            try sqlite3(url, "UPDATE snapshot_meta SET chain_hash = '\(String(repeating: "ab", count: 32))'")
        }
    }

    func sqlite3(_ url: URL, _ sql: String) throws {
        let result = try runSQLite(url.path, sql)
        #expect(result.status == 0, "sqlite3 \(sql): \(result.standardError)")
    }
}
