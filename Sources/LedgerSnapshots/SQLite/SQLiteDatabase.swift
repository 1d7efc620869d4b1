import CSQLite
import Foundation

/// SQLite copies bound text and blobs when told "transient" (a macro Swift does not import).
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// An error from SQLite, with its result code and message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// SQLite's extended result code (`SQLITE_CORRUPT`, `SQLITE_CONSTRAINT_UNIQUE`, …).
    public var code: Int32
    public var message: String
    public var description: String { "SQLite error \(code): \(message)" }
}

/// One SQLite database file, opened by one owner at a time (not `Sendable`).
public final class SQLiteDatabase {
    private var handle: OpaquePointer?
    /// The file this database lives in.
    public let path: String

    /// Opens (and, unless `readOnly`, creates) the database at `path`.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var connection: OpaquePointer?
        let status = sqlite3_open_v2(path, &connection, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(connection)
            throw SQLiteError(code: status, message: "cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(connection, 1)
        handle = connection
    }

    deinit { close() }

    /// Closes the database; statements still alive are finalised by SQLite when they go.
    public func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database \(path) is closed") }
        return handle
    }

    func error(_ status: Int32) -> SQLiteError {
        SQLiteError(code: status, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")
    }

    /// Runs SQL text without parameters, possibly several statements (schema, pragmas).
    public func execute(_ sql: String) throws {
        let handle = try liveHandle()
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            throw SQLiteError(code: status, message: message.map { String(cString: $0) } ?? "unknown error")
        }
    }

    /// Compiles one statement; bind values with ``SQLiteStatement/bind(_:)``.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        let handle = try liveHandle()
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status) }
        return SQLiteStatement(database: self, handle: statement)
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A value bound to, or read from, a SQLite statement.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A compiled statement; finalised on deinit.
public final class SQLiteStatement {
    /// A valid address for zero bytes of text.
    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return UnsafePointer(pointer)
    }()

    let database: SQLiteDatabase
    let handle: OpaquePointer

    init(database: SQLiteDatabase, handle: OpaquePointer) {
        self.database = database
        self.handle = handle
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to `?1`, `?2`, ….
    public func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(handle)
        // Parameters left unbound keep their last value; clearing costs a call per parameter, so only then.
        if values.count < Int(sqlite3_bind_parameter_count(handle)) { sqlite3_clear_bindings(handle) }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(handle, index)
            case .integer(let integer): status = sqlite3_bind_int64(handle, index, integer)
            case .real(let real): status = sqlite3_bind_double(handle, index, real)
            case .text(let text):
                // The UTF-8 bytes with their length: no C-string copy, no strlen.
                var text = text
                status = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        // An empty buffer may have no address; SQLite would read a null pointer as NULL.
                        sqlite3_bind_text(
                            handle, index, $0.baseAddress ?? Self.empty, Int32($0.count), SQLITE_TRANSIENT)
                    }
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)
                }
            }
            guard status == SQLITE_OK else { throw database.error(status) }
        }
    }

    /// Runs a statement that returns no rows.
    ///
    /// Text and blobs are bound without a copy (no destructor, as `SQLITE_STATIC`), from the values' own storage,
    /// and the statement is stepped while that storage is borrowed: a snapshot binds millions of values, and the
    /// copy was a `malloc` and a `memcpy` each. SQLite keeps the pointers only until the next reset and bind,
    /// which every later ``run(_:)``, ``forEachRow(_:_:)`` and ``rows(_:)`` does first.
    public func run(_ values: [SQLiteValue] = []) throws {
        sqlite3_reset(handle)
        if values.count < Int(sqlite3_bind_parameter_count(handle)) { sqlite3_clear_bindings(handle) }
        let status = try values.withUnsafeBufferPointer { try bindBorrowedAndStep($0, from: 0) }
        guard status == SQLITE_DONE || status == SQLITE_ROW else { throw database.error(status) }
    }

    /// Binds `values[offset...]` without copying text or blobs, then steps once inside their borrows.
    private func bindBorrowedAndStep(_ values: UnsafeBufferPointer<SQLiteValue>, from offset: Int) throws -> Int32 {
        var offset = offset
        while offset < values.count {
            let index = Int32(offset + 1)
            switch values[offset] {
            case .null: try check(sqlite3_bind_null(handle, index))
            case .integer(let integer): try check(sqlite3_bind_int64(handle, index, integer))
            case .real(let real): try check(sqlite3_bind_double(handle, index, real))
            case .text(var text):
                return try text.withUTF8 { bytes in
                    try bytes.withMemoryRebound(to: CChar.self) {
                        // An empty buffer may have no address; SQLite would read a null pointer as NULL.
                        try check(sqlite3_bind_text(handle, index, $0.baseAddress ?? Self.empty, Int32($0.count), nil))
                    }
                    return try bindBorrowedAndStep(values, from: offset + 1)
                }
            case .blob(let bytes):
                return try bytes.withUnsafeBytes {
                    // An empty blob may have no address either: zero bytes from a valid one.
                    try check(
                        sqlite3_bind_blob(
                            handle, index, $0.baseAddress ?? UnsafeRawPointer(Self.empty), Int32($0.count), nil))
                    return try bindBorrowedAndStep(values, from: offset + 1)
                }
            }
            offset += 1
        }
        return sqlite3_step(handle)
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw database.error(status) }
    }

    /// Runs a query and calls `body` with each row, without copying the row out (large reads).
    public func forEachRow(_ values: [SQLiteValue] = [], _ body: (SQLiteRow) throws -> Void) throws {
        try bind(values)
        while true {
            let status = sqlite3_step(handle)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw database.error(status) }
            try body(SQLiteRow(handle: handle))
        }
    }

    /// Runs a query and returns every row as values.
    public func rows(_ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try bind(values)
        var rows: [[SQLiteValue]] = []
        while true {
            let status = sqlite3_step(handle)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw database.error(status) }
            rows.append((0..<sqlite3_column_count(handle)).map(column))
        }
    }

    private func column(_ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(handle, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob([UInt8](UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }
}

/// The current row of a statement being stepped; valid only inside the ``SQLiteStatement/forEachRow(_:_:)`` body.
public struct SQLiteRow {
    let handle: OpaquePointer

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The storage class of the column: `SQLITE_INTEGER`, `SQLITE_FLOAT`, `SQLITE_TEXT`, `SQLITE_BLOB` or `SQLITE_NULL`.
    public func type(_ index: Int32) -> Int32 { sqlite3_column_type(handle, index) }

    public func isNull(_ index: Int32) -> Bool { type(index) == SQLITE_NULL }

    public func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    public func double(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// Text or blob bytes, borrowed until the next step.
    public func bytes(_ index: Int32) -> UnsafeRawBufferPointer {
        let pointer =
            type(index) == SQLITE_BLOB
            ? sqlite3_column_blob(handle, index) : UnsafeRawPointer(sqlite3_column_text(handle, index))
        let count = Int(sqlite3_column_bytes(handle, index))
        return UnsafeRawBufferPointer(start: count > 0 ? pointer : nil, count: count)
    }

    public func text(_ index: Int32) -> String? {
        isNull(index) ? nil : String(decoding: bytes(index), as: UTF8.self)
    }

    public func blob(_ index: Int32) -> [UInt8] { [UInt8](bytes(index)) }
}
