import CLibPQ
import LedgerCore

extension PostgresConnection {
    /// Streams rows into `COPY … FROM STDIN` and returns how many rows the server stored.
    ///
    /// `body` writes rows through the ``CopyInWriter``; data goes to libpq in
    /// chunks of ``Limits/copyChunkBytesMax``. If `body` throws, the COPY is
    /// aborted (nothing is stored) and the error is rethrown.
    ///
    /// - Parameters:
    ///   - sql: the COPY statement, e.g. `COPY t (a, b) FROM STDIN (FORMAT binary)`.
    ///   - format: the format the statement names; binary adds the header and trailer.
    @discardableResult
    public func copyIn(
        _ sql: String, format: PostgresFormat = .text, _ body: (inout CopyInWriter) throws -> Void
    ) throws -> Int {
        let handle = try liveHandle()
        _ = try check(PQexec(handle, sql), accepting: [PGRES_COPY_IN.rawValue])
        var writer = CopyInWriter(format: format, connection: handle)
        do {
            if format == .binary { writer.writeBinaryHeader() }
            try body(&writer)
            if format == .binary { writer.writeBinaryTrailer() }
            try writer.flush()
        } catch {
            // Abort so the server discards the partial COPY, then drain its error result.
            _ = PQputCopyEnd(handle, "aborted by client: \(error)")
            while let result = PQgetResult(handle) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw PostgresError.fromConnection(handle) }
        var stored = 0
        var failure: (any Error)?
        while let result = PQgetResult(handle) {
            do {
                stored += try check(result).affectedRows
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return stored
    }
}

/// Buffers COPY data and hands it to libpq in bounded chunks.
public struct CopyInWriter {
    public let format: PostgresFormat
    private let connection: OpaquePointer
    private var buffer: [UInt8] = []

    init(format: PostgresFormat, connection: OpaquePointer) {
        self.format = format
        self.connection = connection
        buffer.reserveCapacity(Limits.copyChunkBytesMax + 4096)
    }

    /// Appends bytes already in the COPY format of the statement.
    public mutating func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Limits.copyChunkBytesMax { try flush() }
    }

    /// Appends one row in text format, escaping tabs, newlines and backslashes; nil is NULL.
    public mutating func writeTextRow(_ fields: [String?]) throws {
        precondition(format == .text, "writeTextRow on a binary COPY")
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(0x09) }
            guard let field else {
                buffer.append(contentsOf: [0x5C, 0x4E])  // \N
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
                case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
                case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(0x0A)
        if buffer.count >= Limits.copyChunkBytesMax { try flush() }
    }

    /// Appends one row in binary format: each field already in PostgreSQL's binary form; nil is NULL.
    public mutating func writeBinaryRow(_ fields: [CopyBinaryField]) throws {
        precondition(format == .binary, "writeBinaryRow on a text COPY")
        appendBigEndian(Int16(fields.count))
        for field in fields {
            switch field {
            case .null:
                appendBigEndian(Int32(-1))
            case .bytes(let bytes):
                appendBigEndian(Int32(bytes.count))
                buffer.append(contentsOf: bytes)
            case .int64(let value):
                appendBigEndian(Int32(8))
                appendBigEndian(value)
            case .int32(let value):
                appendBigEndian(Int32(4))
                appendBigEndian(value)
            case .text(let text):
                appendBigEndian(Int32(text.utf8.count))
                buffer.append(contentsOf: text.utf8)
            }
        }
        if buffer.count >= Limits.copyChunkBytesMax { try flush() }
    }

    mutating func writeBinaryHeader() {
        buffer.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        appendBigEndian(Int32(0))  // flags
        appendBigEndian(Int32(0))  // header extension length
    }

    mutating func writeBinaryTrailer() { appendBigEndian(Int16(-1)) }

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    /// Sends what is buffered to libpq.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else { throw PostgresError.fromConnection(connection) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// One field of a binary COPY row.
public enum CopyBinaryField {
    case null
    /// Bytes already in the column type's binary form (raw bytes for `bytea`, UTF-8 for `text`).
    case bytes([UInt8])
    case text(String)
    case int64(Int64)
    case int32(Int32)
}

// MARK: - COPY … TO STDOUT

extension PostgresConnection {
    /// Runs `COPY … TO STDOUT` and calls `body` with each data message the server sends, borrowed
    /// for the duration of the call; returns how many rows the server reports it copied.
    ///
    /// Memory stays at one message: libpq hands over each row as the server sends it (in binary
    /// format the first message also carries the file header, the last the trailer). If `body`
    /// throws, the statement is cancelled, what is still in flight is drained, and the error is
    /// rethrown with the connection usable again.
    @discardableResult
    public func copyOut(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let handle = try liveHandle()
        _ = try check(PQexec(handle, sql), accepting: [PGRES_COPY_OUT.rawValue])
        var failure: (any Error)?
        while true {
            var data: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &data, 0)
            if length == -1 { break }
            guard length >= 0, let data else {
                failure = failure ?? PostgresError.fromConnection(handle)
                break
            }
            defer { PQfreemem(data) }
            guard failure == nil else { continue }  // draining after a cancel
            do {
                try body(UnsafeRawBufferPointer(start: data, count: Int(length)))
            } catch {
                failure = error
                cancelRunningStatement(handle)
            }
        }
        var copied = 0
        while let result = PQgetResult(handle) {
            do {
                copied += try check(result).affectedRows
            } catch {
                // After a cancel the server reports "canceling statement": the caller's error is the one to report.
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return copied
    }

    /// Asks the server to stop the statement this connection is running (best effort).
    private func cancelRunningStatement(_ handle: OpaquePointer) {
        guard let cancel = PQgetCancel(handle) else { return }
        defer { PQfreeCancel(cancel) }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
    }
}
