import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerSnapshots

/// Snapshot write and load rates of the snapshots issue: the state at the log's head, written
/// to a file and read back (verification and reducer-state load), in rows per second.
struct SnapshotBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot-io",
        abstract: "Time writing the head state to a snapshot file and loading it back.")

    @Option(help: "Database holding the log.") var databaseURL: String
    @Option(help: "Directory for the snapshot file (removed afterwards).") var directory: String

    func run() throws {
        print("command: ledger-bench snapshot-io --database-url <db> --directory \(directory) (tools/bench snapshot)")
        let connection = try PostgresConnection(url: databaseURL)
        let store = EventStore(connection: connection)
        var state = LedgerProjections()
        var position: Int64 = 0
        let (_, replaySeconds) = try timed {
            while true {
                let batch = try store.read(after: position)
                guard let last = batch.last else { break }
                for event in batch { _ = state.apply(event) }
                position = last.position
            }
        }
        report("replay into memory (for the snapshot)", Double(position) / replaySeconds, "events/s")
        // What the writer computes before it inserts anything, timed apart from SQLite.
        let (records, encodeSeconds) = timed { state.billing.reducerRecords() }
        report("  of which: reducer state encoding", Double(records.count) / encodeSeconds, "records/s")
        let (rowCount, rowSeconds) = timed {
            state.billing.subscriptionRows().count + state.billing.paymentRows().count
        }
        report("  of which: projected rows", Double(rowCount) / rowSeconds, "rows/s")
        let folder = SnapshotDirectory(url: URL(fileURLWithPath: directory, isDirectory: true))
        let catalog = try SnapshotCatalog(directory: folder, connection: connection, logger: .init(label: "bench"))
        let (file, writeSeconds) = try timed {
            try catalog.write(state, position: position, createdAt: EventTime(Date())).file
        }
        defer { try? FileManager.default.removeItem(at: file.url) }
        let rows = file.meta.totalRows
        report(
            "snapshot write", Double(rows) / writeSeconds, "rows/s",
            "\(rows) rows (\(file.meta.reducerRecords) reducer records) in \(String(format: "%.2f", writeSeconds)) s, goal ≥ 250k (issue 18)"
        )
        let (_, verifySeconds) = try timed { try file.verifyContent() }
        report("snapshot verify (quick_check + digest)", Double(rows) / verifySeconds, "rows/s")
        let (loaded, loadSeconds) = try timed { try file.loadState(configuration: ProjectionConfiguration()) }
        report(
            "snapshot load (reducer state)", Double(file.meta.reducerRecords) / loadSeconds, "rows/s",
            "\(file.meta.reducerRecords) records in \(String(format: "%.2f", loadSeconds)) s, goal ≥ 200k")
        report(
            "snapshot open + verify + load", Double(rows) / (verifySeconds + loadSeconds), "rows/s",
            "all \(rows) rows read once to verify, reducer records again to load")
        guard loaded.billing.subscriptionRows() == state.billing.subscriptionRows(),
            loaded.mrr.movements == state.mrr.movements
        else {
            throw ValidationError("the loaded state differs from the written one")
        }
        let megabytes = Double(file.size) / 1_048_576
        report(
            "snapshot file size per 100k subscriptions", megabytes / Double(file.meta.subscriptionRows) * 100_000,
            "MiB",
            String(
                format: "%.1f MiB for %d subscriptions, %d payments", megabytes, file.meta.subscriptionRows,
                file.meta.paymentRows))
    }
}
