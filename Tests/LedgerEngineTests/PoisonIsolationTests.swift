import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import LedgerTestSupport
import Testing

/// The last lines of "poison never stops anything": a row PostgreSQL refuses although the reducer passed it,
/// an unusable snapshot directory, and a failure that is not the data's, which must name where it stopped.
@Suite("poison isolation")
struct PoisonIsolationTests {
    /// CHECKs the reducer does not know, refusing some subscriptions and payments by their ids.
    static let foreignChecks = """
        ALTER TABLE public.subscriptions ADD CONSTRAINT test_refuses_some
            CHECK (right(stripe_subscription_id, 1) NOT IN ('3', '7'));
        ALTER TABLE public.payment_transactions ADD CONSTRAINT test_refuses_some
            CHECK (right(stripe_payment_intent_id, 1) NOT IN ('5', 'x'));
        """

    @Test(arguments: [1000, 37])
    func rowsPostgreSQLRefusesAreParkedAndTheRestCommits(batchSize: Int) async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
            let connection = try database.connect()
            try connection.execute(Self.foreignChecks)
            let report = try project(database, batchSize: batchSize)
            let head = try EventStore(connection: connection).head().position
            #expect(report.position == head)

            let refused = try connection.query(
                "SELECT object_id, event_type, reason FROM ledger.parked WHERE event_type LIKE 'refused:%'"
            ).map {
                (
                    try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1),
                    try $0.decode(String.self, at: 2)
                )
            }
            #expect(refused.contains { $0.1 == "refused:subscription" })
            #expect(refused.contains { $0.1 == "refused:payment" })
            #expect(
                refused.allSatisfy {
                    $0.2.hasPrefix("PostgreSQL refused the row:") && $0.2.contains("test_refuses_some")
                })
            // Only the refused objects are missing; every other row is there.
            let counts = try connection.query(
                """
                SELECT (SELECT count(*) FROM subscriptions WHERE right(stripe_subscription_id, 1) IN ('3', '7')),
                       (SELECT count(*) FROM subscriptions),
                       (SELECT count(*) FROM payment_transactions p JOIN subscriptions s ON s.id = p.subscription_id)
                """)[0]
            #expect(try counts.decode(Int.self, at: 0) == 0)
            #expect(try counts.decode(Int.self, at: 1) > 0)
            #expect(try counts.decode(Int.self, at: 2) > 0)

            // A rebuild from scratch meets the same refusals and leaves the same rows.
            let caughtUp = try digests(database)
            let rebuilt = try rebuild(database)
            #expect(rebuilt.drift.allSatisfy { $0.total == 0 })
            #expect(try digests(database) == caughtUp)
            let refusedAfterRebuild = try connection.query(
                "SELECT count(*) FROM ledger.parked WHERE event_type LIKE 'refused:%'")[0]
            #expect(try refusedAfterRebuild.decode(Int.self, at: 0) == refused.count)
        }
    }

    @Test func aRefusedObjectStaysParkedAcrossRestartsUntilARowIsAccepted() async throws {
        try await TestDatabase.withMigrated { database in
            let ledger = GeneratedLedger()
            let count = try ledger.eventCount
            try ledger.insertLicenses(database)
            try ledger.ingest(database, slice: 0..<(count / 2))
            let connection = try database.connect()
            try connection.execute(Self.foreignChecks)
            _ = try project(database)
            let parkedBefore = try refusedObjects(connection)
            #expect(!parkedBefore.isEmpty)
            // A new projector restores the refusals from ledger.parked and keeps the payments unlinked.
            try ledger.ingest(database, slice: (count / 2)..<count)
            _ = try project(database)
            let linkedToRefused = try connection.query(
                """
                SELECT count(*) FROM payment_transactions p
                WHERE p.subscription_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = p.subscription_id)
                """)[0]
            #expect(try linkedToRefused.decode(Int.self, at: 0) == 0)
            // Once the database accepts the rows, the next run writes them and clears their refusal.
            try connection.execute(
                """
                ALTER TABLE public.subscriptions DROP CONSTRAINT test_refuses_some;
                ALTER TABLE public.payment_transactions DROP CONSTRAINT test_refuses_some;
                """)
            _ = try rebuild(database)
            #expect(try refusedObjects(connection).isEmpty)
        }
    }

    func refusedObjects(_ connection: PostgresConnection) throws -> Set<String> {
        Set(
            try connection.query("SELECT object_id FROM ledger.parked WHERE event_type LIKE 'refused:%'").map {
                try $0.decode(String.self, at: 0)
            })
    }

    @Test func anUnusableSnapshotDirectoryIsAWarningNotAStop() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
            // A regular file where the directory should be: nothing can be read or written there.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-dir-\(UUID().uuidString)")
            try Data("x".utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let policy = SnapshotPolicy(directory: SnapshotDirectory(url: file), every: 100)
            let report = try Projector(connect: database.connect, batchSize: 50, snapshots: policy).catchUp()
            let head = try EventStore(connection: try database.connect()).head().position
            #expect(report.position == head)
            #expect(report.snapshotsWritten.isEmpty)
            #expect(!report.snapshotFailures.isEmpty)
            let rebuilt = try ProjectionRebuilder(connect: database.connect, snapshots: policy).rebuild()
            #expect(rebuilt.position == head)
            #expect(rebuilt.drift.allSatisfy { $0.total == 0 })
        }
    }

    @Test func aSnapshotThatCannotBeWrittenDoesNotStopProjection() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "snapshots-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let policy = SnapshotPolicy(directory: SnapshotDirectory(url: directory), every: 100)
            let projector = try Projector(connect: database.connect, batchSize: 50, snapshots: policy)
            // The directory disappears under a running projector (a full or unmounted disk looks the same).
            try FileManager.default.removeItem(at: directory)
            try Data("x".utf8).write(to: directory)
            let report = try projector.catchUp()
            let head = try EventStore(connection: try database.connect()).head().position
            #expect(report.position == head)
            #expect(!report.snapshotFailures.isEmpty)
        }
    }

    @Test func aFailureThatIsNotTheDataNamesThePositionAndEventItStoppedAt() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 3, months: 2).load(database)
            let connection = try database.connect()
            let first = try EventStore(connection: connection).read(after: 0, through: 1, limit: 1)[0]
            // Not the data's fault: a table the batch writes is gone.
            try connection.execute("ALTER TABLE public.mrr_movements RENAME TO mrr_movements_moved")
            let error = try #require(throws: ProjectionStopped.self) { try project(database) }
            #expect(error.position == 1)
            #expect(error.checkpoint == 0)
            #expect(error.description.contains("position 1"))
            #expect(error.description.contains(first.sourceEventID ?? "-"))
        }
    }

    @Test func verifyFailsAProjectionThatIsNotMoving() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let options = AuditOptions(
                snapshotDirectory: SnapshotDirectory(
                    url: FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID())")),
                checksDrift: false)
            let audit = LedgerAudit(connect: { try database.connect() })
            // Recorded just now and not applied yet: behind, but moving as far as anyone can tell.
            try store.append(AppendBatch(events: [event(stream: "s:1")]), recordedAt: EventTime(Date()))
            let fresh = try audit.run(options)
            #expect(fresh.projection.ok && fresh.projection.lag == 1)
            #expect(fresh.ok)
            // Recorded longer ago than the bound and still not applied: the projection is not moving.
            let old = EventTime(Date(timeIntervalSinceNow: -Double(Limits.projectionStalledSecondsMax) - 600))
            _ = try project(database)
            try store.append(AppendBatch(events: [event(stream: "s:2", sourceID: "evt_stalled")]), recordedAt: old)
            let stalled = try audit.run(options)
            #expect(!stalled.projection.ok)
            #expect(stalled.failedSections == ["projection"])
            #expect(stalled.projection.oldestUnapplied?.position == 2)
            #expect(stalled.projection.message.contains("evt_stalled"))
            _ = try project(database)
            #expect(try audit.run(options).ok)
        }
    }
}
