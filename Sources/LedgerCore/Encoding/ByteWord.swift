/// Eight bytes at a time ("SIMD within a register") for the scanners' hot loops.
///
/// Invariant: in every mask returned here the lowest set bit marks the first byte
/// that matches. Higher bits may be false positives (a borrow crosses bytes), so
/// callers advance only to the first match and then look at that byte themselves.
enum ByteWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Eight bytes from `offset`, first byte in the low bits whatever the platform's byte order.
    @inline(__always)
    static func load(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The word with `byte` in every lane.
    @inline(__always)
    static func broadcast(_ byte: UInt8) -> UInt64 { ones &* UInt64(byte) }

    /// High bit set in the lane of the first byte equal to the broadcast `pattern`.
    @inline(__always)
    static func equal(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let difference = word ^ pattern
        return (difference &- ones) & ~difference & highBits
    }

    /// High bit set in the lane of the first byte below 0x20 (bytes of 0x80 and up are not reported).
    @inline(__always)
    static func control(_ word: UInt64) -> UInt64 {
        (word &- broadcast(0x20)) & ~word & highBits
    }

    /// Index (0…7) of the first lane a non-zero `mask` marks.
    @inline(__always)
    static func firstLane(_ mask: UInt64) -> Int { mask.trailingZeroBitCount >> 3 }
}
