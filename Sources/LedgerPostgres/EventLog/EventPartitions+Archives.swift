import Foundation
import LedgerCore

/// Dropping an archived partition's table and restoring it from its archive (docs/0018-partitioned-log.md).
extension EventPartitionStore {
    /// Drops the table of the detached partition `name`, once the archive at `path` is shown to hold
    /// every byte of it: the archive must come from this log and this partition, and its rows must be
    /// byte for byte what the table's COPY stream sends now. The partition stays listed, as dropped;
    /// ``restore(from:)`` brings it back from the file. Runs in one transaction that locks the table
    /// first, so nothing can change it between the comparison and the drop.
    @discardableResult
    public func drop(_ name: String, archive path: String) throws -> EventPartition {
        let partition = try partition(named: name)
        guard !partition.attached else {
            throw EventPartitionRefusal("\(name) is attached: detach it first (`ledger partition detach \(name)`)")
        }
        guard partition.tableExists else { throw EventPartitionRefusal("the table of \(name) is already dropped") }
        let header = try EventPartitionArchive.header(at: path)
        try check(header, at: path, of: partition)
        try connection.transaction {
            try connection.execute("LOCK TABLE \(try Self.qualified(name)) IN ACCESS EXCLUSIVE MODE")
            let difference = try EventPartitionArchive.firstDifference(path) { compare in
                try copyEvents(of: partition, compare)
            }
            if let difference {
                throw EventPartitionRefusal(
                    "\(path) does not hold \(name) as its table holds it now (they differ from byte \(difference) "
                        + "after the header): archive it again (`ledger partition archive \(name) --output FILE`)")
            }
            try connection.execute("DROP TABLE \(try Self.qualified(name))")
        }
        return try self.partition(named: name)
    }

    /// Makes the table of a dropped partition again from its archive at `path`, detached: the rows exactly
    /// as archived, the log's statement triggers (append-only), no keys recorded again (`ledger.event_keys`
    /// kept them), and its events' payment links back in `ledger.event_links` (a partition dropped before
    /// migration 020 had none there). Every position of the partition's range must be in the file, in order,
    /// and its last event's hash must be the header's. Attach it with ``attach(_:)``, then `ledger verify`
    /// checks the chain through it.
    @discardableResult
    public func restore(from path: String) throws -> EventPartition {
        let header = try EventPartitionArchive.header(at: path)
        let partition = try partition(named: header.partition)
        try check(header, at: path, of: partition)
        guard !partition.tableExists else {
            throw EventPartitionRefusal(
                "the table of \(partition.name) is still there: nothing to restore"
                    + (partition.attached ? "" : " (`ledger partition attach \(partition.name)` puts it back)"))
        }
        let table = try Self.qualified(partition.name)
        try connection.transaction {
            try connection.execute(
                "CREATE TABLE \(table) (LIKE ledger.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                    + "INCLUDING COMPRESSION INCLUDING STORAGE)")
            var expected = partition.firstPosition
            var lastHash: [UInt8] = []
            try connection.copyIn(
                "COPY \(table) (\(EventStore.eventColumns)) FROM STDIN (FORMAT binary)", format: .binary
            ) { writer in
                try EventPartitionArchive.readRows(path) { _, columns in
                    let event = try EventStore.eventFields(columns)
                    guard event.fields.position == expected, expected <= partition.lastPosition else {
                        throw EventPartitionRefusal(
                            "\(path) holds position \(event.fields.position) where \(partition.name) needs "
                                + (expected <= partition.lastPosition ? "\(expected)" : "no more events"))
                    }
                    expected += 1
                    lastHash = Array(event.hash)
                    try writer.writeBinaryRow(columns.map { $0.map { .bytes(Array($0)) } ?? .null })
                }
            }
            guard expected == partition.lastPosition + 1 else {
                throw EventPartitionRefusal(
                    "\(path) ends at position \(expected - 1), before the end of \(partition.name) "
                        + "(\(partition.lastPosition))")
            }
            guard HexEncoding.encode(lastHash) == header.lastHash else {
                throw EventPartitionRefusal("\(path)'s last event does not have the hash its header names")
            }
            try connection.execute(
                """
                INSERT INTO ledger.event_links (kind, id, position)
                SELECT l.kind, l.id, e.position
                  FROM \(table) AS e CROSS JOIN LATERAL ledger.links_of_event(e.type, e.body) AS l
                ON CONFLICT DO NOTHING
                """)
            _ = try connection.query("SELECT ledger.protect_event_partition($1::regclass)", [table])
        }
        return try self.partition(named: partition.name)
    }

    /// Refuses an archive that is not of `partition` of this log.
    private func check(_ header: EventPartitionArchive.Header, at path: String, of partition: EventPartition) throws {
        let ledgerID = try EventStore(connection: connection).databaseID()
        guard header.ledgerID == ledgerID else {
            throw EventPartitionRefusal(
                "\(path) is an archive of another log (ledger \(header.ledgerID.uuidString.lowercased()), "
                    + "this one is \(ledgerID.uuidString.lowercased()))")
        }
        guard header.partition == partition.name, header.firstPosition == partition.firstPosition,
            header.lastPosition == partition.lastPosition
        else {
            throw EventPartitionRefusal(
                "\(path) is the archive of \(header.partition) (positions \(header.firstPosition)…"
                    + "\(header.lastPosition)), not of \(partition.name) (\(partition.firstPosition)…"
                    + "\(partition.lastPosition))")
        }
    }
}
