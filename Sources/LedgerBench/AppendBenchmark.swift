import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

/// The event-log benchmarks of the event-log issue, measured in one run.
struct AppendBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Raw COPY limit vs ledger ingest, group commit vs single appender, verify rate, ingest RSS.")

    @Option(help: "Admin URL of the cluster; databases bench_* are created on it.") var clusterURL: String
    @Option(help: "A Stripe event history as JSONL (from ledger generate).") var events: String
    @Option(help: "The release ledger binary.") var ledger: String
    @Option(help: "Migrations directory (default: those built in, as `ledger migrate up` uses).")
    var migrations: String?
    @Option(help: "Single-event appends for the one-appender figure.") var singleAppends = 2_000
    @Option(help: "Concurrent appenders for the group-commit figure.") var appenders = 32
    @Option(help: "Appends each concurrent appender makes.") var appendsPerAppender = 200

    func run() async throws {
        let lines = try countLines()
        print("input: \(events) — \(lines.count) events, \(lines.bytes / 1_048_576) MiB")
        let raw = try rawCopyRate()
        let ingest = try ingestRate(events: lines.count)
        report("ingest / raw COPY", ingest / raw * 100, "%", "goal ≥ 50%")
        try verifyRate()
        try await groupCommit()
    }

    func countLines() throws -> (count: Int, bytes: Int) {
        var count = 0
        var bytes = 0
        try forEachLine(in: events) {
            count += 1
            bytes += $0.count
        }
        return (count, bytes)
    }

    func freshDatabase(_ name: String, migrate: Bool) throws -> String {
        let url = try scratchDatabase(name, on: clusterURL)
        if migrate {
            let connection = try PostgresConnection(url: url)
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            try MigrationRunner(
                connection: connection, source: try MigrationSource.locate(explicit: migrations, environment: [:]),
                logger: logger
            ).up()
        }
        return url
    }

    /// The raw limit: the same bodies, binary COPY into a one-column text table, no index. Its SQL is
    /// the measurement of PostgreSQL itself (no ledger code path to call), so it stays here.
    func rawCopyRate() throws -> Double {
        let connection = try PostgresConnection(url: try freshDatabase("bench_raw", migrate: false))
        try connection.execute("CREATE TABLE raw_bodies (body text)")
        let (rows, seconds) = try timed {
            try connection.copyIn("COPY raw_bodies (body) FROM STDIN (FORMAT binary)", format: .binary) { writer in
                try forEachLine(in: events) { line in try writer.writeBinaryRow([.bytes(Array(line))]) }
            }
        }
        report(
            "raw COPY, one text column, no index", Double(rows) / seconds, "rows/s",
            "\(rows) rows in \(String(format: "%.1f", seconds)) s")
        return Double(rows) / seconds
    }

    /// `ledger ingest stripe FILE` end to end: framing, validation, hashing, indexes, triggers.
    func ingestRate(events count: Int) throws -> Double {
        let url = try freshDatabase("bench_ingest", migrate: true)
        let ((output, status, peak), seconds) = try timed {
            try runProgram(ledger, ["ingest", "stripe", events, "--json"], environment: ["DATABASE_URL": url])
        }
        guard status == 0 || status == 1 else { throw ValidationError("ledger ingest failed (\(status)): \(output)") }
        report(
            "ledger ingest", Double(count) / seconds, "events/s",
            "\(count) events in \(String(format: "%.1f", seconds)) s")
        report("ledger ingest peak RSS", Double(peak) / 1_048_576, "MiB")
        return Double(count) / seconds
    }

    func verifyRate() throws {
        let target = try databaseURL("bench_ingest", on: clusterURL)
        let ((output, status, _), seconds) = try timed {
            try runProgram(ledger, ["verify", "--json", "--no-drift"], environment: ["DATABASE_URL": target])
        }
        let checked = try VerifiedChain.eventsChecked(inVerifyJSON: output)
        report(
            "ledger verify", Double(checked) / seconds, "events/s", "status \(status), \(checked) events, goal ≥ 150k/s"
        )
    }

    /// The part of `ledger verify --json`'s report the rate needs, read with the decoder of the printing encoder
    /// (snake_case keys: `chain.events_checked`), so a renamed key fails here instead of reading as 0 events.
    struct VerifiedChain: Decodable {
        struct Chain: Decodable { var eventsChecked: Int64 }
        var chain: Chain

        static func eventsChecked(inVerifyJSON output: String) throws -> Int64 {
            do {
                return try LedgerJSON.decoder().decode(Self.self, from: Data(output.utf8)).chain.eventsChecked
            } catch {
                throw ValidationError(
                    "cannot read chain.events_checked from `ledger verify --json` (\(error)): \(output)")
            }
        }
    }

    /// One appender, one transaction per event, vs many callers through group commit,
    /// both with synchronous_commit=on (every commit waits for its WAL flush).
    func groupCommit() async throws {
        let url = try freshDatabase("bench_group_commit", migrate: true)
        let connect: @Sendable () throws -> PostgresConnection = {
            let connection = try PostgresConnection(url: url)
            try connection.set(.synchronousCommit, to: "on")
            return connection
        }
        let store = EventStore(connection: try connect())
        let (_, singleSeconds) = try timed {
            for index in 0..<singleAppends {
                try store.append(AppendBatch(events: [Self.event("single", index)]), recordedAt: EventTime(Date()))
            }
        }
        let singleRate = Double(singleAppends) / singleSeconds
        report("single appender, 1 event/transaction", singleRate, "events/s", "synchronous_commit=on")

        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let appender = GroupCommitAppender(connect: connect, logger: logger)
        let (perAppender, appenders) = (appendsPerAppender, self.appenders)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<appenders {
                group.addTask {
                    for index in 0..<perAppender {
                        _ = try await appender.append(AppendBatch(events: [Self.event("caller\(caller)", index)]))
                    }
                }
            }
            try await group.waitForAll()
        }
        let groupSeconds = (ContinuousClock.now - start) / .seconds(1)
        let statistics = appender.currentStatistics
        appender.shutdown()
        let groupRate = Double(appenders * perAppender) / groupSeconds
        report(
            "\(appenders) concurrent appenders, group commit", groupRate, "events/s",
            "\(statistics.transactions) transactions, up to \(statistics.largestRequestsPerTransaction) per commit")
        report("group commit / single appender", groupRate / singleRate * 100, "%", "goal ≥ 500%")
    }

    static func event(_ stream: String, _ index: Int) -> NewEvent {
        NewEvent(
            eventID: UUID(), streamID: "bench:\(stream)", type: "bench.appended", source: EventSource.ledger,
            occurredAt: EventTime(Date()), body: Array(#"{"index":\#(index)}"#.utf8))
    }
}
