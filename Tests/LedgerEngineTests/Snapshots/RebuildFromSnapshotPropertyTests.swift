import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import LedgerTestSupport
import Logging
import Testing

/// A rebuild from a snapshot compares rows by hash and stages only those that differ; it must still leave
/// exactly the tables a rebuild from event 1 leaves, whatever drift the live tables carry.
@Suite("rebuild from a snapshot: same tables as from scratch")
struct RebuildFromSnapshotPropertyTests {
    @Test(arguments: [UInt64(5), 23, 4242])
    func aRebuildFromASnapshotLeavesTheTablesOfARebuildFromScratch(seed: UInt64) async throws {
        let seed = TestSeed.value(default: seed)
        let ledger = GeneratedLedger(customers: 30, months: 8, seed: seed, duplicates: 0.1, shuffle: 0.2)
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { database in
            try await Self.withDirectory { directory in
                try ledger.insertLicenses(database)
                try ledger.ingest(database, slice: 0..<count * 9 / 10)
                let snapshot = try SnapshotMaker(
                    connect: database.connect, policy: SnapshotPolicy(directory: directory), logger: Logger.quiet
                ).createAtHead()
                try ledger.ingest(database, slice: count * 9 / 10..<count)
                _ = try ProjectionRebuilder(connect: database.connect).rebuildFromScratch()
                let scratch = try digests(database)

                // No drift: nothing is staged, nothing changes.
                let quiet = try rebuild(database, directory)
                #expect(quiet.snapshotPosition == snapshot.meta.position, "seed \(seed)")
                #expect(quiet.stagedRows == 0, "seed \(seed): rows agreeing with the live ones were staged")
                #expect(quiet.drift.allSatisfy { $0.total == 0 }, "seed \(seed): \(quiet.drift)")
                #expect(try digests(database) == scratch, "seed \(seed)")

                // Drift injected with triggers off: rows updated, deleted and inserted.
                var random = SeededGenerator(seed: seed)
                let injected = try Self.injectDrift(database, &random)
                let repaired = try rebuild(database, directory)
                #expect(try digests(database) == scratch, "seed \(seed): drift \(injected) not repaired")
                let billing = repaired.drift.filter { TableDigester.projectedTables.contains($0.table) }
                #expect(billing.reduce(0) { $0 + $1.total } == injected.rows, "seed \(seed): \(repaired.drift)")
                #expect(repaired.stagedRows <= injected.rows, "seed \(seed): staged more than drifted")
                let again = try rebuild(database, directory)
                #expect(again.stagedRows == 0 && again.drift.allSatisfy { $0.total == 0 }, "seed \(seed)")
            }
        }
    }

    /// What ``injectDrift(_:_:)`` changed: rows that differ from the log's, by table and kind.
    struct Injected: CustomStringConvertible {
        var updated = 0
        var deleted = 0
        var inserted = 0
        var rows: Int { updated + deleted + inserted }
        var description: String { "\(updated) updated, \(deleted) deleted, \(inserted) inserted" }
    }

    /// Changes a seeded choice of live rows as someone with table access would, triggers off.
    static func injectDrift(_ database: TestDatabase, _ random: inout SeededGenerator) throws -> Injected {
        let connection = try database.connect()
        var injected = Injected()
        func ids(_ table: String) throws -> [String] {
            try connection.query("SELECT id::text FROM public.\(table) ORDER BY id").map { try $0.decode(at: 0) }
        }
        let subscriptions = try ids("subscriptions").shuffled(using: &random)
        let payments = try ids("payment_transactions").shuffled(using: &random)
        try connection.execute("SET session_replication_role = replica")
        defer { try? connection.execute("SET session_replication_role = origin") }
        let updates = [
            "UPDATE public.subscriptions SET amount_cents = amount_cents + 1 WHERE id = $1::uuid",
            "UPDATE public.subscriptions SET metadata = coalesce(metadata, '{}') || '{\"edited\":\"yes\"}' WHERE id = $1::uuid",
            "UPDATE public.subscriptions SET updated_at = updated_at + interval '1 second' WHERE id = $1::uuid",
        ]
        for id in subscriptions.prefix(1 + random.below(4)) {
            injected.updated += try connection.query(random.pick(updates), [id]).affectedRows
        }
        for id in payments.prefix(1 + random.below(3)) {
            injected.updated += try connection.query(
                "UPDATE public.payment_transactions SET failure_reason = coalesce(failure_reason, '') || ' (edited)' WHERE id = $1::uuid",
                [id]
            ).affectedRows
        }
        for id in payments.dropFirst(3).prefix(random.below(3)) {
            injected.deleted += try connection.query(
                "DELETE FROM public.payment_transactions WHERE id = $1::uuid", [id]
            ).affectedRows
        }
        if let id = subscriptions.last {
            // A row the log never implied: a copy of a live one under another id and Stripe id.
            injected.inserted += try connection.query(
                """
                INSERT INTO public.subscriptions SELECT gen_random_uuid(), license_id, 'sub_injected_' || id::text,
                    stripe_customer_id, status, plan_type, billing_cycle, amount_cents, currency, current_period_start,
                    current_period_end, cancel_at_period_end, canceled_at, trial_start, trial_end, created_at,
                    updated_at, metadata
                FROM public.subscriptions WHERE id = $1::uuid
                """, [id]
            ).affectedRows
        }
        return injected
    }

    func rebuild(_ database: TestDatabase, _ directory: SnapshotDirectory) throws -> RebuildReport {
        try ProjectionRebuilder(
            connect: database.connect, snapshots: SnapshotPolicy(directory: directory), logger: Logger.quiet
        ).rebuild()
    }

    /// A fresh snapshot directory, removed after the test.
    static func withDirectory<T>(_ body: (SnapshotDirectory) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rebuild-snapshots-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(SnapshotDirectory(url: url))
    }
}
