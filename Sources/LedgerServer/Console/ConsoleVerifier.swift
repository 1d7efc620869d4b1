import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots
import Logging

/// Runs `ledger verify`'s audit (``LedgerAudit``, the same one) inside `ledger serve` for the console's
/// integrity page: one run at a time, on a thread of its own (libpq blocks), its progress kept in
/// memory for the page that refreshes itself, its result recorded in `ledger.verify_runs` as
/// `ledger verify` records its own.
///
/// A run needs connections that may create temporary tables (the drift check stages rows), so it
/// opens its own with `connect` instead of borrowing the read pool's read-only ones.
final class ConsoleVerifier: Sendable {
    /// What a run under way is doing.
    struct Running: Sendable {
        var startedAt: EventTime
        /// The digest it checks, `POS:HASH`, if any.
        var digest: String?
        /// One line: `chain: 120,000 of 1,330,000 events`, `drift: comparing…`.
        var stage: String
    }

    /// What the last run of this process left to say when it could not be recorded, or failed to run.
    struct Outcome: Sendable {
        var finishedAt: EventTime
        /// The run, when it finished (recorded or not).
        var run: VerifyRun?
        /// Why it did not finish, or was not recorded.
        var problem: String?
    }

    private struct State: Sendable {
        var running: Running?
        var last: Outcome?
    }

    let connect: @Sendable () throws -> PostgresConnection
    let snapshotDirectory: SnapshotDirectory
    let clock: @Sendable () -> EventTime
    let logger: Logger
    private let state = Locked(State())

    init(
        connect: @escaping @Sendable () throws -> PostgresConnection, snapshotDirectory: SnapshotDirectory,
        clock: @escaping @Sendable () -> EventTime = { EventTime(Date()) },
        logger: Logger = Logger(label: "ledger.serve.console.verify")
    ) {
        self.connect = connect
        self.snapshotDirectory = snapshotDirectory
        self.clock = clock
        self.logger = logger
    }

    /// The run under way, if any, and what the last one of this process left to say.
    var status: (running: Running?, last: Outcome?) {
        state.withLock { ($0.running, $0.last) }
    }

    /// Starts a run (checking `digest` too, as `ledger verify --digest`); false when one is under way.
    func start(digest: ChainHead?) -> Bool {
        let startedAt = clock()
        let started = state.withLock { state -> Bool in
            guard state.running == nil else { return false }
            state.running = Running(startedAt: startedAt, digest: digest?.digest, stage: "starting…")
            return true
        }
        guard started else { return false }
        let verifier = self
        _ = WorkerThread(name: "ledger.console.verify") { verifier.run(digest: digest, startedAt: startedAt) }
        return true
    }

    private func run(digest: ChainHead?, startedAt: EventTime) {
        var outcome = Outcome(finishedAt: startedAt)
        do {
            let head = try EventStore(connection: try connect()).head().position
            let report = try LedgerAudit(connect: connect, logger: logger).run(
                AuditOptions(digest: digest, snapshotDirectory: snapshotDirectory)
            ) { [state] stage in
                let line = Self.describe(stage, head: head)
                state.withLock { $0.running?.stage = line }
            }
            let run = VerifyRun(report, origin: .console, startedAt: startedAt, finishedAt: clock())
            outcome.run = run
            outcome.finishedAt = run.finishedAt
            do {
                try VerifyRunStore(connection: try connect()).record(run)
            } catch {
                outcome.problem =
                    "this run was not recorded in ledger.verify_runs (it needs INSERT there, docs/operations.md): "
                    + APIError.publicDescription(of: error)
            }
        } catch {
            logger.error("verify from the console failed", metadata: ["error": "\(error)"])
            outcome.finishedAt = clock()
            outcome.problem = "verify could not run to its end: " + APIError.publicDescription(of: error)
        }
        let finished = outcome
        state.withLock {
            $0.running = nil
            $0.last = finished
        }
    }

    /// The progress line `ledger verify` shows, in words.
    static func describe(_ stage: AuditProgress, head: Int64) -> String {
        switch stage {
        case .chain(let checked): "chain: \(checked) of \(head) events recomputed"
        case .snapshots: "snapshots: verifying the files…"
        case .replaying(let position, let through): "drift: replaying the log, \(position) of \(through)"
        case .comparing: "drift: comparing with the live tables…"
        }
    }
}
