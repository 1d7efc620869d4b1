import CSQLite
import Crypto
import Foundation
import LedgerCore

/// The content digest of a snapshot: SHA-256 over every digested table, read back in key order.
///
/// Each table contributes its name, then per row per column a type tag and the value
/// (integers as 8 bytes little-endian, text and blobs length-prefixed). The writer computes it
/// from the rows it just wrote, the verifier from the rows it finds: the same function both times.
enum ContentDigest {
    static func compute(_ database: SQLiteDatabase) throws -> String {
        var hasher = SHA256()
        for table in SnapshotSchema.digestedTables {
            hasher.update(data: Array("table:\(table.name)\n".utf8))
            let statement = try database.prepare("SELECT * FROM \(table.name) ORDER BY \(table.orderBy)")
            try statement.forEachRow { row in
                for column in 0..<row.columnCount {
                    switch row.type(column) {
                    case SQLITE_NULL: hasher.update(data: [0])
                    case SQLITE_INTEGER:
                        hasher.update(data: [1])
                        withUnsafeBytes(of: row.int64(column).littleEndian) { hasher.update(bufferPointer: $0) }
                    case SQLITE_FLOAT:
                        hasher.update(data: [2])
                        withUnsafeBytes(of: row.double(column).bitPattern.littleEndian) {
                            hasher.update(bufferPointer: $0)
                        }
                    default:
                        let bytes = row.bytes(column)
                        hasher.update(data: [row.type(column) == SQLITE_BLOB ? 4 : 3])
                        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { hasher.update(bufferPointer: $0) }
                        hasher.update(bufferPointer: bytes)
                    }
                }
            }
        }
        return HexEncoding.encode(hasher.finalize())
    }
}
