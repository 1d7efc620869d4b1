import Foundation
import LedgerCore

/// A partition's events in a file: one JSON header line, then the partition's rows exactly as
/// PostgreSQL's binary COPY sends them (the columns of ``EventStore/eventColumns``: positions, every
/// hashed field byte for byte, the stored hashes). So the file holds everything the chain covers,
/// and `ledger verify --archive` recomputes it without the database (docs/0018-partitioned-log.md).
public enum EventPartitionArchive {
    /// The header's `format`; a new layout gets a new one.
    public static let format = "ledger.partition-archive.v1"
    /// The header line is at most this long, so a file that is no archive is refused after a bounded read.
    static let headerBytesMax = 4_096
    /// Bytes read from the file at a time.
    static let readChunkBytes = 1 << 20

    /// The first line of an archive file.
    public struct Header: Sendable, Equatable, Codable {
        public var format: String
        /// `ledger.identity` of the log the partition came from.
        public var ledgerID: UUID
        public var partition: String
        public var firstPosition: Int64
        public var lastPosition: Int64
        public var events: Int64
        /// The stored hash of the last event (hex): the digest the archive ends at. Informational; a
        /// verification recomputes it.
        public var lastHash: String

        enum CodingKeys: String, CodingKey {
            case format, ledgerID = "ledger_id", partition, firstPosition = "first_position"
            case lastPosition = "last_position", events, lastHash = "last_hash"
        }
    }

    /// Streams the archive of `partition` (wholly below the head) of the log on `connection` to `write`:
    /// the header line, then the partition's COPY stream, checked on the way (every position of the
    /// range, in order, nothing else). The caller makes the file durable (``ExportOutput`` in the engine).
    @discardableResult
    public static func write(
        _ partition: EventPartition, from connection: PostgresConnection, to write: ([UInt8]) throws -> Void
    ) throws -> Header {
        let store = EventStore(connection: connection)
        let head = try store.head()
        guard partition.lastPosition <= head.position else {
            throw EventPartitionRefusal(
                "\(partition.name) ends at position \(partition.lastPosition), beyond the head (\(head.position)): "
                    + "only a full partition can be archived")
        }
        let lastHash = try connection.query(
            "SELECT hash FROM \(try EventPartitionStore.qualified(partition.name)) WHERE position = $1",
            [partition.lastPosition], resultFormat: .binary
        ).first?.decode([UInt8].self, at: 0)
        guard let lastHash else {
            throw EventPartitionRefusal("\(partition.name) has no event at its last position \(partition.lastPosition)")
        }
        let header = Header(
            format: format, ledgerID: try store.databaseID(), partition: partition.name,
            firstPosition: partition.firstPosition, lastPosition: partition.lastPosition,
            events: partition.lastPosition - partition.firstPosition + 1, lastHash: HexEncoding.encode(lastHash))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write(Array(try encoder.encode(header)) + [0x0A])
        var reader = BinaryCopyReader(columns: 13)
        var expected = partition.firstPosition
        try EventPartitionStore(connection: connection).copyEvents(of: partition) { message in
            try reader.consume(message) { fields in
                let event = try EventStore.eventFields(fields)
                guard event.fields.position == expected else {
                    throw EventLogGap(position: expected, found: event.fields.position)
                }
                expected += 1
            }
            try write(Array(message))
        }
        try reader.checkComplete()
        guard expected == partition.lastPosition + 1 else { throw EventLogGap(position: expected, found: nil) }
        return header
    }

    /// The header of the archive at `path`, read without its events.
    public static func header(at path: String) throws -> Header {
        guard let file = FileHandle(forReadingAtPath: path) else { throw EventPartitionRefusal("cannot open \(path)") }
        defer { try? file.close() }
        return try readHeader(file, path: path).header
    }

    /// The header line of `file` and the bytes read after it.
    static func readHeader(_ file: FileHandle, path: String) throws -> (header: Header, rest: Data) {
        let start = try file.read(upToCount: headerBytesMax) ?? Data()
        guard let newline = start.firstIndex(of: 0x0A),
            let header = try? JSONDecoder().decode(Header.self, from: start[start.startIndex..<newline]),
            header.format == format
        else {
            throw EventPartitionRefusal("\(path) is not a partition archive (its first line is no \(format) header)")
        }
        return (header, Data(start[(newline + 1)...]))
    }

    /// Reads the archive at `path`: returns its header after calling `body` with every event's fields
    /// and stored hash, in file order, borrowed for the call.
    @discardableResult
    public static func read(
        _ path: String, _ body: (Header, _ event: EventFieldBytes, _ hash: UnsafeRawBufferPointer) throws -> Void
    ) throws -> Header {
        try readRows(path) { header, fields in
            let event = try EventStore.eventFields(fields)
            try body(header, event.fields, event.hash)
        }
    }

    /// Reads the archive at `path`: returns its header after calling `body` with every row's columns
    /// (those of ``EventStore/eventColumns``, in PostgreSQL's binary form), in file order, borrowed for the call.
    @discardableResult
    static func readRows(
        _ path: String, _ body: (Header, _ columns: [UnsafeRawBufferPointer?]) throws -> Void
    ) throws -> Header {
        guard let file = FileHandle(forReadingAtPath: path) else { throw EventPartitionRefusal("cannot open \(path)") }
        defer { try? file.close() }
        let start = try readHeader(file, path: path)
        let header = start.header
        var pending = start.rest
        var reader = BinaryCopyReader(columns: 13)
        while true {
            try pending.withUnsafeBytes { bytes in
                try reader.consume(bytes) { columns in try body(header, columns) }
            }
            guard let next = try file.read(upToCount: readChunkBytes), !next.isEmpty else { break }
            pending = next
        }
        do {
            try reader.checkComplete()
        } catch {
            throw EventPartitionRefusal("\(path) ends before its last event (the file is cut short)")
        }
        return header
    }

    /// Whether the archive at `path` holds, after its header, exactly the bytes `stream` produces (a
    /// partition's COPY stream, as ``write(_:from:to:)`` wrote it): nil when it does, else where the
    /// difference starts (the offset after the header of the first compared stretch that differs, or
    /// where one side ends before the other).
    static func firstDifference(
        _ path: String, from stream: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws -> Int? {
        guard let file = FileHandle(forReadingAtPath: path) else { throw EventPartitionRefusal("cannot open \(path)") }
        defer { try? file.close() }
        var pending = try readHeader(file, path: path).rest
        var used = 0
        var compared = 0
        /// Thrown to stop the stream at the first difference (a COPY is cancelled, not read to its end).
        struct Differs: Error {}
        do {
            try stream { message in
                var offset = 0
                while offset < message.count {
                    if used == pending.count {
                        guard let next = try file.read(upToCount: readChunkBytes), !next.isEmpty else {
                            throw Differs()
                        }
                        pending = next
                        used = 0
                    }
                    let count = min(message.count - offset, pending.count - used)
                    let same = pending.withUnsafeBytes { file in
                        guard let archived = file.baseAddress, let sent = message.baseAddress else { return false }
                        return memcmp(archived + used, sent + offset, count) == 0
                    }
                    guard same else { throw Differs() }
                    offset += count
                    used += count
                    compared += count
                }
            }
        } catch is Differs {
            return compared
        }
        let archiveGoesOn = try used < pending.count || !(file.read(upToCount: 1) ?? Data()).isEmpty
        return archiveGoesOn ? compared : nil
    }
}
