/// Splits the stream of a `COPY … TO STDOUT (FORMAT binary)` into rows of raw fields.
///
/// Fed the messages ``PostgresConnection/copyOut(_:_:)`` hands over; the server sends one row per
/// message (the header rides on the first, the trailer on the last), so rows are parsed where
/// they lie, without copying. A row cut across messages, which the protocol does not promise
/// never happens, is carried over and parsed once complete.
public struct BinaryCopyReader {
    /// `PGCOPY\n\377\r\n\0`, then 32-bit flags and the header extension's length.
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    private let columns: Int
    private var fields: [UnsafeRawBufferPointer?]
    private var carry: [UInt8] = []
    private var headerRead = false
    /// True once the trailer has been read.
    public private(set) var finished = false

    /// A reader for rows of exactly `columns` fields.
    public init(columns: Int) {
        self.columns = columns
        self.fields = Array(repeating: nil, count: columns)
    }

    /// Parses `message` and calls `row` with each complete row's fields (nil for NULL), borrowed for the call.
    public mutating func consume(
        _ message: UnsafeRawBufferPointer, row: ([UnsafeRawBufferPointer?]) throws -> Void
    ) throws {
        if carry.isEmpty {
            let used = try parse(message, row: row)
            if used < message.count { carry.append(contentsOf: message[used...]) }
            return
        }
        carry.append(contentsOf: message)
        var pending: [UInt8] = []
        swap(&pending, &carry)
        let used = try pending.withUnsafeBytes { try parse($0, row: row) }
        carry = Array(pending[used...])
    }

    /// Fails unless the stream ended exactly at the trailer.
    public func checkComplete() throws {
        guard finished, carry.isEmpty else {
            throw PostgresError(.protocolViolation, message: "binary COPY stream ended without its trailer")
        }
    }

    /// Parses whole rows from `bytes`; returns how many bytes they took (the rest waits for more).
    private mutating func parse(
        _ bytes: UnsafeRawBufferPointer, row: ([UnsafeRawBufferPointer?]) throws -> Void
    ) throws -> Int {
        var offset = 0
        if !headerRead {
            let fixed = Self.signature.count + 8
            guard bytes.count >= fixed else { return 0 }
            guard bytes.prefix(Self.signature.count).elementsEqual(Self.signature) else {
                throw PostgresError(.protocolViolation, message: "binary COPY stream has no PGCOPY signature")
            }
            let extensionLength = Int(Self.int32(bytes, at: Self.signature.count + 4))
            guard bytes.count >= fixed + extensionLength else { return 0 }
            offset = fixed + extensionLength
            headerRead = true
        }
        while offset + 2 <= bytes.count {
            let count = Int(
                Int16(bitPattern: UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
            if count == -1 {
                finished = true
                guard offset + 2 == bytes.count else {
                    throw PostgresError(.protocolViolation, message: "binary COPY stream has data after its trailer")
                }
                return bytes.count
            }
            guard count == columns else {
                throw PostgresError(
                    .protocolViolation, message: "binary COPY row has \(count) fields, expected \(columns)")
            }
            var cursor = offset + 2
            for column in 0..<columns {
                guard cursor + 4 <= bytes.count else { return offset }
                let length = Int(Self.int32(bytes, at: cursor))
                cursor += 4
                if length == -1 {
                    fields[column] = nil
                    continue
                }
                guard length >= 0 else {  // -1 is NULL; any other negative length is no field at all
                    throw PostgresError(.protocolViolation, message: "binary COPY field has length \(length)")
                }
                guard cursor + length <= bytes.count else { return offset }
                fields[column] = UnsafeRawBufferPointer(rebasing: bytes[cursor..<cursor + length])
                cursor += length
            }
            try row(fields)
            offset = cursor
        }
        return offset
    }

    static func int32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int32 {
        Int32(bitPattern: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// A binary `int8` or `timestamptz` field (8 bytes, big-endian).
    public static func int64(_ field: UnsafeRawBufferPointer) -> Int64? {
        guard field.count == 8 else { return nil }
        return Int64(bitPattern: UInt64(bigEndian: field.loadUnaligned(as: UInt64.self)))
    }
}
