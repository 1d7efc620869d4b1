import Foundation
import LedgerCore
import LedgerSnapshots
import Testing

/// The file layout docs/snapshots.md promises to readers (the sqlite3 shell, DuckDB, pandas), and the
/// state a replay gets back from it.
@Suite("snapshot files: format and load")
struct SnapshotFormatTests {
    @Test func theFileIsNamedByDatabaseAndPaddedPositionAndListedNewestFirst() throws {
        try SnapshotFixture.withDirectory { directory in
            let older = try SnapshotFixture.write(directory, position: 2)
            let newer = try SnapshotFixture.write(directory)
            #expect(
                newer.url.lastPathComponent == "ledger-0b5e1c1e-7a0d-4c55-9b2a-3f1e2d4c5b6a-0000000000000004.sqlite")
            // Another database's snapshot, a temporary file and a stranger are never listed.
            let other = SnapshotDirectory(url: directory.url).url(databaseID: UUID(), position: 9)
            try FileManager.default.copyItem(at: newer.url, to: other)
            try FileManager.default.copyItem(
                at: newer.url, to: directory.url.appendingPathComponent(".\(newer.url.lastPathComponent).tmp-1"))
            try Data("x".utf8).write(to: directory.url.appendingPathComponent("ledger-notes.sqlite"))
            let listed = try directory.files(of: SnapshotFixture.databaseID)
            #expect(listed.map(\.position) == [4, 2])
            #expect(listed.map(\.url.lastPathComponent) == [newer, older].map(\.url.lastPathComponent))
        }
    }

    @Test func theTablesAndMetadataAreTheDocumentedOnes() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            let database = try SQLiteDatabase(path: file.url.path, readOnly: true)
            defer { database.close() }
            let tables = try database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .rows()
            #expect(
                tables.map { $0.first }
                    == [
                        "mrr_movements", "parked", "payment_transactions", "reducer_state", "snapshot_meta",
                        "subscriptions",
                    ].map { .text($0) })
            let meta = try database.prepare(
                "SELECT format_version, database_id, position, chain_hash, projector_version, created_at FROM snapshot_meta"
            ).rows()
            #expect(
                meta == [
                    [
                        .integer(2), .text("0b5e1c1e-7a0d-4c55-9b2a-3f1e2d4c5b6a"), .integer(4),
                        .text(HexEncoding.encode(SnapshotFixture.chainHash(4))),
                        .integer(Int64(ProjectionState.projectorVersion)), .text("2023-11-14T22:13:20.000000Z"),
                    ]
                ])
            // Each count in the metadata is the number of rows its table holds.
            for (table, count) in [
                ("subscriptions", file.meta.subscriptionRows), ("payment_transactions", file.meta.paymentRows),
                ("parked", file.meta.parkedEvents), ("reducer_state", file.meta.reducerRecords),
                ("mrr_movements", file.meta.mrrMovements),
            ] {
                #expect(try database.prepare("SELECT count(*) FROM \(table)").rows() == [[.integer(Int64(count))]])
                #expect(count > 0, "\(table) is empty: the fixture should exercise it")
            }
            let parked = try database.prepare("SELECT object_key, position, event_type FROM parked").rows()
            #expect(
                parked == [[.text("subscription:sub_weekly"), .integer(3), .text("customer.subscription.created")]])
        }
    }

    /// The digest is over content only, in key order: the same state gives the same digest whenever it is
    /// written, and any change to a row changes it.
    @Test func theContentDigestCoversTheRowsAndNothingElse() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            let later = try SnapshotWriter(directory: directory).write(
                SnapshotFixture.state(), origin: SnapshotFixture.origin(4),
                createdAt: EventTime(secondsSinceEpoch: 1_800_000_000))
            #expect(later.meta.contentDigest == file.meta.contentDigest)
            #expect(later.meta.createdAt != file.meta.createdAt)
            // Pinned: a change to the row encoding or the digest's layout changes every recorded snapshot.
            #expect(file.meta.contentDigest == SnapshotFormatTests.fixtureDigest)
            let fewer = try SnapshotFixture.write(directory, position: 3)
            #expect(fewer.meta.contentDigest != file.meta.contentDigest)
        }
    }

    /// Changed with reducer archive format 4 (issue 14: a payment fact keeps when it happened, `Versioned.reported`)
    /// and projector 7 (`created_at` from the object's own `created`).
    static let fixtureDigest = "ce54f0dc03c9616651ee629247cf0c88bd58e6c0f16e0babc6d5188af53e567a"

    @Test func loadingGivesBackTheStateThatWasWritten() throws {
        try SnapshotFixture.withDirectory { directory in
            let original = SnapshotFixture.state()
            let file = try SnapshotFixture.write(directory)
            let loaded = try SnapshotFile.open(file.url).loadState(configuration: original.configuration)
            #expect(loaded.billing.subscriptionRows() == original.billing.subscriptionRows())
            #expect(loaded.billing.paymentRows() == original.billing.paymentRows())
            #expect(loaded.billing.parked == original.billing.parked)
            #expect(loaded.billing.reducerRecords() == original.billing.reducerRecords())
            #expect(loaded.mrr.movements == original.mrr.movements)
            // A replay continues from it exactly as from the events: the state after 2 plus events 3 and 4.
            let partial = try SnapshotFixture.write(directory, position: 2)
            var resumed = try partial.loadState(configuration: original.configuration)
            for position in 3...4 { _ = resumed.apply(SnapshotFixture.recorded(position)) }
            #expect(resumed.billing.subscriptionRows() == original.billing.subscriptionRows())
            #expect(resumed.billing.reducerRecords() == original.billing.reducerRecords())
            #expect(resumed.mrr.movements == original.mrr.movements)
        }
    }
}
