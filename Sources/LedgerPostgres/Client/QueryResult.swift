import CLibPQ

/// Whether the server sends result values as text or in binary form.
public enum PostgresFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}

/// The rows of one statement. Owns its libpq result and frees it on deinit,
/// so a result can never leak, whichever path the caller leaves by.
public final class QueryResult {
    let handle: OpaquePointer
    /// Number of rows returned.
    public let rowCount: Int
    /// Number of columns in each row.
    public let columnCount: Int

    init(handle: OpaquePointer) {
        self.handle = handle
        self.rowCount = Int(PQntuples(handle))
        self.columnCount = Int(PQnfields(handle))
    }

    deinit { PQclear(handle) }

    /// Rows affected by INSERT/UPDATE/DELETE/COPY (`PQcmdTuples`), or 0.
    public var affectedRows: Int {
        Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    /// The column names, in order.
    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) }
    }

    /// Index of the column called `name`, if the result has one.
    public func columnIndex(_ name: String) -> Int? {
        let index = PQfnumber(handle, name)
        return index < 0 ? nil : Int(index)
    }
}

extension QueryResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }
}

/// One row of a ``QueryResult``; valid while the result lives.
public struct PostgresRow {
    let result: QueryResult
    let index: Int

    /// Decodes the value at `column` as `T`; decode `T?` to accept NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        precondition(column >= 0 && column < result.columnCount, "column \(column) out of range")
        let handle = result.handle
        let row = Int32(index)
        let field = Int32(column)
        let cell = PostgresCell(
            bytes: PQgetisnull(handle, row, field) == 1
                ? nil
                : UnsafeRawBufferPointer(
                    start: PQgetvalue(handle, row, field), count: Int(PQgetlength(handle, row, field))),
            format: PQfformat(handle, field) == 1 ? .binary : .text,
            typeOID: PQftype(handle, field), result: handle, column: field)
        return try T.decode(from: cell)
    }

    /// Decodes the value of the column called `name`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, named name: String) throws -> T {
        guard let column = result.columnIndex(name) else {
            throw PostgresError(.decoding, message: "result has no column named \(name)")
        }
        return try decode(type, at: column)
    }

    /// The raw bytes of the value at `column` (nil for NULL), borrowed from the
    /// result: valid only while the ``QueryResult`` lives. For hot paths that
    /// hash or copy values without decoding them.
    public func rawBytes(at column: Int) -> UnsafeRawBufferPointer? {
        let handle = result.handle
        let row = Int32(index)
        let field = Int32(column)
        guard PQgetisnull(handle, row, field) == 0 else { return nil }
        return UnsafeRawBufferPointer(
            start: PQgetvalue(handle, row, field), count: Int(PQgetlength(handle, row, field)))
    }

    /// True when the value at `column` is SQL NULL.
    public func isNull(at column: Int) -> Bool {
        PQgetisnull(result.handle, Int32(index), Int32(column)) == 1
    }
}
