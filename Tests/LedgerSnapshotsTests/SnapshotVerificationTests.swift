import Foundation
import LedgerCore
import LedgerSnapshots
import Testing

/// Every reason a snapshot is refused (``SnapshotProblem``), each made to happen to a real file.
@Suite("snapshot files: verification")
struct SnapshotVerificationTests {
    /// Opens and checks `file` as a replay does, without the log: what the first failing check says.
    func problem(_ url: URL) -> SnapshotProblem? {
        do throws(SnapshotProblem) {
            let file = try SnapshotFile.open(url)
            try file.verifyContent()
            _ = try file.loadState(configuration: ProjectionConfiguration())
            return nil
        } catch {
            return error
        }
    }

    @Test func anIntactFilePassesEveryCheck() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            #expect(problem(file.url) == nil)
            try file.verifyOrigin(
                databaseID: SnapshotFixture.databaseID, chainHashAtPosition: SnapshotFixture.chainHash(4))
            try file.verifyRecorded(in: [(position: 5, record: file.meta.record)])
        }
    }

    @Test func bytesThatAreNoDatabaseAndATruncatedFileAreUnreadable() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            let bytes = try Data(contentsOf: file.url)
            try Data(repeating: 0x5A, count: 4096).write(to: file.url)
            #expect(isUnreadable(problem(file.url)))
            try bytes.prefix(bytes.count / 2).write(to: file.url)
            let truncated = problem(file.url)
            #expect(isUnreadable(truncated) || isDamaged(truncated), "\(String(describing: truncated))")
            try Data().write(to: file.url)
            #expect(isUnreadable(problem(file.url)))
        }
    }

    @Test func metadataWithoutExactlyOneRowIsUnreadable() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            try SnapshotFixture.edit(file, "INSERT INTO snapshot_meta SELECT * FROM snapshot_meta")
            #expect(problem(file.url) == .unreadable("snapshot_meta must hold one row"))
            try SnapshotFixture.edit(file, "DELETE FROM snapshot_meta")
            #expect(problem(file.url) == .unreadable("snapshot_meta must hold one row"))
        }
    }

    @Test func damageTheQuickCheckFindsIsNamed() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            // The header's freelist: a trunk page far past the end and one free page. Every table still
            // reads, but the file is not what SQLite wrote.
            let handle = try FileHandle(forUpdating: file.url)
            try handle.seek(toOffset: 32)
            try handle.write(contentsOf: [0x00, 0x00, 0x7F, 0xF0, 0x00, 0x00, 0x00, 0x01])
            try handle.close()
            let found = problem(file.url)
            #expect(isDamaged(found), "\(String(describing: found))")
        }
    }

    @Test func aDamagedTablePageIsUnreadable() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            let database = try SQLiteDatabase(path: file.url.path, readOnly: true)
            let pageSize = try database.prepare("PRAGMA page_size").rows()
            let root = try database.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'mrr_movements'").rows()
            database.close()
            guard case .integer(let size) = pageSize.first?.first, case .integer(let page) = root.first?.first else {
                Issue.record("no page size or root page: \(pageSize) \(root)")
                return
            }
            // The b-tree page type byte of the table's root page: no valid page starts with 0xFF. SQLite
            // itself stops at it ("database disk image is malformed") before quick_check can list it.
            let handle = try FileHandle(forUpdating: file.url)
            try handle.seek(toOffset: UInt64((page - 1) * size))
            try handle.write(contentsOf: [0xFF])
            try handle.close()
            let found = problem(file.url).map(String.init(describing:)) ?? "no problem"
            #expect(found.hasPrefix("unreadable") && found.contains("malformed"), "\(found)")
        }
    }

    @Test func anotherFormatVersionIsNamed() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            try SnapshotFixture.edit(file, "UPDATE snapshot_meta SET format_version = 3")
            #expect(problem(file.url) == .formatVersion(found: 3))
            // Format 1 had no mrr_movements count; docs/snapshots.md says such a file is named by its version.
            try SnapshotFixture.edit(
                file, "ALTER TABLE snapshot_meta DROP COLUMN mrr_movements; UPDATE snapshot_meta SET format_version = 1"
            )
            #expect(problem(file.url) == .formatVersion(found: 1))
        }
    }

    @Test func anotherProjectorVersionIsRefused() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            try SnapshotFixture.edit(file, "UPDATE snapshot_meta SET projector_version = 1")
            #expect(problem(file.url) == .projectorVersion(found: 1, expected: ProjectionState.projectorVersion))
        }
    }

    @Test func aChangedRowNoLongerMatchesTheDigest() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            try SnapshotFixture.edit(file, "UPDATE subscriptions SET amount_cents = amount_cents + 1")
            guard case .digestMismatch(let recorded, let computed) = problem(file.url) else {
                Issue.record("expected a digest mismatch, got \(String(describing: problem(file.url)))")
                return
            }
            #expect(recorded == file.meta.contentDigest)
            #expect(computed != recorded)
        }
    }

    @Test func undecodableReducerStateIsRefused() throws {
        try SnapshotFixture.withDirectory { directory in
            for (table, edit) in [
                ("reducer_state", "INSERT INTO reducer_state VALUES ('no-such-kind', 'k', x'00')"),
                ("mrr_movements", "UPDATE mrr_movements SET kind = 'sideways'"),
                ("reducer_state", "UPDATE reducer_state SET state = x'FFFF'"),
            ] {
                let file = try SnapshotFixture.write(directory)
                try SnapshotFixture.edit(file, edit)
                // verifyContent refuses the edit by its digest; a replay that skipped it would still refuse
                // to load rows it cannot decode.
                let forged = try SnapshotFile.open(file.url)
                #expect(throws: SnapshotProblem.self) { try forged.verifyContent() }
                do throws(SnapshotProblem) {
                    _ = try forged.loadState(configuration: ProjectionConfiguration())
                    Issue.record("\(table): \(edit) loaded")
                } catch {
                    guard case .badReducerState = error else {
                        Issue.record("\(table): expected bad reducer state, got \(error)")
                        continue
                    }
                }
            }
        }
    }

    @Test func aSnapshotOfAnotherLogIsRefused() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            let other = UUID(uuidString: "11111111-2222-4333-8444-555555555555") ?? UUID()
            #expect(throws: SnapshotProblem.otherDatabase(found: SnapshotFixture.databaseID, expected: other)) {
                try file.verifyOrigin(databaseID: other, chainHashAtPosition: SnapshotFixture.chainHash(4))
            }
            #expect(throws: SnapshotProblem.beyondLog(position: 4)) {
                try file.verifyOrigin(databaseID: SnapshotFixture.databaseID, chainHashAtPosition: nil)
            }
            #expect(throws: SnapshotProblem.chainHashMismatch(position: 4)) {
                try file.verifyOrigin(
                    databaseID: SnapshotFixture.databaseID, chainHashAtPosition: SnapshotFixture.chainHash(5))
            }
        }
    }

    @Test func aFileTheLogDoesNotRecordOrRecordsOtherwiseIsRefused() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            #expect(throws: SnapshotProblem.notRecorded(position: 4)) { try file.verifyRecorded(in: []) }
            var otherPosition = file.meta.record
            otherPosition.position = 3
            #expect(throws: SnapshotProblem.notRecorded(position: 4)) {
                try file.verifyRecorded(in: [(position: 5, record: otherPosition)])
            }
            var edited = file.meta.record
            edited.contentDigest = String(repeating: "0", count: 64)
            #expect(throws: SnapshotProblem.contentDiffersFromRecord(recordPosition: 7)) {
                try file.verifyRecorded(in: [(position: 7, record: edited)])
            }
            // Recorded twice, once as written: the file is the recorded one.
            try file.verifyRecorded(in: [(position: 5, record: edited), (position: 6, record: file.meta.record)])
        }
    }

    @Test func everyReasonReadsAsASentenceWithoutTypeNames() {
        let reasons: [SnapshotProblem] = [
            .unreadable("x"), .damaged("x"), .formatVersion(found: 1), .digestMismatch(recorded: "ab", computed: "cd"),
            .projectorVersion(found: 1, expected: 2), .otherDatabase(found: UUID(), expected: UUID()),
            .beyondLog(position: 1), .chainHashMismatch(position: 1), .badReducerState("x"), .notRecorded(position: 1),
            .contentDiffersFromRecord(recordPosition: 1),
        ]
        for reason in reasons {
            let text = reason.description
            #expect(!text.contains("SnapshotProblem") && !text.contains("Error") && !text.contains("."), "\(text)")
        }
    }

    func isUnreadable(_ problem: SnapshotProblem?) -> Bool {
        if case .unreadable = problem { true } else { false }
    }

    func isDamaged(_ problem: SnapshotProblem?) -> Bool {
        if case .damaged = problem { true } else { false }
    }
}
