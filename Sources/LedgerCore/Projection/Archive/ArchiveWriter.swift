/// Appends values in the reducer archive's encoding to a reusable byte buffer.
///
/// Unsigned integers are LEB128 varints, signed ones zigzag varints; a string is its UTF-8 length then its
/// bytes; an optional is a tag byte (0 absent, 1 present) then the value; a collection is its count then its
/// items, sets and dictionaries in ``ArchiveKeyOrder`` so equal values always give equal bytes.
struct ArchiveWriter {
    private var buffer: [UInt8] = []

    /// A writer whose buffer starts with room for `capacity` bytes.
    init(capacity: Int) {
        buffer.reserveCapacity(capacity)
    }

    /// Encodes `value` after ``ReducerRecord/formatVersion`` and returns exactly the bytes written.
    ///
    /// The buffer keeps its capacity between values, so encoding many records allocates once per record.
    mutating func encode(_ write: (inout ArchiveWriter) -> Void) -> [UInt8] {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(ReducerRecord.formatVersion)
        write(&self)
        return [UInt8](unsafeUninitializedCapacity: buffer.count) { output, initialized in
            initialized = buffer.withUnsafeBufferPointer { output.initialize(fromContentsOf: $0) }
        }
    }

    mutating func writeByte(_ byte: UInt8) {
        buffer.append(byte)
    }

    /// LEB128: seven bits per byte, least significant first, the high bit set on every byte but the last.
    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.append(UInt8(truncatingIfNeeded: rest))
    }

    /// Zigzag maps small negative and positive numbers to small varints (0, -1, 1, -2 → 0, 1, 2, 3).
    mutating func writeSigned(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeCount(_ count: Int) {
        writeVarint(UInt64(count))
    }

    mutating func writeString(_ value: String) {
        let written: Void? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            writeCount(utf8.count)
            buffer.append(contentsOf: utf8)
        }
        if written == nil {
            writeCount(value.utf8.count)
            buffer.append(contentsOf: value.utf8)
        }
    }

    mutating func write(_ value: some ArchiveCodable) {
        value.write(to: &self)
    }
}
