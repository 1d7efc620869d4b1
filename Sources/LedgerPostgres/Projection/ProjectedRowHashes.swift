import Crypto
import Foundation
import LedgerCore

/// A projected row's SHA-256 over its columns' canonical texts: what a rebuild compares live rows by.
///
/// Each column contributes `n;` when NULL, else `v<bytes>:<text>;`, in ``ProjectedTable`` column order,
/// where the text is what a snapshot file stores (docs/snapshots.md): UUIDs in lower case, integers in
/// decimal, booleans as 0/1, times as ISO 8601 UTC with microseconds, `metadata` as canonical JSON
/// (keys in byte order, compact). ``ProjectedRowHashes/statement(_:)`` computes the same in SQL from
/// the live columns, so a live row and an expected one hash equal when their values are. The one
/// approximation is `jsonb`, which prints its own way: SQL rebuilds the canonical text of a flat
/// object of strings (Stripe metadata); any other value hashes differently on the two sides, which only
/// makes the rebuild stage and compare that row in SQL, never hides a difference.
public struct ProjectedRowHash: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    init(_ digest: some Sequence<UInt8>) {
        var bytes = Array(digest)
        bytes += [UInt8](repeating: 0, count: max(0, 32 - bytes.count))
        func word(_ offset: Int) -> UInt64 {
            bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
        }
        words = (word(0), word(8), word(16), word(24))
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(words.0) }
}

/// Builds ``ProjectedRowHash``es one column at a time, reusing its buffer between rows.
public struct ProjectedRowHasher {
    private var buffer: [UInt8] = []

    public init() { buffer.reserveCapacity(1024) }

    /// Appends a column's text (its UTF-8 bytes), or NULL.
    public mutating func append(_ text: UnsafeRawBufferPointer?) {
        guard let text else {
            buffer.append(contentsOf: "n;".utf8)
            return
        }
        buffer.append(UInt8(ascii: "v"))
        buffer.append(contentsOf: String(text.count).utf8)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(contentsOf: text)
        buffer.append(UInt8(ascii: ";"))
    }

    public mutating func append(_ text: String?) {
        guard var text else { return append(nil as UnsafeRawBufferPointer?) }
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// The hash of the columns appended since the last call.
    public mutating func finish() -> ProjectedRowHash {
        defer { buffer.removeAll(keepingCapacity: true) }
        return ProjectedRowHash(SHA256.hash(data: buffer))
    }
}

/// Reads every live row's ``ProjectedRowHash`` of a projected table in one pass.
public struct ProjectedRowHashes {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The hash of every row of `table`, by `id` as lower-case text.
    public func live(_ table: ProjectedTable) throws -> [String: ProjectedRowHash] {
        let rows = try connection.query(Self.statement(table), resultFormat: .binary)
        var hashes: [String: ProjectedRowHash] = [:]
        hashes.reserveCapacity(rows.count)
        for row in rows {
            hashes[try row.decode(String.self, at: 0)] = ProjectedRowHash(try row.decode([UInt8].self, at: 1))
        }
        return hashes
    }

    /// No parameters: `id` as text and the row's hash, for every row. Built from the fixed column list.
    public static func statement(_ table: ProjectedTable) -> String {
        let columns = table.columns.map { column -> String in
            let text = canonicalText(column)
            return "coalesce('v' || octet_length(\(text)) || ':' || \(text) || ';', 'n;')"
        }
        return """
            SELECT id::text, sha256(convert_to(\(columns.joined(separator: "\n    || ")), 'UTF8'))
            FROM public.\(table.rawValue)
            """
    }

    /// The SQL expression giving a column's canonical text (NULL when the column is).
    static func canonicalText(_ column: ProjectedColumn) -> String {
        let name = column.name
        switch column.kind {
        case .uuid, .integer: return "\(name)::text"
        case .boolean: return "\(name)::int::text"
        case .text, .varchar: return name
        case .timestamptz: return #"to_char(\#(name) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#
        case .jsonb:
            return """
                (CASE jsonb_typeof(\(name)) WHEN 'object' THEN '{' || coalesce((SELECT string_agg(to_json(k)::text \
                || ':' || v::text, ',' ORDER BY convert_to(k, 'UTF8')) FROM jsonb_each(\(name)) AS e(k, v)), '') \
                || '}' ELSE \(name)::text END)
                """
        }
    }
}
