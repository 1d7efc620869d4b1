import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// The projections' state (billing rows and MRR ledger) at a position, computed from the newest usable
/// snapshot (or event 1) plus the events after it; writes snapshots along the way when the policy asks for them.
struct StateReplay {
    let connection: PostgresConnection
    let connect: () throws -> PostgresConnection
    let configuration: ProjectionConfiguration
    let snapshots: SnapshotPolicy?
    let logger: Logger
    let clock: () -> EventTime

    struct Result {
        var state: LedgerProjections
        /// The snapshot's position when the replay started from one.
        var snapshotPosition: Int64?
        var eventsRead: Int64
        var snapshotsWritten: [URL]
        /// Where the next `--snapshot-every` snapshot is due, for a caller that goes on applying events.
        var scheduler: SnapshotScheduler
    }

    /// Replays through `target`; `progress` gets each position reached.
    func replay(through target: Int64, progress: (Int64) -> Void) throws -> Result {
        let catalog = try snapshots.map {
            try SnapshotCatalog(directory: $0.directory, connection: connection, logger: logger)
        }
        var result = Result(
            state: LedgerProjections(configuration: configuration), snapshotPosition: nil, eventsRead: 0,
            snapshotsWritten: [], scheduler: SnapshotScheduler(catalog: catalog, every: snapshots?.every, last: 0))
        if let catalog, snapshots?.replayFromSnapshots == true,
            let (file, state) = try catalog.newestUsable(atOrBefore: target, configuration: configuration)
        {
            result.state = state
            result.snapshotPosition = file.meta.position
            result.scheduler.last = file.meta.position
            logger.info("replaying from snapshot", metadata: ["file": "\(file.url.lastPathComponent)"])
        }
        let start = result.snapshotPosition ?? 0
        guard start < target else { return result }
        let prefetcher = EventPrefetcher(connection: try connect(), after: start, through: target)
        defer { prefetcher.cancel() }
        while let batch = try prefetcher.next() {
            for event in batch { _ = result.state.apply(event) }
            result.eventsRead += Int64(batch.count)
            let position = batch.last?.position ?? start
            if let written = try result.scheduler.writeIfDue(result.state, position: position, createdAt: clock()) {
                result.snapshotsWritten.append(written)
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
    /// The newest snapshot the state has: the one it started from or the last written.
    var last: Int64

    mutating func writeIfDue(_ state: LedgerProjections, position: Int64, createdAt: @autoclosure () -> EventTime)
        throws
        -> URL?
    {
        guard let catalog, let every, position - last >= every else { return nil }
        let file = try catalog.write(state, position: position, createdAt: createdAt())
        last = position
        return file.url
    }
}
