import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("projection rebuild")
struct ProjectionRebuildTests {
    @Test func rebuildingTwiceIsByteIdenticalAndReportsNoDrift() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
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
                try GeneratedLedger().load(ordered)
                try GeneratedLedger(duplicates: 0.3, shuffle: 0.3).load(messy)
                _ = try rebuild(ordered)
                _ = try rebuild(messy)
                #expect(try digests(ordered) == digests(messy))
            }
        }
    }

    @Test func handEditedRowIsReportedAsDriftAndRepaired() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
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
            try GeneratedLedger().load(database, withLicenses: false)
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
            try GeneratedLedger().insertLicenses(database)
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
