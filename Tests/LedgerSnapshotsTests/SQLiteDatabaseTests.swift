import Foundation
import LedgerSnapshots
import LedgerTestSupport
import Testing

@Suite("SQLite access")
struct SQLiteDatabaseTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString).sqlite").path
    }

    @Test func valuesRoundTripThroughARealFile() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
            let insert = try database.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)")
            try database.transaction {
                for i in 0..<1_000 {
                    try insert.run([
                        .integer(Int64(i)), .real(0.5), .text("O'Brien ✓ \(i)"), .blob([0, 1, 255]), .null,
                    ])
                }
            }
        }
        let reopened = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try reopened.prepare("SELECT i, r, s, b, n FROM t WHERE i = ?1").rows([.integer(7)])
        #expect(rows == [[.integer(7), .real(0.5), .text("O'Brien ✓ 7"), .blob([0, 1, 255]), .null]])
        #expect(try reopened.prepare("SELECT count(*) FROM t").rows() == [[.integer(1_000)]])
        #expect(throws: SQLiteError.self) { try reopened.execute("INSERT INTO t (i) VALUES (1)") }
    }

    /// `run` binds text and blobs without copying them: every row reads back as it was bound, whatever mix of
    /// empty, long, non-ASCII and NULL values came before it on the same statement.
    @Test(arguments: [UInt64(11), 2026])
    func valuesBoundWithoutACopyReadBackExactly(seed: UInt64) throws {
        let seed = TestSeed.value(default: seed)
        var random = SeededGenerator(seed: seed)
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try SQLiteDatabase(path: path)
        try database.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, a, b, c) WITHOUT ROWID")
        let insert = try database.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)")
        var written: [[SQLiteValue]] = []
        try database.transaction {
            for key in 0..<2_000 {
                let row: [SQLiteValue] = [.integer(Int64(key))] + (0..<3).map { _ in Self.value(&random) }
                try insert.run(row)
                written.append(row)
            }
        }
        let read = try database.prepare("SELECT k, a, b, c FROM t ORDER BY k").rows()
        #expect(read == written, "seed \(seed)")
    }

    /// NULL, an integer, text (empty, or up to 299 characters of ASCII, accents, emoji, quotes) or a blob.
    static func value(_ random: inout SeededGenerator) -> SQLiteValue {
        let length = random.below(300)
        switch random.below(5) {
        case 0: return .null
        case 1: return .integer(Int64(bitPattern: random.next()))
        case 2: return .text(String((0..<length).map { _ in random.pick(["a", "é", "✓", "😀", "'"]) }))
        case 3: return .blob((0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        default: return .text("")
        }
    }

    @Test func failedTransactionRollsBackAndErrorsCarryTheCode() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try SQLiteDatabase(path: path)
        try database.execute("CREATE TABLE u (k TEXT PRIMARY KEY)")
        let insert = try database.prepare("INSERT INTO u VALUES (?1)")
        let error = try #require(throws: SQLiteError.self) {
            try database.transaction {
                try insert.run([.text("a")])
                try insert.run([.text("a")])
            }
        }
        #expect(error.code == 1555)  // SQLITE_CONSTRAINT_PRIMARYKEY
        #expect(try database.prepare("SELECT count(*) FROM u").rows() == [[.integer(0)]])
    }

    @Test func openingAMissingFileReadOnlyFailsClearly() {
        let error = #expect(throws: SQLiteError.self) {
            try SQLiteDatabase(path: "/nonexistent/folder/x.sqlite", readOnly: true)
        }
        #expect(error?.message.contains("/nonexistent/folder/x.sqlite") == true)
    }
}
