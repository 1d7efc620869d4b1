import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// Takes a snapshot on demand: the state at the log's head, computed without touching the projected tables.
public struct SnapshotMaker {
    let connect: () throws -> PostgresConnection
    let policy: SnapshotPolicy
    let configuration: ProjectionConfiguration
    let logger: Logger
    let clock: () -> EventTime

    public init(
        connect: @escaping () throws -> PostgresConnection, policy: SnapshotPolicy,
        configuration: ProjectionConfiguration = ProjectionConfiguration(), logger: Logger,
        clock: @escaping () -> EventTime = { EventTime(Date()) }
    ) {
        self.connect = connect
        self.policy = policy
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
    }

    /// Replays to the head (from the newest valid snapshot when the policy allows), writes the state there
    /// and records it in the log (which moves the head by one).
    public func createAtHead(progress: (Int64) -> Void = { _ in }) throws -> SnapshotFile {
        let connection = try connect()
        let head = try EventStore(connection: connection).head().position
        var replayPolicy = policy
        replayPolicy.every = nil
        let replay = try StateReplay(
            connection: connection, connect: connect, configuration: configuration, snapshots: replayPolicy,
            logger: logger, clock: clock
        ).replay(through: head, progress: progress)
        let catalog = try SnapshotCatalog(directory: policy.directory, connection: connection, logger: logger)
        return try catalog.write(replay.state, position: head, createdAt: clock()).file
    }
}
