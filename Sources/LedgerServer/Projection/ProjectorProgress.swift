import Foundation

/// Whether the live projector is moving: a value state machine fed by the projector's thread
/// (each catch-up that committed, each failed attempt) and asked by `/readyz` and `/metrics` with
/// the log's head and checkpoint as the database shows them.
///
/// The invariant it reports on: while the head is ahead of the checkpoint, the checkpoint moves.
/// A projector that keeps failing (every attempt since its last committed catch-up has thrown) for
/// longer than the bound, while events wait, is stalled. Standby (another process holds the writer
/// lock, e.g. a long `ledger rebuild`) and a long first catch-up are not failures, so they never
/// count as a stall: only repeated errors do, and the error is reported with it.
struct ProjectorProgress: Sendable, Equatable {
    /// When a catch-up last committed (or the projector started).
    private(set) var lastProgressAt: ContinuousClock.Instant
    /// When the current run of failed attempts began; nil while attempts succeed.
    private(set) var failingSince: ContinuousClock.Instant?
    /// The checkpoint the database showed at the last sample: a failing attempt may still commit
    /// some batches before it throws, and a checkpoint that moved is progress.
    private(set) var checkpointSeen: Int64?

    init(startedAt: ContinuousClock.Instant) {
        lastProgressAt = startedAt
    }

    /// A catch-up committed (its report arrived): the projector is moving.
    mutating func succeeded(at now: ContinuousClock.Instant) {
        lastProgressAt = now
        failingSince = nil
    }

    /// An attempt threw; the projector will retry.
    mutating func failed(at now: ContinuousClock.Instant) {
        if failingSince == nil { failingSince = now }
    }

    /// Waiting for the writer lock is not failing: the other writer moves the checkpoint.
    mutating func standby(at now: ContinuousClock.Instant) {
        failingSince = nil
        lastProgressAt = now
    }

    /// Takes a sample of the database's checkpoint and head; returns how long the projection has not
    /// moved when that is a stall: the projector is failing, the head is ahead of the checkpoint,
    /// and the last progress (a committed catch-up or a checkpoint that moved between samples) is
    /// older than `bound`. Nil otherwise.
    mutating func sample(checkpoint: Int64, head: Int64, now: ContinuousClock.Instant, bound: Duration) -> Duration? {
        if let checkpointSeen, checkpointSeen != checkpoint { lastProgressAt = now }
        checkpointSeen = checkpoint
        guard failingSince != nil, head > checkpoint else { return nil }
        let still = now - lastProgressAt
        return still > bound ? still : nil
    }
}
