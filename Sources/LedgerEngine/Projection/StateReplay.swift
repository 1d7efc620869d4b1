import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// The reducer state at a position, computed from the newest usable snapshot (or event 1) plus
/// the events after it; writes snapshots along the way when the policy asks for them.
struct StateReplay {
    let connection: PostgresConnection
    let connect: () throws -> PostgresConnection
    let configuration: ProjectionConfiguration
    let snapshots: SnapshotPolicy?
    let logger: Logger
    let clock: () -> EventTime

    struct Result {
        var state: ProjectionState
        /// The snapshot's position when the replay started from one.
        var snapshotPosition: Int64?
        var eventsRead: Int64
        var snapshotsWritten: [URL]
        /// The newest snapshot position the state has: the one it started from or the last written.
        var newestSnapshot: Int64 { scheduledLast ?? snapshotPosition ?? 0 }
        fileprivate var scheduledLast: Int64?
    }

    /// Replays through `target`; `progress` gets each position reached.
    func replay(through target: Int64, progress: (Int64) -> Void) throws -> Result {
        let catalog = try snapshots.map {
            try SnapshotCatalog(directory: $0.directory, connection: connection, logger: logger)
        }
        var result = Result(
            state: ProjectionState(configuration: configuration), snapshotPosition: nil, eventsRead: 0,
            snapshotsWritten: [])
        if let catalog, snapshots?.replayFromSnapshots == true,
            let (file, state) = try catalog.newestUsable(atOrBefore: target, configuration: configuration)
        {
            result.state = state
            result.snapshotPosition = file.meta.position
            logger.info("replaying from snapshot", metadata: ["file": "\(file.url.lastPathComponent)"])
        }
        var scheduler = SnapshotScheduler(
            catalog: catalog, every: snapshots?.every, last: result.snapshotPosition ?? 0, clock: clock)
        let start = result.snapshotPosition ?? 0
        guard start < target else { return result }
        let prefetcher = EventPrefetcher(connection: try connect(), after: start, through: target)
        defer { prefetcher.cancel() }
        while let batch = try prefetcher.next() {
            for event in batch { _ = result.state.apply(event) }
            result.eventsRead += Int64(batch.count)
            let position = batch.last?.position ?? start
            if let written = try scheduler.writeIfDue(result.state, position: position) {
                result.snapshotsWritten.append(written)
                result.scheduledLast = position
            }
            progress(position)
        }
        return result
    }
}

/// Writes a snapshot each time the state has moved `every` events past the last one.
struct SnapshotScheduler {
    let catalog: SnapshotCatalog?
    let every: Int64?
    var last: Int64
    let clock: () -> EventTime

    mutating func writeIfDue(_ state: ProjectionState, position: Int64) throws -> URL? {
        guard let catalog, let every, position - last >= every else { return nil }
        let file = try catalog.write(state, position: position, createdAt: clock())
        last = position
        return file.url
    }
}
