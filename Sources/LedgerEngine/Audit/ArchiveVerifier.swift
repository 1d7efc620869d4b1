import Foundation
import LedgerCore
import LedgerPostgres

/// What `ledger verify --archive FILE` found in one archive file.
public struct ArchiveVerification: Sendable, Equatable, Codable {
    public var file: String
    public var partition: String
    public var firstPosition: Int64
    public var lastPosition: Int64
    /// Events whose hash was recomputed.
    public var eventsChecked: Int64
    /// The first event that does not match, and why; nil when the archive verified.
    public var failure: ChainVerification.Failure?

    enum CodingKeys: String, CodingKey {
        case file, partition, firstPosition = "first_position", lastPosition = "last_position"
        case eventsChecked = "events_checked", failure
    }
}

/// How the archives' end meets the log.
public enum ArchiveLink: Sendable, Equatable {
    /// The log continues the archives: its chain check may start from this head.
    case joined(ChainHead)
    /// It does not, at this position and for this reason.
    case broken(ChainVerification.Failure)
}

/// Recomputes the hash chain through archived partitions from event 1, and links its end to the log.
///
/// Archives are checked in position order and must together start at position 1 and follow each other
/// without a gap: each event's hash is recomputed from the one before (so a changed byte anywhere in a
/// file breaks it from there on), and the end is then joined to the database: the hash the log stores at
/// the archives' last position (when that partition is attached again), or the hash of the next event,
/// recomputed from the archives' last hash. The joined head is what the log's own chain check starts
/// from, so archives plus log prove as much as one pass from event 1.
public struct ArchiveVerifier {
    public init() {}

    /// The archives' verifications in position order, and the chain head they prove (nil on a failure).
    public func verify(files: [String], ledgerID: UUID) throws -> (archives: [ArchiveVerification], end: ChainHead?) {
        var headers: [(file: String, header: EventPartitionArchive.Header)] = []
        for file in files {
            headers.append((file, try EventPartitionArchive.header(at: file)))
        }
        headers.sort { $0.header.firstPosition < $1.header.firstPosition }
        var results: [ArchiveVerification] = []
        var head = ChainHead.genesis
        for (file, header) in headers {
            var result = ArchiveVerification(
                file: file, partition: header.partition, firstPosition: header.firstPosition,
                lastPosition: header.lastPosition, eventsChecked: 0, failure: nil)
            if let refusal = Self.refusal(header, after: head, ledgerID: ledgerID) {
                result.failure = .init(position: header.firstPosition, reason: refusal)
                return (results + [result], nil)
            }
            let checked = try Self.recompute(file, from: head, header: header)
            result.eventsChecked = checked.events
            result.failure = checked.failure
            results.append(result)
            guard checked.failure == nil else { return (results, nil) }
            head = checked.head
        }
        return (results, head)
    }

    /// Joins the archives' proven end to the log: the head the log's chain check may start from, or
    /// why the log does not continue the archives.
    public func link(_ end: ChainHead, to store: EventStore) throws -> ArchiveLink {
        if let stored = try store.hash(at: end.position) {
            return stored == end.hash
                ? .joined(end)
                : .broken(.init(position: end.position, reason: "the log's stored hash differs from the archives'"))
        }
        guard let next = try store.read(after: end.position, limit: 1).first else {
            let head = try store.head()
            return head.position == end.position && head.hash == end.hash
                ? .joined(end)
                : .broken(
                    .init(
                        position: end.position + 1,
                        reason: "the log holds no event after the archives' last position \(end.position)"))
        }
        guard next.position == end.position + 1 else {
            return .broken(
                .init(
                    position: end.position + 1,
                    reason: "missing: the archives end at \(end.position) and the log continues at \(next.position); "
                        + "pass the archives of the partitions between"))
        }
        guard EventHash.compute(previous: end.hash, event: next) == next.hash else {
            return .broken(
                .init(
                    position: next.position,
                    reason: "its stored hash does not follow from the archives' last hash: the archives are not "
                        + "the events this log chained"))
        }
        return .joined(ChainHead(position: next.position, hash: next.hash))
    }

    private struct StopReading: Error {}

    /// Why the archive with `header` cannot follow `head` (another log, a gap or an overlap); nil when it can.
    static func refusal(_ header: EventPartitionArchive.Header, after head: ChainHead, ledgerID: UUID) -> String? {
        if header.ledgerID != ledgerID {
            return "the archive is of another ledger (\(header.ledgerID.uuidString.lowercased()))"
        }
        if header.firstPosition != head.position + 1 {
            return head.position == 0
                ? "the archives start at position \(header.firstPosition): pass every archive from position 1 on"
                : "the archives leave a gap or overlap: one ends at \(head.position), the next starts at "
                    + "\(header.firstPosition)"
        }
        return nil
    }

    /// Recomputes the chain through one archive file from `head`.
    static func recompute(_ file: String, from head: ChainHead, header: EventPartitionArchive.Header) throws
        -> (events: Int64, head: ChainHead, failure: ChainVerification.Failure?)
    {
        var previous = head.hash
        var expected = header.firstPosition
        var failure: ChainVerification.Failure?
        do {
            try EventPartitionArchive.read(file) { _, fields, hash in
                guard fields.position == expected else {
                    failure = .init(
                        position: expected, reason: "missing from the archive (\(fields.position) came next)")
                    throw StopReading()
                }
                let computed = previous.withUnsafeBytes { EventHash.compute(previous: $0, fields: fields) }
                guard computed.elementsEqual(hash) else {
                    failure = .init(position: expected, reason: "hash mismatch: the archived event or its hash changed")
                    throw StopReading()
                }
                previous = computed
                expected += 1
            }
        } catch is StopReading {
        } catch let refusal as EventPartitionRefusal {
            failure = .init(position: expected, reason: refusal.description)
        } catch let error as PostgresError {
            failure = .init(position: expected, reason: "the archive's data is malformed: \(error.message)")
        }
        if failure == nil, expected != header.lastPosition + 1 {
            failure = .init(position: expected, reason: "missing: the archive ends before its last position")
        }
        return (expected - header.firstPosition, ChainHead(position: expected - 1, hash: previous), failure)
    }
}

/// Writes a partition's archive file (``EventPartitionArchive``) durably: staged beside `url`, synced and
/// renamed by ``ExportOutput``, so `url` is a whole archive or absent.
public enum PartitionArchiveFile {
    @discardableResult
    public static func write(_ partition: EventPartition, from connection: PostgresConnection, to url: URL) throws
        -> EventPartitionArchive.Header
    {
        let output = try ExportOutput.file(url)
        do {
            let header = try EventPartitionArchive.write(partition, from: connection, to: output.write)
            try output.finish()
            return header
        } catch {
            output.discard()
            throw error
        }
    }
}
