import CSQLite
import Crypto
import Foundation
import LedgerCore

/// The content digest of a snapshot: SHA-256 over every digested table, in key order.
///
/// Each table contributes its name, then per row per column a type tag and the value
/// (integers as 8 bytes little-endian, text and blobs length-prefixed). The writer feeds it the
/// values it binds, in the key order it inserts them (``SnapshotContent``); the verifier feeds it
/// the rows it reads back (``compute(_:)``): one encoding (``Hasher``) both times, and a test writes
/// and reads back every table to prove the two agree.
enum ContentDigest {
    /// Reads every digested table back in key order and digests it.
    static func compute(_ database: SQLiteDatabase) throws -> String {
        var hasher = Hasher()
        for table in SnapshotSchema.digestedTables {
            hasher.beginTable(table.name)
            let statement = try database.prepare("SELECT * FROM \(table.name) ORDER BY \(table.orderBy)")
            try statement.forEachRow { row in
                for column in 0..<row.columnCount {
                    switch row.type(column) {
                    case SQLITE_NULL: hasher.appendNull()
                    case SQLITE_INTEGER: hasher.append(row.int64(column))
                    case SQLITE_FLOAT: hasher.append(row.double(column))
                    case SQLITE_BLOB: hasher.append(bytes: row.bytes(column), tag: Hasher.blobTag)
                    default: hasher.append(bytes: row.bytes(column), tag: Hasher.textTag)
                    }
                }
            }
        }
        return hasher.finalize()
    }

    /// The digest's byte encoding, buffered so SHA-256 sees large blocks rather than one call per value.
    struct Hasher {
        static let textTag: UInt8 = 3
        static let blobTag: UInt8 = 4
        /// Bytes gathered before they are hashed.
        static let bufferBytesMax = 1 << 16

        private var sha = SHA256()
        private var buffer: [UInt8] = []

        init() { buffer.reserveCapacity(Self.bufferBytesMax + 4096) }

        mutating func beginTable(_ name: String) {
            buffer.append(contentsOf: "table:\(name)\n".utf8)
            flushIfFull()
        }

        /// One row's values in column order, as they are bound to the insert.
        mutating func append(row values: [SQLiteValue]) {
            for value in values {
                switch value {
                case .null: appendNull()
                case .integer(let integer): append(integer)
                case .real(let real): append(real)
                case .text(let text):
                    var text = text
                    text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0), tag: Self.textTag) }
                case .blob(let bytes): bytes.withUnsafeBytes { append(bytes: $0, tag: Self.blobTag) }
                }
            }
            flushIfFull()
        }

        mutating func appendNull() { buffer.append(0) }

        mutating func append(_ integer: Int64) {
            buffer.append(1)
            withUnsafeBytes(of: integer.littleEndian) { buffer.append(contentsOf: $0) }
        }

        mutating func append(_ real: Double) {
            buffer.append(2)
            withUnsafeBytes(of: real.bitPattern.littleEndian) { buffer.append(contentsOf: $0) }
        }

        mutating func append(bytes: UnsafeRawBufferPointer, tag: UInt8) {
            buffer.append(tag)
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: bytes)
            flushIfFull()
        }

        private mutating func flushIfFull() {
            guard buffer.count >= Self.bufferBytesMax else { return }
            sha.update(data: buffer)
            buffer.removeAll(keepingCapacity: true)
        }

        /// The hex digest of everything appended.
        mutating func finalize() -> String {
            sha.update(data: buffer)
            buffer.removeAll()
            return HexEncoding.encode(sha.finalize())
        }
    }
}
