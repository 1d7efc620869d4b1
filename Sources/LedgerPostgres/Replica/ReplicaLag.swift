import LedgerCore

/// How far a read database (a streaming replica) is behind the primary: in the log's positions, in
/// write-ahead-log bytes and in seconds since the replica last replayed a transaction.
///
/// Measured on the replica first and then on the primary, so `primaryPosition` is never older than
/// `replicaPosition` (an append between the two only makes the lag look larger, never smaller). An
/// answer read on the replica after the measurement sees at least `replicaPosition`: a standby's
/// replay only moves forward.
public struct ReplicaLag: Sendable, Equatable, Codable {
    /// The log's head on the read database.
    public var replicaPosition: Int64
    /// The log's head on the primary; nil when the primary could not be asked.
    public var primaryPosition: Int64?
    /// WAL bytes the primary has written that the replica has not replayed; nil when the read database
    /// is not a standby or the primary could not be asked.
    public var walBytes: Int64?
    /// Seconds since the replica replayed its last transaction, 0 when it has replayed all it received;
    /// nil when it is not a standby (or has replayed nothing since it started).
    public var replaySeconds: Double?
    /// False when the read database is not in recovery (it is a primary itself).
    public var isStandby: Bool

    public init(
        replicaPosition: Int64, primaryPosition: Int64?, walBytes: Int64?, replaySeconds: Double?, isStandby: Bool
    ) {
        self.replicaPosition = replicaPosition
        self.primaryPosition = primaryPosition
        self.walBytes = walBytes
        self.replaySeconds = replaySeconds
        self.isStandby = isStandby
    }

    /// Events the primary has that the replica has not replayed; nil without the primary.
    public var events: Int64? { primaryPosition.map { max(0, $0 - replicaPosition) } }

    /// The lag in one line for people, e.g. `replayed through position 120, the primary is at 125 (5
    /// events, 4096 WAL bytes behind; last replay 0.8 s ago)`.
    public var summary: String {
        var text = "replayed through position \(replicaPosition)"
        guard let primaryPosition, let events else { return text + "; the primary could not be asked (lag unknown)" }
        text += ", the primary is at \(primaryPosition) (\(events) event\(events == 1 ? "" : "s")"
        if let walBytes { text += ", \(walBytes) WAL bytes" }
        text += " behind"
        if let replaySeconds { text += "; last replay \(Self.seconds(replaySeconds)) ago" }
        if !isStandby { text += "; the read database is not a standby" }
        return text + ")"
    }

    private static func seconds(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

extension ReplicaLag {
    /// The replica's side: its head, whether it is a standby, its replay LSN (text), the seconds since its last
    /// replayed transaction (0 when it has replayed everything it received). No parameters.
    static let selectReplicaSide = """
        SELECT (SELECT position FROM ledger.head), pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
               CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END
        """
    /// The primary's side: its head and the bytes between its WAL insert position and `$1`, the replica's replay
    /// LSN (text, or NULL). The insert position, not `pg_current_wal_lsn()`: with `synchronous_commit = off` a
    /// committed transaction's WAL may not be written yet, and the lag would read 0 while the replica is behind.
    static let selectPrimarySide = """
        SELECT (SELECT position FROM ledger.head), pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::int8
        """

    /// What the replica says of itself, before the primary is asked.
    public struct ReplicaSide: Sendable, Equatable {
        public var position: Int64
        public var isStandby: Bool
        var replayLSN: String?
        var replaySeconds: Double?
    }

    /// Reads the replica's head and replay state.
    public static func readReplicaSide(_ replica: PostgresConnection) throws -> ReplicaSide {
        let row = try replica.query(selectReplicaSide)[0]
        let isStandby: Bool = try row.decode(at: 1)
        return ReplicaSide(
            position: try row.decode(at: 0), isStandby: isStandby, replayLSN: try row.decode(at: 2),
            replaySeconds: isStandby ? try row.decode(at: 3) : nil)
    }

    /// Completes `side` with what the primary says (nil `primary`: the lag stays unknown).
    public static func measure(_ side: ReplicaSide, primary: PostgresConnection?) throws -> ReplicaLag {
        var lag = ReplicaLag(
            replicaPosition: side.position, primaryPosition: nil, walBytes: nil, replaySeconds: side.replaySeconds,
            isStandby: side.isStandby)
        guard let primary else { return lag }
        let row = try primary.query(selectPrimarySide, [side.replayLSN])[0]
        lag.primaryPosition = try row.decode(at: 0)
        lag.walBytes = try row.decode(Int64?.self, at: 1).map { max(0, $0) }
        return lag
    }
}
