import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import LedgerTestSupport
import Testing

@Suite("ledger audit: digest and drift")
struct LedgerAuditTests {
    /// A snapshot directory that does not exist: the audit finds no files there.
    var noSnapshots: SnapshotDirectory {
        SnapshotDirectory(url: FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID())"))
    }

    func audit(_ database: TestDatabase, _ options: AuditOptions) throws -> AuditReport {
        try LedgerAudit(connect: { try database.connect() }).run(options)
    }

    func fill(_ database: TestDatabase, count: Int) throws {
        let store = EventStore(connection: try database.connect())
        for index in 0..<count {
            try store.append(AppendBatch(events: [event(stream: "s:\(index % 3)")]), recordedAt: EventTime(Date()))
        }
    }

    /// Runs SQL as the superuser with the append-only triggers disabled, as a tamperer would.
    func tamper(_ connection: PostgresConnection, _ sql: String, _ parameters: [any PostgresEncodable] = []) throws {
        try connection.execute("SET session_replication_role = replica")
        try connection.query(sql, parameters)
        try connection.execute("SET session_replication_role = origin")
    }

    @Test func theChainPassKeepsTheHashItRecomputedAtTheDigestsPosition() async throws {
        try await TestDatabase.withMigrated { database in
            try fill(database, count: 40)
            let store = EventStore(connection: try database.connect())
            let stored = try #require(try store.hash(at: 17))
            let verifier = ChainVerifier(connect: { try database.connect() })
            // Also when the position lies in the second of several segments.
            for segments in [1, 4] {
                let pass = try verifier.verify(recomputingAt: 17, segments: segments, segmentEventsMin: 5)
                #expect(pass.recomputed == ChainHead(position: 17, hash: stored))
                #expect(DigestCheck.judge(ChainHead(position: 17, hash: stored), by: pass).outcome == .matches)
            }
            let fromTrusted = try verifier.verify(from: ChainHead(position: 17, hash: stored), recomputingAt: 17)
            #expect(fromTrusted.recomputed?.hash == stored)
        }
    }

    @Test func aPrefixRewrittenWithAConsistentChainStillFailsTheDigest() async throws {
        try await TestDatabase.withMigrated { database in
            try fill(database, count: 30)
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            let digest = ChainHead(position: 20, hash: try #require(try store.hash(at: 20)))
            #expect(try audit(database, AuditOptions(digest: digest, snapshotDirectory: noSnapshots)).ok)

            // A careful tamperer changes event 8 and recomputes every hash after it, and the head.
            try tamper(connection, "UPDATE ledger.events SET metadata = '{\"by\":\"someone\"}' WHERE position = 8")
            var previous = try #require(try store.hash(at: 7))
            for event in try store.read(after: 7) {
                previous = EventHash.compute(previous: previous, event: event)
                try tamper(
                    connection, "UPDATE ledger.events SET hash = $1 WHERE position = $2", [previous, event.position])
            }
            try tamper(connection, "UPDATE ledger.head SET hash = $1", [previous])

            let report = try audit(database, AuditOptions(digest: digest, snapshotDirectory: noSnapshots))
            #expect(report.chain.ok, "the rewritten chain is consistent in itself")
            let checked = try #require(report.digest)
            #expect(checked.outcome == .doesNotMatch)
            #expect(checked.message.contains("the log up to 20 was altered"))
            #expect(!report.ok)
            #expect(report.failedSections == ["digest"])
        }
    }

    @Test func aProjectorCommittingDuringTheCheckIsNotDrift() async throws {
        let ledger = GeneratedLedger(customers: 20, months: 6)
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { database in
            try ledger.insertLicenses(database)
            try ledger.ingest(database, slice: 0..<(count / 2))
            let first = try project(database)
            try ledger.ingest(database, slice: (count / 2)..<count)
            let head = try EventStore(connection: try database.connect()).head().position
            var projectedMeanwhile: CatchUpReport?
            // The projector moves rows and checkpoint on while the check is between reading the
            // checkpoint and comparing: the check must still compare rows and checkpoint of one moment.
            let report = try ProjectionDriftCheck(connect: { try database.connect() }).run { stage in
                if case .comparing = stage, projectedMeanwhile == nil { projectedMeanwhile = try? project(database) }
            }
            #expect(projectedMeanwhile?.position == head)
            #expect(projectedMeanwhile?.drift.contains { $0.total > 0 } == true)
            #expect(report.status == .checked)
            #expect(report.checkpoint == first.position)
            #expect(report.differingRows == 0, "\(report.tables)")
            let after = try ProjectionDriftCheck(connect: { try database.connect() }).run()
            #expect(after.checkpoint == head)
            #expect(after.differingRows == 0)
        }
    }

    @Test func theListingStopsAtItsLimitAndCountsTheRest() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 12, months: 4).load(database)
            _ = try project(database)
            let connection = try database.connect()
            try connection.execute("UPDATE subscriptions SET status = 'unpaid', amount_cents = amount_cents + 1")
            let rows = try connection.query("SELECT count(*) FROM subscriptions")[0].decode(Int.self, at: 0)
            #expect(rows > 3)
            let report = try ProjectionDriftCheck(connect: { try database.connect() }, listedRowsMax: 3).run()
            let subscriptions = try #require(report.tables.first { $0.table == "subscriptions" })
            #expect(subscriptions.rows == rows)
            #expect(subscriptions.changed == rows)
            #expect(subscriptions.listed.count == 3)
            #expect(subscriptions.unlisted == rows - 3)
            #expect(subscriptions.listed.map(\.id) == subscriptions.listed.map(\.id).sorted())
            // Only the columns that differ, except where a row already had the status written here.
            #expect(subscriptions.listed.allSatisfy { $0.columns.contains("amount_cents") && $0.columns.count <= 2 })
            #expect(!report.ok)
        }
    }

    @Test func aMissingCheckpointOrAnotherProjectorVersionIsReported() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 8, months: 3).load(database)
            let check = ProjectionDriftCheck(connect: { try database.connect() })
            // Never projected, empty tables: nothing to compare, not a failure.
            let fresh = try check.run()
            #expect(fresh.status == .notProjected)
            #expect(fresh.ok)

            _ = try project(database)
            let connection = try database.connect()
            try connection.execute("UPDATE ledger.checkpoints SET projector_version = projector_version + 1")
            let mismatch = try check.run()
            #expect(mismatch.status == .projectorVersionMismatch)
            #expect(!mismatch.ok)
            #expect(mismatch.message?.contains("ledger rebuild") == true)

            // A deleted checkpoint must not hide the rows it vouched for.
            try connection.execute("DELETE FROM ledger.checkpoints")
            let orphaned = try check.run()
            #expect(orphaned.status == .notProjected)
            #expect(!orphaned.ok)
        }
    }
}
