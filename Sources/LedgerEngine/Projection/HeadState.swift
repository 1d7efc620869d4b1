import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// The projection's state at the log's head, restored from the newest usable snapshot plus the events after it
/// (``StateReplay``, as `ledger mapping set` and `ledger state` restore it), without writing rows or snapshots:
/// what `ledger sync reconcile` compares Stripe's objects with.
public struct HeadState {
    let connect: () throws -> PostgresConnection
    let snapshots: SnapshotPolicy?
    let logger: Logger

    /// `snapshots` is only read from: a comparison never writes one.
    public init(
        connect: @escaping () throws -> PostgresConnection, snapshots: SnapshotPolicy? = nil,
        logger: Logger = Logger(label: "ledger.head-state", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.connect = connect
        self.snapshots = snapshots.map {
            SnapshotPolicy(directory: $0.directory, replayFromSnapshots: $0.replayFromSnapshots)
        }
        self.logger = logger
    }

    /// The billing projection at the head and the head's position; `progress` gets each position reached.
    public func replay(progress: (Int64) -> Void = { _ in }) throws -> (state: ProjectionState, head: Int64) {
        let connection = try connect()
        let head = try EventStore(connection: connection).head().position
        let replay = try StateReplay(
            connection: connection, connect: connect, configuration: ProjectionConfiguration(), snapshots: snapshots,
            logger: logger, clock: { EventTime(Date()) }
        ).replay(through: head, progress: progress)
        return (replay.state.billing, head)
    }
}
