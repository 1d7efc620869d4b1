import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger-bench export`: `ledger export events --out FILE` on a loaded log, as a whole command.
///
/// Goal (issue #8): ≥ 150k events/s to a file in a release build, with constant memory. A tenth
/// of the log is exported first, then all of it: getrusage reports the peak RSS of the children
/// so far, so the second figure equals the first when memory does not grow with the event count.
struct ExportBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Time `ledger export events` (JSON Lines, then CSV) to a file: events/s, MB/s, peak RSS.")

    @Option(help: "Database holding the log.") var databaseURL: String
    @Option(help: "The ledger binary.") var ledger: String
    @Option(help: "Directory for the exported files (removed afterwards).") var directory: String

    func run() throws {
        let head = try EventStore(connection: try PostgresConnection(url: databaseURL)).head().position
        guard head > 0 else { throw ValidationError("the log is empty; load a history first") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("log of \(head) events")
        for (label, format, limit) in [
            ("export events jsonl, first 10%", "jsonl", max(head / 10, 1)), ("export events jsonl", "jsonl", head),
            ("export events csv", "csv", head),
        ] {
            let file = (directory as NSString).appendingPathComponent("events.\(format)")
            let arguments = ["export", "events", "--format", format, "--limit", "\(limit)", "--out", file]
            let (run, seconds) = try timed {
                try runProgram(ledger, arguments, environment: ["DATABASE_URL": databaseURL])
            }
            guard run.status == 0 else {
                throw ValidationError("ledger \(arguments.joined(separator: " ")) exited \(run.status)")
            }
            let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            let records = try countLines(file) - (format == "csv" ? 1 : 0)
            guard format == "csv" || records == limit else {
                throw ValidationError("\(file) has \(records) lines, expected \(limit)")
            }
            report(
                label, Double(limit) / seconds, "events/s",
                String(
                    format: "%lld events, %.0f MB in %.2f s, %.0f MB/s, peak RSS so far %.0f MB", limit,
                    Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / seconds,
                    Double(run.peakChildRSSBytes) / 1_048_576)
                    + (format == "jsonl" && limit == head ? ", goal ≥ 150k" : ""))
            try FileManager.default.removeItem(atPath: file)
        }
    }

    /// Newlines in `file`.
    func countLines(_ file: String) throws -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
        defer { try? handle.close() }
        var lines: Int64 = 0
        while let data = try handle.read(upToCount: 1 << 22), !data.isEmpty {
            lines += Int64(data.withUnsafeBytes { $0.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } })
        }
        return lines
    }
}
