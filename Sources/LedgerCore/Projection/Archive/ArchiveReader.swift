/// Reads one ``ReducerRecord``'s state as ``ArchiveWriter`` wrote it; every read is bounds-checked.
///
/// Bad bytes never trap: each read throws a ``ReducerArchiveError`` naming the record, the field being
/// read and the offset. The reader accepts only the encoding the writer produces (canonical varints,
/// ascending keys), so a restored state archives to the same bytes it was read from.
struct ArchiveReader {
    private let bytes: [UInt8]
    private let kind: ReducerRecord.Kind
    private let key: String
    /// The byte the next read starts at.
    private var offset = 0
    /// The field being read, for error messages only (a `StaticString`, so naming it costs nothing).
    private var field: StaticString = "formatVersion"

    /// A reader positioned after the record's format version; throws unless it is ``ReducerRecord/formatVersion``.
    init(_ record: ReducerRecord) throws(ReducerArchiveError) {
        bytes = record.state
        kind = record.kind
        key = record.key
        let version = try readByte()
        guard version == ReducerRecord.formatVersion else {
            throw ReducerArchiveError(
                .unsupportedFormatVersion(version), kind: kind, key: key, field: "formatVersion", offset: 0)
        }
    }

    /// Reads a value of type `T`, recording `field` for the error message should it fail.
    mutating func read<T: ArchiveCodable>(_ field: StaticString) throws(ReducerArchiveError) -> T {
        self.field = field
        return try T(from: &self)
    }

    /// Throws unless every byte of the state was read.
    func finish() throws(ReducerArchiveError) {
        guard offset == bytes.count else { throw failure(.trailingBytes(count: bytes.count - offset)) }
    }

    /// An error at the current offset and field.
    func failure(_ problem: ReducerArchiveError.Problem) -> ReducerArchiveError {
        ReducerArchiveError(problem, kind: kind, key: key, field: field.description, offset: offset)
    }

    /// A ``ReducerArchiveError/Problem/invalidValue(_:)`` at the current offset and field.
    func invalid(_ message: String) -> ReducerArchiveError {
        failure(.invalidValue(message))
    }

    mutating func readByte() throws(ReducerArchiveError) -> UInt8 {
        guard offset < bytes.count else { throw failure(.truncated) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A LEB128 varint of at most ten bytes, refusing overlong forms and values beyond 64 bits.
    mutating func readVarint() throws(ReducerArchiveError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            // The tenth byte holds bit 63 and ends the varint; anything more does not fit 64 bits.
            guard shift < 63 || byte <= 1 else { throw invalidAt(start, "varint exceeds 64 bits") }
            let payload = UInt64(byte & 0x7F)
            value |= payload << shift
            guard byte & 0x80 != 0 else {
                // A zero last byte after the first is an overlong form the writer never produces.
                guard payload != 0 || offset - start == 1 else { throw invalidAt(start, "overlong varint") }
                return value
            }
            shift += 7
        }
    }

    mutating func readSigned() throws(ReducerArchiveError) -> Int64 {
        let zigzag = try readVarint()
        return Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
    }

    /// A collection count or string length; never more than the bytes left, so garbage cannot reserve memory.
    mutating func readCount() throws(ReducerArchiveError) -> Int {
        let count = try readVarint()
        guard count <= UInt64(bytes.count - offset) else { throw failure(.truncated) }
        return Int(count)
    }

    mutating func readString() throws(ReducerArchiveError) -> String {
        let length = try readCount()
        let end = offset + length
        let text = bytes.withUnsafeBufferPointer { all -> String? in
            let utf8 = UnsafeBufferPointer(rebasing: all[offset..<end])
            // Decoding replaces invalid UTF-8 with U+FFFD: ASCII (nearly every Stripe value) never needs it,
            // anything else is valid only if it decodes to the same bytes.
            let text = String(decoding: utf8, as: UTF8.self)
            return utf8.allSatisfy({ $0 < 0x80 }) || text.utf8.elementsEqual(utf8) ? text : nil
        }
        guard let text else { throw invalid("string is not valid UTF-8") }
        offset = end
        return text
    }

    private func invalidAt(_ start: Int, _ message: String) -> ReducerArchiveError {
        ReducerArchiveError(.invalidValue(message), kind: kind, key: key, field: field.description, offset: start)
    }
}
