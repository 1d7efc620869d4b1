import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger-bench report`: latency of `ledger report mrr` over the newest 24 months of a projected log.
struct ReportBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Time `ledger report mrr` (in process, and as whole commands) over the newest months of mrr_daily.")

    @Option(help: "Database holding a projected log.") var databaseURL: String
    @Option(help: "The ledger binary, to time whole commands.") var ledger: String
    @Option(help: "Months to report, ending with the newest day in mrr_daily.") var months = 24
    @Option(help: "Runs per measurement.") var runs = 20

    func run() throws {
        let connection = try PostgresConnection(url: databaseURL)
        let extent = try BenchmarkReads(connection: connection).mrrExtent()
        guard let to = extent.newest else { throw ValidationError("mrr_daily is empty: project the log first") }
        let head = try EventStore(connection: connection).head().position
        // The first day of the month `months - 1` months before the newest day's.
        let start = (1..<max(months, 1)).reduce(to.firstOfMonth) { day, _ in day.adding(days: -1).firstOfMonth }
        print(
            "log of \(head) events; \(extent.movements) movements, \(extent.dailyRows) daily rows; "
                + "report \(start) to \(to)")
        let reader = MRRReportReader(connection: connection)
        let currency = try reader.currencies(through: to).first?.currency ?? "USD"
        for grouping in MRRReportGrouping.allCases {
            let figures = try latencies {
                _ = try reader.report(
                    currency: currency, from: start, to: to, by: grouping,
                    checkpointOf: ProjectionRebuilder.projectionName)
            }
            print(line("report mrr --by \(grouping.rawValue) (in process)", figures))
        }
        for format in ["table", "json", "svg"] {
            let figures = try latencies {
                let run = try runProgram(
                    ledger,
                    [
                        "report", "mrr", "--from", start.description, "--to", to.description, "--currency", currency,
                        "--format", format,
                    ],
                    environment: ["DATABASE_URL": databaseURL])
                guard run.status == 0 else { throw ValidationError("ledger report mrr exited \(run.status)") }
            }
            print(line("`ledger report mrr --format \(format)`, whole command", figures) + ", goal ≤ 1 s")
        }
    }

    /// Milliseconds per call of `body`, after one warm-up call: p50, p95, max.
    func latencies(_ body: () throws -> Void) throws -> [Double] {
        try body()
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let (_, seconds) = try timed(body)
            times.append(seconds * 1000)
        }
        times.sort()
        return [times[times.count / 2], times[min(times.count - 1, times.count * 95 / 100)], times[times.count - 1]]
    }

    func line(_ name: String, _ figures: [Double]) -> String {
        name.padding(toLength: 52, withPad: " ", startingAt: 0)
            + String(format: "p50 %.1f ms, p95 %.1f ms, max %.1f ms", figures[0], figures[1], figures[2])
    }
}
