import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger-bench audit`: latency of `history` and `state` for random subscriptions of a loaded log.
struct AuditBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Time history and state (in process, and as `ledger` commands) for random subscriptions.")

    @Option(help: "Database holding the log.") var databaseURL: String
    @Option(help: "The ledger binary, to time whole commands.") var ledger: String
    @Option(help: "Subscriptions to sample.") var samples = 50

    func run() throws {
        let connection = try PostgresConnection(url: databaseURL)
        let prefix = StreamID.subscription("").description
        let reads = BenchmarkReads(connection: connection)
        let subscriptions = try reads.randomStreams(prefix: prefix, count: samples).compactMap {
            StreamID.key(of: $0, in: .subscription)
        }
        let (first, last, head) = try reads.logExtent()
        print("log of \(head) events; \(subscriptions.count) random subscriptions")
        var generator = SystemRandomNumberGenerator()
        var events: [Int] = []
        let history = try latencies(subscriptions) { id in
            let result = try AuditHistory.build(.subscription(id), includePayments: false, connection: connection)
            events.append(result.entries.count)
        }
        let withPayments = try latencies(subscriptions) { id in
            _ = try AuditHistory.build(.subscription(id), includePayments: true, connection: connection)
        }
        let asOf = try latencies(subscriptions) { id in
            let time = EventTime(
                microsecondsSinceEpoch: Int64.random(
                    in: first.microsecondsSinceEpoch...last.microsecondsSinceEpoch, using: &generator))
            _ = try AuditState.build(.subscription(id), cut: AuditCut(recordedAt: time), connection: connection)
        }
        let atPosition = try latencies(subscriptions) { id in
            let position = Int64.random(in: 1...max(head, 1), using: &generator)
            _ = try AuditState.build(.subscription(id), cut: AuditCut(position: position), connection: connection)
        }
        let commands = try latencies(Array(subscriptions.prefix(20))) { id in
            let run = try runProgram(ledger, ["history", id], environment: ["DATABASE_URL": databaseURL])
            guard run.status == 0 else { throw ValidationError("ledger history \(id) exited \(run.status)") }
        }
        let stateCommands = try latencies(Array(subscriptions.prefix(20))) { id in
            let run = try runProgram(
                ledger, ["state", id, "--as-of", last.description], environment: ["DATABASE_URL": databaseURL])
            guard run.status == 0 else { throw ValidationError("ledger state \(id) exited \(run.status)") }
        }
        let sorted = events.sorted()
        print("events per subscription history: median \(sorted[sorted.count / 2]), max \(sorted.last ?? 0)")
        for (name, figures) in [
            ("history SUB (in process)", history), ("history SUB --include-payments", withPayments),
            ("state SUB --as-of T (in process)", asOf), ("state SUB --at-position N (in process)", atPosition),
            ("`ledger history SUB`, whole command", commands),
            ("`ledger state SUB --as-of T`, whole command", stateCommands),
        ] {
            print(
                name.padding(toLength: 44, withPad: " ", startingAt: 0)
                    + "p50 \(format(figures.p50)), p95 \(format(figures.p95)), max \(format(figures.max))")
        }
    }

    struct Latencies {
        var p50: Double
        var p95: Double
        var max: Double
    }

    /// Milliseconds per call of `body` over `inputs`, after one warm-up call.
    func latencies(_ inputs: [String], _ body: (String) throws -> Void) throws -> Latencies {
        if let first = inputs.first { try body(first) }
        var times: [Double] = []
        for input in inputs {
            let (_, seconds) = try timed { try body(input) }
            times.append(seconds * 1000)
        }
        times.sort()
        guard !times.isEmpty else { return Latencies(p50: 0, p95: 0, max: 0) }
        return Latencies(
            p50: times[times.count / 2], p95: times[min(times.count - 1, times.count * 95 / 100)],
            max: times[times.count - 1])
    }

    func format(_ milliseconds: Double) -> String { String(format: "%.1f ms", milliseconds) }
}
