import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// How cost grows with the log (issue 18 point 5): the same steps a user runs — `ledger ingest`, `ledger
/// rebuild`, `ledger snapshot create`, `ledger verify`, `ledger history` — at several log sizes, each a fresh
/// database loaded from a generated history; time and peak RSS per million events, and whether each step
/// grows linearly (history must stay flat: one subscription's history does not grow with the log).
struct GrowthBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "growth",
        abstract: "Ingest, rebuild, snapshot, verify and history at several log sizes: time and RSS per million.",
        discussion: """
            Each size gets a generated history of that many events (24 months, customers scaled to fit, cached in \
            --directory) and a fresh database bench_growth_<size>, dropped afterwards unless --keep-databases. \
            Every step runs the release `ledger` as a child process under /usr/bin/time (peak RSS is the \
            child's own). The verdict compares the cost per million events at the largest size with the \
            smallest: within ±tolerance is linear.
            """)

    /// Events the generator writes per customer over 24 months (268,610 for 4,000; 1,011,882 for 15,000).
    static let eventsPerCustomer = 67.3

    @Option(help: "Admin URL of the cluster; databases bench_growth_* are created on it.") var clusterURL: String
    @Option(help: "The release ledger binary.") var ledger: String
    @Option(help: "Log sizes in millions of events, comma-separated.") var sizes = "0.25,1,4"
    @Option(help: "Where generated histories, snapshots and the commands' output go.") var directory: String
    @Option(help: "Relative tolerance of the linearity verdict.") var tolerance = 0.3
    @Option(help: "Random subscriptions whose history is read at each size.") var historySamples = 50
    @Flag(help: "Keep each size's database instead of dropping it.") var keepDatabases = false

    var millions: [Double] {
        sizes.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        guard !millions.isEmpty, millions.count == sizes.split(separator: ",").count, millions.allSatisfy({ $0 > 0 })
        else { throw ValidationError("--sizes must be positive numbers of millions, e.g. 0.25,1,4") }
        guard tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be between 0 and 1") }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        print("command: ledger-bench growth --sizes \(sizes) --tolerance \(tolerance) (tools/bench growth)")
        var results: [GrowthStep] = []
        for size in millions.sorted() {
            let steps = try measure(millions: size)
            results += steps
            for step in steps { print(step.line) }
        }
        printVerdicts(results)
    }

    /// One size: generate (or reuse) its history, load a fresh database, run every step.
    func measure(millions size: Double) throws -> [GrowthStep] {
        let label = size < 1 ? "\(Int((size * 1000).rounded()))k" : "\(Int((size * 1000).rounded()) / 1000)m"
        let (history, fixtures) = try generatedHistory(millions: size, label: label)
        let name = "bench_growth_\(label)"
        let url = try scratchDatabase(name, on: clusterURL)
        defer { if !keepDatabases { try? PostgresConnection(url: clusterURL).dropDatabase(named: name) } }
        let snapshots = directory + "/snapshots-\(label)"
        try? FileManager.default.removeItem(atPath: snapshots)
        let environment = ["DATABASE_URL": url, "LEDGER_SNAPSHOT_DIR": snapshots]
        let log = directory + "/\(name)"
        _ = try timedLedger(["migrate", "up"], log: log + "-migrate", environment: environment)
        let loaded = try runProgram("/usr/bin/env", ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", fixtures])
        guard loaded.status == 0 else { throw ValidationError("loading \(fixtures) into \(name) failed") }
        print("-- \(label): \(history)")

        let ingest = try timedLedger(["ingest", "stripe", history], log: log + "-ingest", environment: environment)
        let connection = try PostgresConnection(url: url)
        let reads = BenchmarkReads(connection: connection)
        let events = try reads.logExtent().head
        try connection.execute("ANALYZE")
        var steps = [GrowthStep(size: label, step: "ingest", events: events, run: ingest)]
        for (step, arguments) in [
            ("rebuild, into empty tables", ["rebuild", "--from-scratch"]),
            ("rebuild, no drift", ["rebuild", "--from-scratch"]),
            ("snapshot create", ["snapshot", "create", "--from-scratch"]),
            ("verify --no-drift", ["verify", "--no-drift"]),
        ] {
            let slug = step.split(whereSeparator: { !$0.isLetter }).joined(separator: "-")
            let run = try timedLedger(arguments, log: log + "-" + slug, environment: environment)
            steps.append(GrowthStep(size: label, step: step, events: events, run: run))
        }
        steps += try historyLatency(label: label, events: events, reads: reads, environment: environment, log: log)
        return steps
    }

    /// The history of about `size` million events and its fixtures, generated once into `directory`.
    func generatedHistory(millions size: Double, label: String) throws -> (history: String, fixtures: String) {
        let customers = Int((size * 1_000_000 / Self.eventsPerCustomer).rounded(.up))
        let history = directory + "/history-c\(customers)-m24-s1.jsonl"
        let fixtures = directory + "/fixtures-c\(customers)-m24-s1.sql"
        if FileManager.default.fileExists(atPath: history), FileManager.default.fileExists(atPath: fixtures) {
            return (history, fixtures)
        }
        print("generating \(history) (\(customers) customers, 24 months)")
        let generated = try runProgram(
            ledger,
            [
                "generate", "--customers", "\(customers)", "--months", "24", "--seed", "1", "--out", history + ".tmp",
                "--fixtures-sql", fixtures,
            ])
        guard generated.status == 0 else { throw ValidationError("ledger generate failed for \(label)") }
        try FileManager.default.moveItem(atPath: history + ".tmp", toPath: history)
        return (history, fixtures)
    }

    /// `history SUB` for random subscriptions: in process (``AuditHistory``) and as whole `ledger history`
    /// commands (process start included).
    ///
    /// A history replays its customer's events, and random samples of two logs replay different numbers of
    /// them; so besides the raw median, the latency compared across sizes is that of a history replaying
    /// ``eventsPerCustomer`` events, from a least-squares line through the samples (latency against the
    /// customer's events, counted outside the timing).
    func historyLatency(
        label: String, events: Int64, reads: BenchmarkReads, environment: [String: String], log: String
    ) throws -> [GrowthStep] {
        let connection = try PostgresConnection(url: environment["DATABASE_URL"] ?? "")
        let subscriptions = try reads.randomStreams(
            prefix: StreamID.subscription("").description, count: historySamples
        ).compactMap { StreamID.key(of: $0, in: .subscription) }
        guard let first = subscriptions.first else { throw ValidationError("no subscriptions in the \(label) log") }
        _ = try AuditHistory.build(.subscription(first), includePayments: false, connection: connection)
        var samples: [(replayed: Double, seconds: Double)] = []
        for id in subscriptions {
            let (history, seconds) = try timed {
                try AuditHistory.build(.subscription(id), includePayments: false, connection: connection)
            }
            let replayed = try history.customerID.map { try reads.eventCount(ofCustomer: $0) } ?? 0
            samples.append((Double(replayed), seconds))
        }
        var commands: [GrowthRun] = []
        for id in subscriptions.prefix(10) {
            commands.append(try timedLedger(["history", id], log: log + "-history", environment: environment))
        }
        let command = commands.sorted { $0.seconds < $1.seconds }[commands.count / 2]
        let latencies = samples.map(\.seconds)
        let line = LeastSquaresLine(samples)
        let typical = Self.eventsPerCustomer
        return [
            GrowthStep(
                size: label, step: "history SUB (in process), p50", events: events,
                run: GrowthRun(seconds: median(latencies), peakRSSBytes: 0), perEvent: false,
                detail: String(
                    format: "p95 %.1f ms; %.0f events replayed at the median",
                    quantile(latencies.sorted(), 0.95) * 1000, median(samples.map(\.replayed)))),
            GrowthStep(
                size: label, step: String(format: "history SUB replaying %.0f events", typical), events: events,
                run: GrowthRun(seconds: line.value(at: typical), peakRSSBytes: 0), perEvent: false,
                detail: String(
                    format: "fit over %d samples: %.2f ms + %.3f ms per replayed event", samples.count,
                    line.intercept * 1000, line.slope * 1000)),
            GrowthStep(
                size: label, step: "`ledger history SUB`, p50", events: events, run: command, perEvent: false,
                detail: "\(commands.count) commands, process start included"),
        ]
    }

    /// Runs `ledger arguments` under /usr/bin/time, its output to `log`; wall seconds and the child's peak RSS.
    func timedLedger(_ arguments: [String], log: String, environment: [String: String]) throws -> GrowthRun {
        let timeFile = log + ".time"
        guard FileManager.default.createFile(atPath: log + ".log", contents: nil),
            let output = FileHandle(forWritingAtPath: log + ".log")
        else {
            throw ValidationError("cannot write \(log).log")
        }
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", "-o", timeFile, ledger] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        let (_, seconds) = try timed {
            try process.run()
            process.waitUntilExit()
        }
        guard process.terminationStatus == 0 else {
            throw ValidationError(
                "ledger \(arguments.joined(separator: " ")) exited \(process.terminationStatus); see \(log).log")
        }
        let kilobytes = (try? String(contentsOfFile: timeFile, encoding: .utf8))?
            .split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return GrowthRun(seconds: seconds, peakRSSBytes: (kilobytes ?? 0) * 1024)
    }

    /// Per step: the cost per million events at the largest size over the smallest, and what that says.
    func printVerdicts(_ results: [GrowthStep]) {
        let ordered = millions.sorted()
        guard ordered.count > 1 else {
            print("one size only: no linearity verdict")
            return
        }
        print("-- growth, largest size over smallest (tolerance ±\(Int(tolerance * 100)) %)")
        var names: [String] = []
        for result in results where !names.contains(result.step) { names.append(result.step) }
        for name in names {
            let runs = results.filter { $0.step == name }
            guard let small = runs.first, let large = runs.last, small.size != large.size else { continue }
            let time = large.secondsPerMillion / small.secondsPerMillion
            let memory = Double(large.run.peakRSSBytes) / Double(max(small.run.peakRSSBytes, 1))
            let scale = Double(large.events) / Double(max(small.events, 1))
            let shape: String
            if small.perEvent {
                shape = verdict(time, expected: "linear", under: "sublinear", over: "superlinear")
            } else {
                shape = verdict(time * scale, expected: "flat", under: "faster", over: "grows with the log")
            }
            let label = small.perEvent ? "time per million" : "latency"
            let ratio = String(format: "%.2f", small.perEvent ? time : time * scale)
            print(
                name.padding(toLength: 34, withPad: " ", startingAt: 0)
                    + "\(label) ×\(ratio) → \(shape); "
                    + String(format: "peak RSS ×%.2f for ×%.1f events", memory, scale))
        }
    }

    func verdict(_ ratio: Double, expected: String, under: String, over: String) -> String {
        if ratio > 1 + tolerance { return over }
        if ratio < 1 - tolerance { return under }
        return expected
    }
}

/// The least-squares line through points (x, y).
struct LeastSquaresLine {
    var intercept: Double
    var slope: Double

    /// The line through `points`; flat at their mean when every x is the same.
    init(_ points: [(Double, Double)]) {
        let count = Double(max(points.count, 1))
        let meanX = points.map(\.0).reduce(0, +) / count
        let meanY = points.map(\.1).reduce(0, +) / count
        let spread = points.map { ($0.0 - meanX) * ($0.0 - meanX) }.reduce(0, +)
        let covariance = points.map { ($0.0 - meanX) * ($0.1 - meanY) }.reduce(0, +)
        slope = spread > 0 ? covariance / spread : 0
        intercept = meanY - slope * meanX
    }

    func value(at x: Double) -> Double { intercept + slope * x }
}

/// One timed child process.
struct GrowthRun {
    var seconds: Double
    /// The child's peak resident set (0 when not measured, e.g. in process).
    var peakRSSBytes: Int
}

/// One step at one size.
struct GrowthStep {
    var size: String
    var step: String
    var events: Int64
    var run: GrowthRun
    /// Whether the step's cost is expected to grow with the log (false: a latency that should stay flat).
    var perEvent = true
    var detail = ""

    var millions: Double { Double(events) / 1_000_000 }
    var secondsPerMillion: Double { run.seconds / max(millions, 1e-9) }

    var line: String {
        let figures =
            perEvent
            ? String(
                format: "%10d events %8.1f s %9.0f events/s %7.0f MiB peak | %7.1f s/M %7.0f MiB/M", events,
                run.seconds, Double(events) / max(run.seconds, 1e-9), Double(run.peakRSSBytes) / 1_048_576,
                secondsPerMillion, Double(run.peakRSSBytes) / 1_048_576 / max(millions, 1e-9))
            : String(format: "%10d events %8.1f ms", events, run.seconds * 1000)
                + (run.peakRSSBytes > 0 ? String(format: " %7.0f MiB peak", Double(run.peakRSSBytes) / 1_048_576) : "")
        return "  \(size) " + step.padding(toLength: 34, withPad: " ", startingAt: 0) + figures
            + (detail.isEmpty ? "" : "  (\(detail))")
    }
}
