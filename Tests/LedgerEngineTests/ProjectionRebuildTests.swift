import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("projection rebuild")
struct ProjectionRebuildTests {
    /// Ingests a generated history (and, unless told otherwise, its users and licenses).
    func load(
        _ database: TestDatabase, duplicates: Double = 0, shuffle: Double = 0, seed: UInt64 = 11,
        withLicenses: Bool = true
    ) throws {
        let generator = try HistoryGenerator(
            .init(
                customers: 40, months: 8, seed: seed, duplicateProbability: duplicates, shuffleProbability: shuffle))
        let connection = try database.connect()
        if withLicenses { try connection.execute(generator.fixturesSQL().joined(separator: "\n")) }
        let ingestor = StripeIngestor(connection: try database.connect())
        var lines = generator.events().makeIterator()
        try ingestor.ingest(origin: "generated") {
            var chunk: [UInt8] = []
            while chunk.count < 1 << 16, let event = lines.next() { chunk += event.json + [0x0A] }
            return chunk.isEmpty ? nil : chunk
        }
        _ = try ingestor.finish()
    }

    func rebuild(_ database: TestDatabase) throws -> RebuildReport {
        try ProjectionRebuilder(connect: database.connect).rebuildFromScratch()
    }

    func digests(_ database: TestDatabase) throws -> [TableDigest] {
        let digester = TableDigester(connection: try database.connect())
        return try TableDigester.projectedTables.map { try digester.digest(table: $0) }
    }

    @Test func rebuildingTwiceIsByteIdenticalAndReportsNoDrift() async throws {
        try await TestDatabase.withMigrated { database in
            try load(database)
            let first = try rebuild(database)
            #expect(first.drift[0].inserted > 20)
            #expect(first.drift[1].inserted > 50)
            #expect(first.parked == 0)
            let digest = try digests(database)
            let second = try rebuild(database)
            #expect(second.drift.allSatisfy { $0.total == 0 })
            #expect(try digests(database) == digest)
            let status = try LedgerStatus.read(try database.connect())
            #expect(status.projections.first?.position == status.headPosition)
            #expect(status.projections.first?.lag == 0)
        }
    }

    @Test func redeliveredAndShuffledDeliveriesProjectTheSameRows() async throws {
        try await TestDatabase.withMigrated { ordered in
            try await TestDatabase.withMigrated { messy in
                try load(ordered)
                try load(messy, duplicates: 0.3, shuffle: 0.3)
                _ = try rebuild(ordered)
                _ = try rebuild(messy)
                #expect(try digests(ordered) == digests(messy))
            }
        }
    }

    @Test func handEditedRowIsReportedAsDriftAndRepaired() async throws {
        try await TestDatabase.withMigrated { database in
            try load(database)
            _ = try rebuild(database)
            let clean = try digests(database)
            try database.connect().execute(
                "UPDATE subscriptions SET amount_cents = amount_cents + 1 WHERE id = (SELECT id FROM subscriptions ORDER BY id LIMIT 1)"
            )
            let report = try rebuild(database)
            #expect(report.drift[0] == TableDrift(table: "subscriptions", inserted: 0, updated: 1, deleted: 0))
            #expect(report.drift[1].total == 0)
            #expect(try digests(database) == clean)
        }
    }

    @Test func subscriptionsWithoutLicensesAreParkedUntilTheLicenseExists() async throws {
        try await TestDatabase.withMigrated { database in
            try load(database, withLicenses: false)
            let report = try rebuild(database)
            #expect(report.drift[0].inserted == 0)
            #expect(report.parked >= 40)
            let connection = try database.connect()
            let linked = try connection.query(
                "SELECT count(*) FROM payment_transactions WHERE subscription_id IS NOT NULL")[0]
            #expect(try linked.decode(Int.self, at: 0) == 0)
            let reason = try connection.query("SELECT reason FROM ledger.parked ORDER BY position LIMIT 1")[0]
            #expect(try reason.decode(String.self, at: 0).contains("does not exist in licenses"))

            // The licenses arrive: the next rebuild projects the subscriptions and links the payments.
            let generator = try HistoryGenerator(.init(customers: 40, months: 8, seed: 11))
            try connection.execute(generator.fixturesSQL().joined(separator: "\n"))
            let after = try rebuild(database)
            #expect(after.drift[0].inserted > 20)
            #expect(after.parked == 0)
        }
    }

    @Test func aSecondWriterIsRefusedWhileOneHoldsTheProjection() async throws {
        try await TestDatabase.withMigrated { database in
            let holder = try database.connect()
            try holder.query("SELECT pg_advisory_lock($1)", [ProjectionRebuilder.writerLockKey])
            #expect(throws: ProjectionBusy.self) { try rebuild(database) }
            try holder.query("SELECT pg_advisory_unlock($1)", [ProjectionRebuilder.writerLockKey])
            #expect(try rebuild(database).eventsRead == 0)
        }
    }
}
