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
    @Option(help: "Rounds alternating the snapshot writer with SQLite's C API on the same rows (medians reported).")
    var rounds = 3

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        print(
            "command: ledger-bench snapshot-io --database-url <db> --directory \(directory) --rounds \(rounds)"
                + " (tools/bench snapshot)")
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
        let write = { try catalog.write(state, position: position, createdAt: EventTime(Date())).file }
        let cpuBefore = processCPUSeconds()
        let (file, writeSeconds) = try timed(write)
        let writeCPU = processCPUSeconds() - cpuBefore
        defer { try? FileManager.default.removeItem(at: file.url) }
        let rows = file.meta.totalRows
        report(
            "snapshot write", Double(rows) / writeSeconds, "rows/s",
            "\(rows) rows (\(file.meta.reducerRecords) reducer records) in \(String(format: "%.2f", writeSeconds)) s, "
                + String(format: "%.2f s of CPU on both threads", writeCPU))
        try compareWithRawInserts(state, rows: rows, firstWrite: writeSeconds, write: write)
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

extension SnapshotBenchmark {
    /// The write goal's limit, measured in the same run for the same rows: SQLite's C API inserting them
    /// (``SnapshotRawInsert``), alternated `rounds` times with the snapshot writer; medians and their ratio.
    func compareWithRawInserts(
        _ state: LedgerProjections, rows: Int, firstWrite: Double, write: () throws -> SnapshotFile
    ) throws {
        // What the writer's second thread does before SQLite sees a row, timed alone.
        var batches: [SnapshotBatch] = []
        let (_, produceSeconds) = try timed { try SnapshotContent(state).produce { batches.append($0) } }
        report("  of which: rows computed, sorted, digested", Double(rows) / produceSeconds, "rows/s")
        let raw = SnapshotRawInsert(batches)
        // The inserting thread alone: the writer fed the rows already computed (its own SQLite path, the
        // commit, fsync, rename and re-open), without the log's record.
        let inserts = try timed {
            try SnapshotWriter(
                directory: SnapshotDirectory(url: URL(fileURLWithPath: directory).appendingPathComponent("inserts"))
            )
            .write(
                state, origin: .init(databaseID: UUID(), position: 1, chainHash: [UInt8](repeating: 0, count: 32)),
                createdAt: EventTime(Date()), pipe: PrecomputedSnapshotPipe(batches: batches))
        }
        try FileManager.default.removeItem(at: inserts.0.url)
        report(
            "  of which: the writer's inserts, commit, fsync", Double(rows) / inserts.1, "rows/s",
            "rows computed beforehand")
        batches = []
        let rawPath = URL(fileURLWithPath: directory).appendingPathComponent("raw-insert.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: rawPath) }
        var writes = [firstWrite]
        var raws: [Double] = []
        for round in 1...rounds {
            let (_, rawSeconds) = try timed { try raw.write(to: rawPath) }
            raws.append(rawSeconds)
            if round > 1 {
                // The same file again (same name: it replaces the first, which the caller removes).
                let (_, seconds) = try timed(write)
                writes.append(seconds)
            }
            print(
                String(
                    format: "  round %d: snapshot writer %.0f rows/s, SQLite C API %.0f rows/s", round,
                    Double(rows) / writes[round - 1], Double(raw.rowCount) / rawSeconds))
        }
        let write = Double(rows) / quantile(writes.sorted(), 0.5)
        let limit = Double(raw.rowCount) / quantile(raws.sorted(), 0.5)
        report(
            "SQLite C API, same rows and tables (median)", limit, "rows/s",
            "\(raw.rowCount) rows, prepared statements reused, one transaction, no journal, one fsync")
        report(
            "snapshot write (median of \(rounds))", write, "rows/s",
            String(format: "%.2f of SQLite's own rate; goal ≥ 250k rows/s (issue 18)", write / limit))
    }
}

/// Hands over batches computed beforehand, ignoring the producer: the writer's SQLite side timed alone.
struct PrecomputedSnapshotPipe: SnapshotBatchPipe {
    let batches: [SnapshotBatch]

    func run(
        _ produce: @escaping @Sendable (_ send: (SnapshotBatch) throws -> Void) throws -> Void,
        consume: (SnapshotBatch) throws -> Void
    ) throws {
        for batch in batches { try consume(batch) }
    }
}

/// User and system CPU seconds this process has used so far, all threads.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
