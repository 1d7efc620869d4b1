import Crypto
import LedgerCore

/// An order-independent digest of a table's rows: what `ledger digest` prints.
public struct TableDigest: Sendable, Equatable, Codable {
    public var table: String
    public var rows: Int
    /// Lower-case hex SHA-256.
    public var sha256: String
}

/// Computes ``TableDigest``s of projected tables.
///
/// Rows are read in primary-key order, so the digest does not depend on the
/// order they were written in; every column takes part, in the table's own
/// column order, in PostgreSQL's binary form (independent of the session's
/// time zone, date style and float settings). Each value is hashed as a 4-byte
/// big-endian length and its bytes, NULL as length 0xFFFFFFFF. Memory stays
/// bounded: rows are read in batches by key.
public struct TableDigester {
    /// The tables the projections own, digested by `ledger digest`.
    public static let projectedTables = ["subscriptions", "payment_transactions"]
    /// Rows per read.
    static let batchRowsMax = 10_000

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The digest of `public.<table>`, which must have a column `id` as its key.
    public func digest(table: String) throws -> TableDigest {
        let columns = try columnNames(of: table)
        guard columns.contains("id") else {
            throw PostgresError(.decoding, message: "table \(table) has no id column to order its rows by")
        }
        let quotedTable = "public." + (try connection.quoteIdentifier(table))
        let quotedColumns = try columns.map { "t." + (try connection.quoteIdentifier($0)) }.joined(separator: ", ")
        // Identifiers come from the catalog and are quoted; the key bound is a parameter.
        let select = "SELECT \(quotedColumns), t.id::text FROM \(quotedTable) AS t"
        let firstBatch = "\(select) ORDER BY t.id LIMIT $1"
        let nextBatch = "\(select) WHERE t.id > $1::uuid ORDER BY t.id LIMIT $2"
        var hasher = SHA256()
        var rows = 0
        var lastID: String?
        while true {
            let batch =
                if let lastID {
                    try connection.query(nextBatch, [lastID, Self.batchRowsMax], resultFormat: .binary)
                } else {
                    try connection.query(firstBatch, [Self.batchRowsMax], resultFormat: .binary)
                }
            for row in batch {
                for column in 0..<columns.count {
                    if let bytes = row.rawBytes(at: column) {
                        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
                        hasher.update(bufferPointer: bytes)
                    } else {
                        withUnsafeBytes(of: UInt32.max.bigEndian) { hasher.update(bufferPointer: $0) }
                    }
                }
            }
            rows += batch.count
            guard batch.count == Self.batchRowsMax, let last = batch.last else { break }
            lastID = try last.decode(String.self, at: columns.count)
        }
        return TableDigest(table: table, rows: rows, sha256: HexEncoding.encode(hasher.finalize()))
    }

    /// `$1` table name in schema public: its columns in their defined order.
    static let selectColumns = """
        SELECT attname FROM pg_attribute
        WHERE attrelid = to_regclass('public.' || quote_ident($1)) AND attnum > 0 AND NOT attisdropped
        ORDER BY attnum
        """

    func columnNames(of table: String) throws -> [String] {
        let names = try connection.query(Self.selectColumns, [table]).map { try $0.decode(String.self, at: 0) }
        guard !names.isEmpty else {
            throw PostgresError(.server, message: "table public.\(table) does not exist; run `ledger migrate up`")
        }
        return names
    }
}
