/// What the log records when a snapshot is written: its position, the chain hash there, the projector
/// version and the content digest of its rows.
///
/// A snapshot file alone proves nothing: whoever can edit its rows can recompute the digest it carries.
/// The record is a native event (stream ``streamID``, type ``type``, source `ledger`), appended only by
/// `ledger.record_snapshot()` (migration 011), so a file is trusted only when the log, which is
/// hash-chained, holds a record with the same position, projector version and digest. The projection
/// reads no event of this type: recording a snapshot changes no row and no table digest.
public struct SnapshotRecord: Sendable, Equatable {
    /// The stream every snapshot record is appended to.
    public static let streamID = StreamID(.ledger, "snapshots").description
    /// The stored type string of a record.
    public static let type = "snapshot.recorded"
    /// The source of a record (a native event).
    public static let source = EventSource.ledger

    /// The log position the snapshot's state is at.
    public var position: Int64
    /// The chain hash at ``position`` (lower-case hex).
    public var chainHash: String
    public var projectorVersion: Int
    /// The snapshot file's layout version.
    public var formatVersion: Int
    /// SHA-256 (lower-case hex) of the snapshot's rows, as the file computes it.
    public var contentDigest: String

    public init(position: Int64, chainHash: String, projectorVersion: Int, formatVersion: Int, contentDigest: String) {
        self.position = position
        self.chainHash = chainHash
        self.projectorVersion = projectorVersion
        self.formatVersion = formatVersion
        self.contentDigest = contentDigest
    }

    /// Whether `event` is a snapshot record: the stream, type and source that only
    /// `ledger.record_snapshot()` may write together.
    public static func isRecord(_ event: RecordedEvent) -> Bool {
        event.streamID == streamID && event.type == type && event.source == source
    }

    /// The record a snapshot record's body holds; nil when the body is not one.
    public init?(body: [UInt8]) {
        guard let tape = try? JSONTape(parsing: body) else { return nil }
        let root = tape.root
        guard let position = root["position"].int64, let chainHash = root["chain_hash"].string,
            let projectorVersion = root["projector_version"].int64, let formatVersion = root["format_version"].int64,
            let contentDigest = root["content_digest"].string
        else { return nil }
        self.init(
            position: position, chainHash: chainHash, projectorVersion: Int(projectorVersion),
            formatVersion: Int(formatVersion), contentDigest: contentDigest)
    }
}
