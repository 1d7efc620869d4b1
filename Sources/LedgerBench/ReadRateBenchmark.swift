import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger-bench reads`: the log's readers against the rate PostgreSQL itself sends the same rows, in one run.
///
/// Goals (issue 18): `ledger verify` (chain) and `ledger export events` ≥ 0.9× of the raw read rate, a full
/// rebuild ≥ 0.7×. The raw rate is a binary COPY of exactly the columns the reader reads, into a sink that
/// drops every message, on one connection and on two (the range split in halves by position); each round
/// measures it again beside the readers, so a change in the machine's load moves both.
struct ReadRateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reads",
        abstract: "Raw COPY rate (1 and 2 streams) vs verify --no-drift, export events, rebuild, same run: ratios.",
        discussion: """
            Each round times, on the whole log: the raw binary COPY of each reader's columns into a sink \
            (one stream, then two streams over halves of the range), `ledger verify --no-drift --json`, \
            `ledger export events --format jsonl` to /dev/null, and `ledger rebuild --from-scratch` (no \
            drift: a first, untimed rebuild loads the tables when the checkpoint is behind the head). \
            Whole commands are timed, process start included. The log is read once before the first round \
            so every measurement finds it in the page cache.
            """)

    @Option(help: "Database holding the log (projected or not).") var databaseURL: String
    @Option(help: "The ledger binary.") var ledger: String
    @Option(help: "Rounds of all measurements.") var rounds = 2

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        let connection = try PostgresConnection(url: databaseURL)
        let head = try EventStore(connection: connection).head().position
        guard head > 0 else { throw ValidationError("the log is empty; load a history first") }
        print("log of \(head) events; load average \(loadAverage())")
        let status = try LedgerStatus.read(connection)
        let checkpoint = status.projections.first { $0.name == ProjectionRebuilder.projectionName }?.position ?? 0
        if checkpoint < head {
            print("-- first load: ledger rebuild (not timed; the checkpoint is at \(checkpoint))")
            try command(["rebuild", "--from-scratch"])
        }
        print("-- warm-up: one raw read of the log (not timed)")
        _ = try rawRate(.verify, streams: 1, head: head)
        for round in 1...rounds {
            print("-- round \(round) of \(rounds), load average \(loadAverage())")
            try measureRound(head: head)
        }
        print("load average at the end \(loadAverage())")
    }

    /// One raw read per distinct column list and stream count, then each reader as a whole command.
    func measureRound(head: Int64) throws {
        var raw: [String: (one: Double, two: Double)] = [:]
        for reader in BenchmarkReads.LogReader.allCases where raw[reader.columns] == nil {
            let one = try rawRate(reader, streams: 1, head: head)
            let two = try rawRate(reader, streams: 2, head: head)
            raw[reader.columns] = (one, two)
            let readers = BenchmarkReads.LogReader.allCases.filter { $0.columns == reader.columns }
            let columns = reader.columns.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            print("   raw COPY binary of what \(readers.map(\.rawValue).joined(separator: ", ")) read: \(columns)")
            report("raw COPY, 1 stream", one, "events/s")
            report("raw COPY, 2 streams", two, "events/s")
        }
        let readers: [(BenchmarkReads.LogReader, [String], Double)] = [
            (.verify, ["verify", "--no-drift", "--json"], 0.9),
            (.export, ["export", "events", "--format", "jsonl"], 0.9),
            (.rebuild, ["rebuild", "--from-scratch"], 0.7),
        ]
        for (reader, arguments, goal) in readers {
            print("   $ ledger \(arguments.joined(separator: " "))")
            let seconds = try timed { try command(arguments) }.1
            let rate = Double(head) / seconds
            let (one, two) = raw[reader.columns] ?? (0, 0)
            let best = max(one, two)
            report(
                "ledger \(reader.rawValue)", rate, "events/s",
                String(
                    format: "%.2f s; %.2f× 1 stream, %.2f× 2 streams; goal ≥ %.1f× of the faster: %@", seconds,
                    rate / one, rate / two, goal, rate / best >= goal ? "met" : "not met"))
        }
    }

    /// Events/s of the raw COPY of `reader`'s columns over the whole log on `streams` connections at once.
    func rawRate(_ reader: BenchmarkReads.LogReader, streams: Int, head: Int64) throws -> Double {
        let connections = try (0..<streams).map { _ in Handover(try PostgresConnection(url: databaseURL)) }
        let rows = Locked<Int64>(0)
        let (_, seconds) = try timed {
            let threads = connections.enumerated().map { index, connection in
                WorkerThread(name: "bench.raw-copy") {
                    let after = head * Int64(index) / Int64(streams)
                    let through = head * Int64(index + 1) / Int64(streams)
                    let copied = try BenchmarkReads(connection: connection.value).rawCopy(
                        reader, after: after, through: through)
                    rows.withLock { $0 += copied }
                }
            }
            for thread in threads { try thread.join() }
        }
        guard rows.current == head else {
            throw ValidationError("the raw COPY sent \(rows.current) rows, expected \(head)")
        }
        return Double(head) / seconds
    }

    /// Runs `ledger ARGUMENTS` against the database, its standard output to /dev/null; fails unless it exits 0.
    func command(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ledger)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["DATABASE_URL": databaseURL]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("ledger \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }

    /// The 1, 5 and 15 minute load averages (the machine is shared: figures are read beside them).
    func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
