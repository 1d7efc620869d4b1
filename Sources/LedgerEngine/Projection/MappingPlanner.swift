import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// Says what a new mapping would do to the projected rows before `ledger mapping set` records it.
///
/// Replays the projection to the log's head (from the newest usable snapshot, as `ledger state` does),
/// then compares every subscription's row under the mapping in effect and under the new one.
public struct MappingPlanner {
    let connect: () throws -> PostgresConnection
    let snapshots: SnapshotPolicy?
    let logger: Logger

    public init(
        connect: @escaping () throws -> PostgresConnection, snapshots: SnapshotPolicy? = nil,
        logger: Logger = Logger(label: "ledger.mapping", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.connect = connect
        self.snapshots = snapshots.map {
            SnapshotPolicy(directory: $0.directory, replayFromSnapshots: $0.replayFromSnapshots)
        }
        self.logger = logger
    }

    /// The impact of `mapping` on the state at the head, and that head's position.
    public func impact(
        of mapping: ProjectionMapping, progress: (Int64) -> Void = { _ in }
    ) throws -> (impact: MappingImpact, head: Int64) {
        let connection = try connect()
        let head = try EventStore(connection: connection).head().position
        var replay = try StateReplay(
            connection: connection, connect: connect, configuration: ProjectionConfiguration(), snapshots: snapshots,
            logger: logger, clock: { EventTime(Date()) }
        ).replay(through: head, progress: progress)
        // The new mapping may read `licenses` where the log's never did.
        if mapping.readsLicenses, replay.state.billing.licenses == nil {
            replay.state.billing.licenses = try LicenseTable(connection: connection)
        }
        return (replay.state.billing.impact(of: mapping), head)
    }
}
