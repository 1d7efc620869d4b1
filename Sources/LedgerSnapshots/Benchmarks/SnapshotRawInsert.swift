import CSQLite
import Foundation

/// The limit `ledger-bench snapshot-io` measures the snapshot writer against: SQLite's own C API inserting the
/// same rows into the same tables, with nothing of Swift's in the loop.
///
/// The rows are laid out beforehand (``init(_:)``, not timed) as one byte arena and fixed-size value slots, so
/// ``write(to:)`` does only what the C API needs: one prepared statement per table, reused; every value bound
/// from memory SQLite does not copy (`SQLITE_STATIC`); one transaction, no journal, no syncs until one `fsync`
/// of the finished file — the snapshot file's schema (`WITHOUT ROWID` tables) and key order, the writer's pragmas.
public struct SnapshotRawInsert {
    private enum Slot {
        case null
        case integer(Int64)
        case real(Double)
        case text(offset: Int, count: Int)
        case blob(offset: Int, count: Int)
    }

    private struct Table {
        var name: String
        var columnCount: Int
        var slots: [Slot] = []
    }

    private var tables: [Table]
    private var arena: [UInt8] = []

    /// Rows sent in `batches` (what ``SnapshotContent/produce(_:)`` sends), laid out for the C API.
    public init(_ batches: [SnapshotBatch]) {
        tables = SnapshotContent.Table.allCases.map { Table(name: $0.name, columnCount: $0.columnCount) }
        for case .rows(let table, let rows) in batches {
            for row in rows {
                for value in row { tables[table.rawValue].slots.append(slot(value)) }
            }
        }
    }

    private mutating func slot(_ value: SQLiteValue) -> Slot {
        switch value {
        case .null: return .null
        case .integer(let integer): return .integer(integer)
        case .real(let real): return .real(real)
        case .text(let text):
            let offset = arena.count
            arena.append(contentsOf: text.utf8)
            return .text(offset: offset, count: arena.count - offset)
        case .blob(let bytes):
            let offset = arena.count
            arena.append(contentsOf: bytes)
            return .blob(offset: offset, count: bytes.count)
        }
    }

    /// Rows laid out, all tables.
    public var rowCount: Int { tables.reduce(0) { $0 + $1.slots.count / max($1.columnCount, 1) } }

    /// Writes every row into a new file at `path` (replaced if present) and syncs it once; throws SQLite's errors.
    public func write(to path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        try database.execute(SnapshotWriter.pragmas)
        try database.transaction {
            try database.execute(SnapshotSchema.create)
            let handle = try database.liveHandle()
            try arena.withUnsafeBytes { bytes in
                for table in tables where !table.slots.isEmpty {
                    let placeholders = (1...table.columnCount).map { "?\($0)" }.joined(separator: ", ")
                    let statement = try database.prepare("INSERT INTO \(table.name) VALUES (\(placeholders))")
                    try insert(table, with: statement.handle, from: bytes, on: handle)
                }
            }
        }
        try StagedPath.fsync(URL(fileURLWithPath: path))
    }

    private func insert(
        _ table: Table, with statement: OpaquePointer, from bytes: UnsafeRawBufferPointer, on handle: OpaquePointer
    ) throws {
        let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1).unsafelyUnwrapped
        var column: Int32 = 0
        for slot in table.slots {
            column += 1
            switch slot {
            case .null: sqlite3_bind_null(statement, column)
            case .integer(let integer): sqlite3_bind_int64(statement, column, integer)
            case .real(let real): sqlite3_bind_double(statement, column, real)
            case .text(let offset, let count):
                sqlite3_bind_text(
                    statement, column, (base + offset).assumingMemoryBound(to: CChar.self), Int32(count), nil)
            case .blob(let offset, let count):
                sqlite3_bind_blob(statement, column, base + offset, Int32(count), nil)
            }
            guard column == table.columnCount else { continue }
            column = 0
            let status = sqlite3_step(statement)
            guard status == SQLITE_DONE else {
                throw SQLiteError(code: status, message: String(cString: sqlite3_errmsg(handle)))
            }
            sqlite3_reset(statement)
        }
    }
}
