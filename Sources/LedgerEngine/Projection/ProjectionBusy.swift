import Foundation
import LedgerPostgres

/// Another session holds the projection: only one writes at a time (exit status 3).
public struct ProjectionBusy: Error, CustomStringConvertible, Sendable {
    /// Why the projection could not be had.
    public enum Situation: Sendable, Equatable {
        /// Another projector or a rebuild writes it.
        case held
        /// A `ledger rebuild` is waiting for it or running.
        case rebuildRunning
        /// A rebuild asked the holder to pause and it did not within `waited`.
        case didNotStepAside(waited: Duration)
    }

    /// Who holds it; nil when it was released before it could be looked up.
    public var holder: AdvisoryLockHolder?
    public var situation: Situation

    public init(holder: AdvisoryLockHolder?, situation: Situation) {
        self.holder = holder
        self.situation = situation
    }

    public var description: String {
        let who = holder?.description ?? "another session"
        switch situation {
        case .held:
            return "the projection is being written by \(who); only one projector writes at a time. Wait for it "
                + "to finish, or stop it (a `ledger serve` projects unless started with --no-projector)"
        case .rebuildRunning:
            return "a `ledger rebuild` is running (\(who)); try again when it has finished"
        case .didNotStepAside(let waited):
            return "the projection is held by \(who), which did not pause within "
                + "\(waited.components.seconds) s (a one-shot `ledger project`, an older ledger, or another "
                + "client). Wait for it to finish and rebuild again, stop it, or give it longer with --wait; "
                + "a `ledger serve` that cannot pause can be restarted with --no-projector while you rebuild"
        }
    }
}
