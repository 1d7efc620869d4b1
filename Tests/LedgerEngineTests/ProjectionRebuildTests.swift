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

    @Test func rowsInOtherTablesReferencingProjectedRowsSurviveARebuild() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
            _ = try rebuild(database)
            let connection = try database.connect()
            // An affiliate's referral points at a subscription, its commission at a payment.
            try connection.execute(
                """
                INSERT INTO affiliates (user_id, referral_code) SELECT id, 'ref-1' FROM users ORDER BY id LIMIT 1;
                INSERT INTO referrals (affiliate_id, referred_user_id, subscription_id, status)
                    SELECT (SELECT id FROM affiliates), (SELECT id FROM users ORDER BY id DESC LIMIT 1),
                           (SELECT id FROM subscriptions ORDER BY id LIMIT 1), 'converted';
                INSERT INTO commissions (affiliate_id, referral_id, payment_transaction_id, amount_cents)
                    SELECT (SELECT id FROM affiliates), (SELECT id FROM referrals),
                           (SELECT id FROM payment_transactions ORDER BY id LIMIT 1), 100;
                UPDATE subscriptions SET status = 'canceled', amount_cents = 1 WHERE id IN (SELECT id FROM subscriptions ORDER BY id LIMIT 3);
                UPDATE payment_transactions SET amount_cents = 1 WHERE id IN (SELECT id FROM payment_transactions ORDER BY id LIMIT 3);
                """)
            let links = """
                SELECT r.subscription_id = (SELECT id FROM subscriptions ORDER BY id LIMIT 1),
                       c.payment_transaction_id = (SELECT id FROM payment_transactions ORDER BY id LIMIT 1)
                FROM referrals r, commissions c
                """
            let report = try rebuild(database)
            #expect(report.drift[0].updated >= 1 && report.drift[1].updated >= 1)
            let row = try connection.query(links)[0]
            #expect(try row.decode(Bool?.self, at: 0) == true)
            #expect(try row.decode(Bool?.self, at: 1) == true)
        }
    }

    @Test func subscriptionsWithoutLicensesAreParkedUntilTheLicenseExists() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database, withLicenses: false)
            let report = try rebuild(database)
            #expect(report.drift[0].inserted == 0)
            // Each live customer's subscription (39 of 40 at seed 11; one customer is in test mode, ignored).
            #expect(report.parked >= 39)
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

    @Test func readersSeeTheOldOrTheNewTablesAndNeverWaitDuringARebuild() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 300, months: 12).load(database)
            _ = try rebuild(database)
            let connection = try database.connect()
            let query = "SELECT count(*), coalesce(sum(amount_cents), 0) FROM subscriptions"
            @Sendable func sums(_ connection: PostgresConnection) throws -> [Int64] {
                let row = try connection.query(query)[0]
                return [try row.decode(at: 0), try row.decode(at: 1)]
            }
            let clean = try sums(connection)
            // Hand edits the rebuild must undo: every amount off by one, a tenth of the rows gone.
            try connection.execute(
                """
                UPDATE subscriptions SET amount_cents = amount_cents + 1;
                DELETE FROM subscriptions WHERE id IN (SELECT id FROM subscriptions ORDER BY id LIMIT 30);
                """)
            let tampered = try sums(connection)
            let stop = StopFlag()
            let seen = SeenSums()
            let reader = BackgroundThread {
                let connection = try database.connect()
                // Never waits: a lock the rebuild held against readers would end this read with an error,
                // however fast the machine (no elapsed time is measured).
                try connection.execute("SET lock_timeout = '50ms'")
                while !stop.isSet { seen.insert(try sums(connection)) }
            }
            try await Poll.until("the reader has read the tampered tables") { seen.contains(tampered) }
            let report = try rebuild(database)
            try await Poll.until("the reader has read the rebuilt tables") { seen.contains(clean) }
            stop.set()
            try await reader.value
            #expect(report.drift[0].updated > 200 && report.drift[0].inserted == 30)
            #expect(seen.all.isSubset(of: [clean, tampered]), "a reader saw a partial state: \(seen.all)")
        }
    }

    @Test func aSecondWriterIsRefusedWhileOneHoldsTheProjection() async throws {
        try await TestDatabase.withMigrated { database in
            let holder = try database.connect()
            try AdvisoryLock(key: ProjectionLease.writerLockKey).lock(on: holder)
            #expect(throws: ProjectionBusy.self) { try rebuild(database) }
            try AdvisoryLock(key: ProjectionLease.writerLockKey).unlock(on: holder)
            #expect(try rebuild(database).eventsRead == 0)
        }
    }
}

/// The sums a reader thread has seen, readable while it runs.
final class SeenSums: @unchecked Sendable {
    private let lock = NSLock()
    private var values: Set<[Int64]> = []

    func insert(_ sums: [Int64]) { _ = lock.withLock { values.insert(sums) } }
    func contains(_ sums: [Int64]) -> Bool { lock.withLock { values.contains(sums) } }
    var all: Set<[Int64]> { lock.withLock { values } }
}
