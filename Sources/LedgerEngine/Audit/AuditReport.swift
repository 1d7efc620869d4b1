import Foundation
import LedgerCore
import LedgerPostgres

/// Everything `ledger verify` checked, one section per check; `ok` when no section failed.
public struct AuditReport: Sendable, Encodable {
    public var chain: ChainSection
    /// Present when a digest was given.
    public var digest: DigestCheck?
    public var snapshots: SnapshotSection
    public var drift: DriftReport
    /// Whether the projection keeps up with the log: fails when an event has waited too long to be applied.
    public var projection: ProjectionProgressSection
    public var parked: CountSection
    public var rejected: CountSection
    public var ok: Bool

    /// The names of the sections that failed, in report order.
    public var failedSections: [String] {
        [
            ("chain", chain.ok), ("digest", digest?.ok ?? true), ("snapshots", snapshots.ok), ("drift", drift.ok),
            ("projection", projection.ok),
        ].filter { !$0.1 }.map(\.0)
    }
}

/// The hash chain: recomputed from the trusted head through the log's head.
public struct ChainSection: Sendable, Equatable, Encodable {
    public var ok: Bool
    /// The trusted starting point (0, or `--from`'s position).
    public var trustedFrom: Int64
    public var eventsChecked: Int64
    /// The last position that verified.
    public var verifiedThrough: Int64
    /// The log's head when the pass started.
    public var headPosition: Int64
    /// The first position that does not match, and why.
    public var failure: ChainVerification.Failure?

    init(_ verification: ChainVerification) {
        ok = verification.isValid
        trustedFrom = verification.trustedFrom
        eventsChecked = verification.eventsChecked
        verifiedThrough = verification.verifiedThrough
        headPosition = verification.headPosition
        failure = verification.failure
    }
}

/// Whether the log up to a digest's position is what it was when the digest was taken.
public struct DigestCheck: Sendable, Equatable, Encodable {
    public enum Outcome: String, Sendable, Encodable {
        /// The hash recomputed at the position equals the digest's.
        case matches
        /// The log up to the position was altered (or the digest is not this log's).
        case doesNotMatch = "does-not-match"
        /// The log does not reach the position.
        case beyondHead = "beyond-head"
    }

    public var ok: Bool
    public var outcome: Outcome
    /// The digest as given, `POS:HASH`.
    public var digest: String
    public var position: Int64
    /// The hash recomputed at `position`, when the recomputation reached it unbroken.
    public var recomputedHash: String?
    /// One sentence for people.
    public var message: String

    /// Judges `digest` by a chain pass that was asked to keep the hash it recomputed at the digest's position.
    ///
    /// The stored hash at the position is no proof by itself (whoever rewrites events can rewrite
    /// hashes); the pass recomputed every hash from the trusted head, so the digest matches only if
    /// the pass reached the position with no failure at or before it and got the digest's hash there.
    public static func judge(_ digest: ChainHead, by chain: ChainVerification) -> DigestCheck {
        let headPosition = chain.headPosition
        let text = digest.digest
        let origin = chain.trustedFrom == 0 ? "" : " (recomputed from the trusted position \(chain.trustedFrom))"
        if digest.position > headPosition {
            return DigestCheck(
                ok: false, outcome: .beyondHead, digest: text, position: digest.position,
                message: "position \(digest.position) is beyond the log's head (\(headPosition)): "
                    + "this digest was not taken from this log, or events at the end were deleted")
        }
        if let failure = chain.failure, failure.position <= digest.position {
            return DigestCheck(
                ok: false, outcome: .doesNotMatch, digest: text, position: digest.position,
                message: "does not match (the log up to \(digest.position) was altered): "
                    + "the chain breaks at position \(failure.position)")
        }
        guard let recomputed = chain.recomputed, recomputed.position == digest.position else {
            return DigestCheck(
                ok: false, outcome: .doesNotMatch, digest: text, position: digest.position,
                message: "does not match: the chain was not recomputed through position \(digest.position)")
        }
        let hash = HexEncoding.encode(recomputed.hash)
        guard recomputed.hash == digest.hash else {
            return DigestCheck(
                ok: false, outcome: .doesNotMatch, digest: text, position: digest.position, recomputedHash: hash,
                message: "does not match (the log up to \(digest.position) was altered): the hash recomputed "
                    + "there\(origin) is \(hash)")
        }
        return DigestCheck(
            ok: true, outcome: .matches, digest: text, position: digest.position, recomputedHash: hash,
            message: "matches: the log up to position \(digest.position) is unchanged since the digest was taken"
                + origin)
    }
}

/// The snapshot files of this database, each verified as `ledger snapshot verify` does.
public struct SnapshotSection: Sendable, Equatable, Encodable {
    /// False when any file is invalid; no files is not a failure.
    public var ok: Bool
    public var directory: String
    /// Newest first.
    public var files: [SnapshotCatalog.Listing]

    public var invalid: Int { files.filter { !$0.valid }.count }
}

/// How far the projection is behind the log, and whether it is moving.
///
/// A projection that has not applied an event recorded more than ``Limits/projectionStalledSecondsMax``
/// ago is not moving (no projector runs, or it fails on every batch): the tables silently fall behind
/// the log while every other check passes, so this section fails the audit.
public struct ProjectionProgressSection: Sendable, Equatable, Encodable {
    public var ok: Bool
    /// The checkpoint (0 when the projection never ran).
    public var checkpoint: Int64
    public var headPosition: Int64
    /// Events recorded and not yet applied.
    public var lag: Int64
    /// The oldest of them, nil when there is no lag.
    public var oldestUnapplied: UnappliedEvent?
    /// One sentence for people.
    public var message: String

    init(checkpoint: Int64, headPosition: Int64, oldestUnapplied: UnappliedEvent?) {
        self.checkpoint = checkpoint
        self.headPosition = headPosition
        self.lag = max(headPosition - checkpoint, 0)
        self.oldestUnapplied = oldestUnapplied
        guard let oldest = oldestUnapplied else {
            ok = true
            message = "the projection has applied the whole log (position \(checkpoint))"
            return
        }
        ok = oldest.waitingSeconds <= Limits.projectionStalledSecondsMax
        let event = "position \(oldest.position) (\(oldest.sourceEventID ?? "native"), \(oldest.type))"
        message =
            ok
            ? "\(lag) events behind; the oldest, \(event), was recorded \(oldest.waitingSeconds) s ago"
            : "not moving: \(event) was recorded \(oldest.waitingSeconds) s ago and is not applied yet "
                + "(\(lag) events behind, checkpoint \(checkpoint)); run `ledger project`, or see why it fails"
    }
}

/// A count of known, recorded states (parked events, rejected inputs): shown, never a failure.
public struct CountSection: Sendable, Equatable, Encodable {
    public var count: Int
    /// Where the details are.
    public var seeAlso: String
}

/// What a long audit is doing, for a progress line.
public enum AuditProgress: Sendable {
    /// Events whose hash has been recomputed so far.
    case chain(eventsChecked: Int64)
    /// Snapshot files being verified.
    case snapshots
    /// The drift check's replay has reached `position` of `through`.
    case replaying(position: Int64, through: Int64)
    /// Staging the replayed rows and comparing them with the live tables.
    case comparing
}
