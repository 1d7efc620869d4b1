import CLibPQ
import Foundation

/// A blocking connection to PostgreSQL over libpq.
///
/// Not thread-safe and deliberately not `Sendable`: one owner (a task, an
/// actor, a thread) uses it at a time. Results are copied out or owned by a
/// ``QueryResult`` that frees them; the connection closes on `close()` or deinit.
public final class PostgresConnection {
    private(set) var handle: OpaquePointer?
    private var preparedCount = 0
    /// The names of the statements ``cachedStatement(_:)`` prepared, by their SQL: names, not
    /// ``PreparedStatement``s, which hold their connection and would keep it (and its session) alive forever.
    private var cachedStatementNames: [String: String] = [:]

    /// Opens a connection.
    ///
    /// - Parameter url: a `postgresql://` URL or a libpq keyword string. `nil`
    ///   uses libpq's own defaults (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`,
    ///   `PGPASSWORD`, `PGSERVICE`, …).
    public init(url: String?) throws {
        // Order matters: values later in the arrays win, so the caller's URL
        // (expanded from "dbname") overrides our defaults.
        var settings: [(String, String)] = [
            ("connect_timeout", "10"),
            ("fallback_application_name", "ledger"),
            ("options", Self.sessionOptions),
        ]
        if let url, !url.isEmpty { settings.append(("dbname", url)) }
        let connection = withCStringArrays(settings.map(\.0), settings.map(\.1)) { keywords, values in
            PQconnectdbParams(keywords, values, 1)
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)).trimmingTrailingNewlines() }
            PQfinish(connection)
            // libpq's words may quote the connection string: scrubbed, so a password is never printed.
            let reason = ConnectionString.scrubbed(message ?? "out of memory", connectionString: url)
            let target = url.map { " at \(ConnectionString.redacted($0))" } ?? ""
            throw PostgresError(
                .connectionFailed, message: "could not connect to PostgreSQL\(target): \(reason)",
                hint: url == nil ? "set DATABASE_URL or pass --database-url" : nil)
        }
        Self.routeNotices(of: connection)
        handle = connection
    }

    /// Server settings every session starts with, before `PGOPTIONS` (which may override them) and unless
    /// the URL gives `options` of its own.
    ///
    /// `jit=off`: the ledger's statements are short (an append's look-up, COPY and triggers; a page of
    /// reads), and PostgreSQL's JIT compiled some of them on every append once their estimated cost passed
    /// `jit_above_cost`, for a quarter of the backend's CPU; `sync backfill` ran 1.6–2.6× faster without it
    /// (docs/benchmarks.md).
    static var sessionOptions: String {
        let fromEnvironment = ProcessInfo.processInfo.environment["PGOPTIONS"] ?? ""
        return fromEnvironment.isEmpty ? "-c jit=off" : "-c jit=off " + fromEnvironment
    }

    deinit { close() }

    /// Closes the connection; further use throws ``PostgresError/Kind-swift.enum/connectionLost``.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// True while libpq considers the connection usable.
    public var isOpen: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// The server process id serving this connection (useful to terminate it in tests).
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(.connectionLost, message: "connection is closed") }
        return handle
    }

    // MARK: - Statements

    /// Runs one statement with bind parameters (`$1`, `$2`, …) and returns its rows.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], resultFormat: PostgresFormat = .text
    ) throws -> QueryResult {
        let handle = try liveHandle()
        let result = try ParameterBuffer.with(parameters.map(\.postgresParameter)) { buffer in
            PQexecParams(
                handle, sql, buffer.count, buffer.types, buffer.values, buffer.lengths, buffer.formats,
                resultFormat.rawValue)
        }
        return try check(result)
    }

    /// Runs SQL text without parameters, possibly several statements (simple query protocol).
    ///
    /// For migrations and fixed DDL only: values never go through here.
    public func execute(_ sql: String) throws {
        let handle = try liveHandle()
        _ = try check(PQexec(handle, sql))
    }

    /// Runs SQL text without parameters and returns the rows of its last statement.
    ///
    /// Several fixed statements then cost one round trip (e.g. `BEGIN; SELECT …`).
    public func simpleQuery(_ sql: String) throws -> QueryResult {
        let handle = try liveHandle()
        return try check(PQexec(handle, sql))
    }

    /// Prepares `sql` once on this connection; run it many times with ``PreparedStatement/run(_:resultFormat:)``.
    public func prepare(_ sql: String) throws -> PreparedStatement {
        let handle = try liveHandle()
        preparedCount += 1
        let name = "ledger_statement_\(preparedCount)"
        _ = try check(PQprepare(handle, name, sql, 0, nil))
        return PreparedStatement(connection: self, name: name)
    }

    /// `sql` prepared on this connection at its first use and reused by every later call with the same text.
    ///
    /// For the statements a connection runs again and again on the partitioned log: PostgreSQL plans an
    /// unprepared statement at every call, and planning visits every partition of `ledger.events`, so it
    /// costs ten times the execution of an index look-up and grows with the log. A prepared statement is
    /// planned for its first five executions, then runs a generic plan that prunes partitions at run time
    /// (docs/0018).
    public func cachedStatement(_ sql: String) throws -> PreparedStatement {
        if let name = cachedStatementNames[sql] { return PreparedStatement(connection: self, name: name) }
        let statement = try prepare(sql)
        cachedStatementNames[sql] = statement.name
        return statement
    }

    func runPrepared(
        _ name: String, _ parameters: [any PostgresEncodable], resultFormat: PostgresFormat
    ) throws -> QueryResult {
        let handle = try liveHandle()
        let result = try ParameterBuffer.with(parameters.map(\.postgresParameter)) { buffer in
            PQexecPrepared(
                handle, name, buffer.count, buffer.values, buffer.lengths, buffer.formats, resultFormat.rawValue)
        }
        return try check(result)
    }

    /// Takes ownership of `result`: returns it wrapped if it succeeded, frees it and throws otherwise.
    func check(_ result: OpaquePointer?, accepting accepted: Set<UInt32> = []) throws -> QueryResult {
        guard let result else { throw PostgresError.fromConnection(handle) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return QueryResult(handle: result)
        default:
            if accepted.contains(status.rawValue) { return QueryResult(handle: result) }
            var error = PostgresError.from(result: result, connection: handle)
            if let handle, PQstatus(handle) == CONNECTION_BAD { error.kind = .connectionLost }
            PQclear(result)
            throw error
        }
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        let value: T
        do {
            value = try body()
        } catch {
            // The connection may be gone; the original error is the one to report.
            if isOpen { try? execute("ROLLBACK") }
            throw error
        }
        try execute("COMMIT")
        return value
    }

    /// Quotes `identifier` for SQL text (channel names, which cannot be parameters).
    public func quoteIdentifier(_ identifier: String) throws -> String {
        let handle = try liveHandle()
        guard let quoted = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            throw PostgresError.fromConnection(handle)
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}

/// A statement prepared on one connection.
public struct PreparedStatement {
    let connection: PostgresConnection
    /// The server-side name of the statement.
    public let name: String

    /// Executes the statement with bind parameters.
    @discardableResult
    public func run(_ parameters: [any PostgresEncodable] = [], resultFormat: PostgresFormat = .text) throws
        -> QueryResult
    {
        try connection.runPrepared(name, parameters, resultFormat: resultFormat)
    }
}

/// Lays bind parameters out in one allocation as libpq wants them: parallel
/// arrays of pointers, lengths and formats, text NUL-terminated.
struct ParameterBuffer {
    let count: Int32
    let values: UnsafePointer<UnsafePointer<CChar>?>?
    let lengths: UnsafePointer<Int32>?
    let formats: UnsafePointer<Int32>?
    let types: UnsafePointer<Oid>?

    static func with<R>(_ parameters: [PostgresParameter], _ body: (ParameterBuffer) throws -> R) throws -> R {
        var total = 0
        for (position, parameter) in parameters.enumerated() {
            switch parameter {
            case .null: break
            case .text(let text):
                if text.utf8.contains(0) {
                    throw PostgresError(
                        .invalidParameter,
                        message: "parameter $\(position + 1) contains a NUL byte, which PostgreSQL text cannot store",
                        hint: "send binary data as bytes ([UInt8]) or remove the NUL")
                }
                total += text.utf8.count + 1
            case .binary(let bytes, _): total += bytes.count
            }
        }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 8)
        let values = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(parameters.count, 1))
        let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: max(parameters.count, 1))
        let formats = UnsafeMutablePointer<Int32>.allocate(capacity: max(parameters.count, 1))
        let types = UnsafeMutablePointer<Oid>.allocate(capacity: max(parameters.count, 1))
        defer {
            storage.deallocate()
            values.deallocate()
            lengths.deallocate()
            formats.deallocate()
            types.deallocate()
        }
        var offset = 0
        for (index, parameter) in parameters.enumerated() {
            func place(_ bytes: some Collection<UInt8>, terminate: Bool) {
                let start = storage + offset
                var cursor = start
                for byte in bytes {
                    cursor.storeBytes(of: byte, as: UInt8.self)
                    cursor += 1
                }
                if terminate { cursor.storeBytes(of: 0, as: UInt8.self) }
                values[index] = UnsafePointer(start.assumingMemoryBound(to: CChar.self))
                offset += bytes.count + (terminate ? 1 : 0)
            }
            switch parameter {
            case .null:
                values[index] = nil
                lengths[index] = 0
                formats[index] = 0
                types[index] = 0
            case .text(let text):
                place(text.utf8, terminate: true)
                lengths[index] = 0
                formats[index] = 0
                types[index] = 0
            case .binary(let bytes, let oid):
                place(bytes, terminate: false)
                lengths[index] = Int32(bytes.count)
                formats[index] = 1
                types[index] = oid
            }
        }
        let buffer = ParameterBuffer(
            count: Int32(parameters.count), values: UnsafePointer(values), lengths: UnsafePointer(lengths),
            formats: UnsafePointer(formats), types: UnsafePointer(types))
        return try body(buffer)
    }
}

/// Calls `body` with two NULL-terminated C string arrays, as `PQconnectdbParams` takes them.
func withCStringArrays<R>(
    _ first: [String], _ second: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R
) -> R {
    let firstCopies = first.map { strdup($0) }
    let secondCopies = second.map { strdup($0) }
    defer {
        firstCopies.forEach { free($0) }
        secondCopies.forEach { free($0) }
    }
    let firstPointers = firstCopies.map { UnsafePointer($0) } + [nil]
    let secondPointers = secondCopies.map { UnsafePointer($0) } + [nil]
    return firstPointers.withUnsafeBufferPointer { firstBuffer in
        secondPointers.withUnsafeBufferPointer { secondBuffer in
            // Never nil: both arrays hold at least their NULL terminator.
            body(firstBuffer.baseAddress, secondBuffer.baseAddress)
        }
    }
}
