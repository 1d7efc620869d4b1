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
        /// Snapshots that could not be read or written, why; the replay went on without them.
        var snapshotFailures: [String]
        /// Where the next `--snapshot-every` snapshot is due, for a caller that goes on applying events.
        var scheduler: SnapshotScheduler
        /// The verified snapshot the replay started from, if any (a rebuild reads its rows).
        var snapshotFile: SnapshotFile? = nil
    }

    /// Replays through `target`; `progress` gets each position reached.
    ///
    /// Snapshots are an optimisation: a directory that cannot be read or written (missing, read-only, full)
    /// is a warning in the log and in ``Result/snapshotFailures``, never a reason to stop replaying.
    func replay(through target: Int64, progress: (Int64) -> Void) throws -> Result {
        var phases = PhaseTimer(logger: logger, operation: "replay")
        var failures: [String] = []
        var catalog: SnapshotCatalog?
        if let snapshots {
            do {
                catalog = try SnapshotCatalog(directory: snapshots.directory, connection: connection, logger: logger)
            } catch {
                failures.append(SnapshotScheduler.warn(logger, "snapshot directory unusable", error))
            }
        }
        var result = Result(
            state: LedgerProjections(configuration: configuration), snapshotPosition: nil, eventsRead: 0,
            snapshotsWritten: [], snapshotFailures: failures,
            scheduler: SnapshotScheduler(catalog: catalog, every: snapshots?.every, last: 0, logger: logger))
        if let catalog, snapshots?.replayFromSnapshots == true {
            do {
                if let (file, state) = try catalog.newestUsable(atOrBefore: target, configuration: configuration) {
                    result.state = state
                    result.snapshotPosition = file.meta.position
                    result.snapshotFile = file
                    result.scheduler.last = file.meta.position
                    logger.info("replaying from snapshot", metadata: ["file": "\(file.url.lastPathComponent)"])
                }
            } catch let error as PostgresError {
                throw error  // the log's chain hashes could not be read: not a snapshot's failure
            } catch {
                result.snapshotFailures.append(
                    SnapshotScheduler.warn(logger, "snapshots unreadable; replaying from event 1", error))
            }
        }
        phases.mark("snapshot verify and load")
        // The one input of a row that is not in the log, read only when a mapping reads it.
        result.state.billing.licenses = try LicenseTable.loadIfTheMappingReadsIt(connection)
        let start = result.snapshotPosition ?? 0
        guard start < target else { return result }
        defer { phases.mark("events applied") }
        let prefetcher = EventPrefetcher(connection: try connect(), after: start, through: target)
        defer { prefetcher.cancel() }
        while let batch = try prefetcher.next() {
            for event in batch { _ = result.state.apply(event) }
            result.eventsRead += Int64(batch.count)
            let position = batch.last?.position ?? start
            switch result.scheduler.writeIfDue(result.state, position: position, createdAt: clock()) {
            case .written(let url, _)?: result.snapshotsWritten.append(url)
            case .failed(let message)?: result.snapshotFailures.append(message)
            case nil: break
            }
            progress(position)
        }
        return result
    }
}
