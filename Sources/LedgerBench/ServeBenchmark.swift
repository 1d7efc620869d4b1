import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import LoopbackHTTPClient

/// Webhook ingest over HTTP: `ledger serve` with group commit vs a transaction per request, on
/// loopback with signed generated events, then a kill -9 in the middle of a load; with `--fixtures`, the
/// time from a webhook's 200 to its row at fixed rates (``measureVisibility(_:rate:fixtures:)``).
struct ServeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Acknowledged webhooks/s and latency, group commit vs none; kill -9 mid-load, retry, check; "
            + "webhook → row latency at fixed rates.")

    static let secret = "whsec_bench_0123456789abcdef"

    @Option(help: "Admin URL of the cluster; databases bench_serve_* are created on it.") var clusterURL: String
    @Option(help: "A Stripe event history as JSONL (from ledger generate).") var events: String
    @Option(help: "The release ledger binary.") var ledger: String
    @Option(help: "Concurrent client connections.") var connections = 64
    @Option(help: "Seconds of load per server configuration.") var seconds = 10
    @Option(help: "Events sent in the kill -9 run (0 skips it).") var killEvents = 5_000
    @Flag(help: "Run the catch-up projector in the measured servers too.") var withProjector = false
    @Option(help: "SQL of users and licenses (ledger generate --fixtures-sql): enables the webhook → row runs.")
    var fixtures: String?
    @Option(help: "Webhooks/s of the open-loop webhook → row runs, comma-separated.") var visibilityRates = "1000,2000"
    @Option(help: "Seconds of each webhook → row run.") var visibilitySeconds = 30
    @Option(help: "Client connections of the webhook → row runs (enough that sends keep their pace).")
    var visibilityConnections = 128
    @Flag(help: "Only the webhook → row runs (skip throughput and kill -9).") var visibilityOnly = false

    func validate() throws {
        if visibilityOnly && fixtures == nil { throw ValidationError("--visibility-only needs --fixtures") }
        guard rates.allSatisfy({ $0 > 0 }), visibilitySeconds > 0, visibilityConnections > 0 else {
            throw ValidationError("--visibility-rates, --visibility-seconds and --visibility-connections must be > 0")
        }
    }

    var rates: [Int] { visibilityRates.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 } }

    func run() async throws {
        let bodies = try distinctEvents()
        if !visibilityOnly {
            print("input: \(bodies.count) distinct events; \(connections) connections, \(seconds) s per configuration")
            let grouped = try measure(bodies, groupCommit: true)
            let single = try measure(bodies, groupCommit: false)
            report("group commit / transaction per request", grouped.rate / max(single.rate, 1e-9), "×", "goal ≥ 3×")
            if killEvents > 0 { try killAndRetry(Array(bodies.prefix(killEvents))) }
        }
        if let fixtures {
            for rate in rates { try measureVisibility(bodies, rate: rate, fixtures: fixtures) }
        }
    }

    /// The history's events, each `evt_…` once (the generator adds redeliveries).
    func distinctEvents() throws -> [[UInt8]] {
        var seen: Set<String> = []
        var bodies: [[UInt8]] = []
        try forEachLine(in: events) { line in
            if case .success(let envelope) = StripeEventEnvelope.scan(line), seen.insert(envelope.id).inserted {
                bodies.append(Array(line))
            }
        }
        return bodies
    }

    struct LoadResult {
        var acknowledged: Int
        var refused: Int
        var failed: Int
        var seconds: Double
        var latencies: [Double]
        var acknowledgedIDs: Set<Int>
        var rate: Double { Double(acknowledged) / max(seconds, 1e-9) }
    }

    func measure(_ bodies: [[UInt8]], groupCommit: Bool) throws -> LoadResult {
        let label = groupCommit ? "group commit" : "transaction per request"
        let url = try freshDatabase(groupCommit ? "bench_serve_group" : "bench_serve_single")
        let server = try ServerProcess(
            ledger: ledger, databaseURL: url, groupCommit: groupCommit, projector: withProjector)
        defer { server.stop(SIGTERM) }
        let result = load(
            bodies, port: server.port, clients: connections, until: .now + .seconds(seconds), stopAtFirstFailure: false)
        let sorted = result.latencies.sorted()
        func percentile(_ fraction: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] * 1000
        }
        print("-- \(label): synchronous_commit=\(try setting(.synchronousCommit, url))")
        report(
            "  acknowledged webhooks/s", result.rate, "/s",
            "\(result.acknowledged) in \(String(format: "%.1f", result.seconds)) s")
        report("  p50 latency", percentile(0.5), "ms")
        report("  p99 latency", percentile(0.99), "ms")
        report("  max latency", (sorted.last ?? 0) * 1000, "ms")
        report("  non-2xx answers", Double(result.refused + result.failed), "")
        if groupCommit, let status = try? server.status() { print("  group commit: \(status)") }
        return result
    }

    /// kill -9 during a load, restart on the same port, retry what was not acknowledged; then check
    /// that every acknowledged event is in the log exactly once and nothing is duplicated.
    func killAndRetry(_ bodies: [[UInt8]]) throws {
        print("-- kill -9 mid-load: \(bodies.count) events, 16 connections")
        let url = try freshDatabase("bench_serve_kill")
        let first = try ServerProcess(ledger: ledger, databaseURL: url, groupCommit: true, projector: false)
        // The kill at 1.5 s is the behaviour measured; the thread is not joined (stop() after it is a no-op).
        _ = WorkerThread(name: "ledger.bench-kill") {
            Thread.sleep(forTimeInterval: 1.5)
            first.stop(SIGKILL)
        }
        let before = load(bodies, port: first.port, clients: 16, until: .now + .seconds(120), stopAtFirstFailure: true)
        first.stop(SIGKILL)
        let second = try ServerProcess(
            ledger: ledger, databaseURL: url, groupCommit: true, projector: false, port: first.port)
        defer { second.stop(SIGTERM) }
        let remaining = bodies.indices.filter { !before.acknowledgedIDs.contains($0) }
        let retried = load(
            remaining.map { bodies[$0] }, port: second.port, clients: 16, until: .now + .seconds(120),
            stopAtFirstFailure: false)
        let sourceIDs = try BenchmarkReads(connection: try PostgresConnection(url: url)).sourceEventIDs()
        // As count(*) and count(DISTINCT source_event_id) count: every row, distinct non-NULL ids.
        let storedIDs = Set(sourceIDs.compactMap { $0 })
        let (stored, distinct) = (sourceIDs.count, storedIDs.count)
        let ids = Set(
            bodies.compactMap { body -> String? in
                if case .success(let envelope) = StripeEventEnvelope.scan(body) { return envelope.id }
                return nil
            })
        print("  acknowledged before the kill: \(before.acknowledged); after the restart: \(retried.acknowledged)")
        print("  stored: \(stored) rows, \(distinct) distinct event ids, \(bodies.count) sent")
        let lost = before.acknowledgedIDs.map { bodies[$0] }.filter { body in
            if case .success(let envelope) = StripeEventEnvelope.scan(body) { return !storedIDs.contains(envelope.id) }
            return true
        }
        let ok = lost.isEmpty && stored == distinct && storedIDs == ids
        print("  every acknowledged event stored exactly once, nothing duplicated: \(ok ? "yes" : "NO")")
        if !ok { throw ExitCode.failure }
    }

    /// `clients` threads, each with a keep-alive connection, taking the next unsent event until
    /// `deadline` or the end of `bodies`; signatures made just before sending.
    func load(
        _ bodies: [[UInt8]], port: Int, clients: Int, until deadline: ContinuousClock.Instant, stopAtFirstFailure: Bool
    )
        -> LoadResult
    {
        let shared = LoadState()
        let started = ContinuousClock.now
        let threads = (0..<clients).map { _ in
            WorkerThread(name: "ledger.bench-load") {
                var local = LoadState.Tally()
                var connection = try? LoopbackHTTPConnection(port: port)
                while ContinuousClock.now < deadline, let index = shared.next(below: bodies.count) {
                    let body = bodies[index]
                    let signature = StripeSignature.header(
                        payload: body, secret: Self.secret, timestamp: Int64(Date().timeIntervalSince1970))
                    let sent = ContinuousClock.now
                    guard let open = connection,
                        let response = try? open.send(
                            "POST", "/webhooks/stripe",
                            headers: [("Stripe-Signature", signature), ("Content-Type", "application/json")],
                            body: body)
                    else {
                        local.failed += 1
                        if stopAtFirstFailure { break }
                        connection = try? LoopbackHTTPConnection(port: port)
                        continue
                    }
                    local.latencies.append((ContinuousClock.now - sent) / .seconds(1))
                    if (200..<300).contains(response.status) {
                        local.acknowledged.insert(index)
                    } else {
                        local.refused += 1
                    }
                }
                shared.add(local)
            }
        }
        for thread in threads { _ = thread.result() }
        let tally = shared.total
        return LoadResult(
            acknowledged: tally.acknowledged.count, refused: tally.refused, failed: tally.failed,
            seconds: (ContinuousClock.now - started) / .seconds(1), latencies: tally.latencies,
            acknowledgedIDs: tally.acknowledged)
    }

    func freshDatabase(_ name: String) throws -> String {
        let url = try scratchDatabase(name, on: clusterURL)
        let migrated = try runProgram(ledger, ["migrate", "up"], environment: ["DATABASE_URL": url])
        guard migrated.status == 0 else { throw ValidationError("ledger migrate up failed on \(name)") }
        return url
    }

    func setting(_ setting: SessionSetting, _ url: String) throws -> String {
        try PostgresConnection(url: url).current(setting)
    }
}

/// The next event to send, and what every client counted.
final class LoadState: Sendable {
    struct Tally {
        var acknowledged: Set<Int> = []
        var refused = 0
        var failed = 0
        var latencies: [Double] = []
    }

    private let cursor = Locked(0)
    private let tally = Locked(Tally())

    func next(below count: Int) -> Int? {
        cursor.withLock { cursor in
            guard cursor < count else { return nil }
            defer { cursor += 1 }
            return cursor
        }
    }

    func add(_ local: Tally) {
        tally.withLock { tally in
            tally.acknowledged.formUnion(local.acknowledged)
            tally.refused += local.refused
            tally.failed += local.failed
            tally.latencies += local.latencies
        }
    }

    var total: Tally { tally.current }
}

/// A `ledger serve` child process on a free port, its output discarded.
final class ServerProcess: Sendable {
    let port: Int
    private let process = Process()

    init(ledger: String, databaseURL: String, groupCommit: Bool, projector: Bool, port: Int? = nil) throws {
        self.port = try port ?? LoopbackHTTP.freePort()
        process.executableURL = URL(fileURLWithPath: ledger)
        process.arguments =
            ["serve", "--port", "\(self.port)", "--log-level", "error"] + (groupCommit ? [] : ["--no-group-commit"])
            + (projector ? [] : ["--no-projector"])
        process.environment = ProcessInfo.processInfo.environment.merging([
            "DATABASE_URL": databaseURL, "STRIPE_WEBHOOK_SECRETS": ServeBenchmark.secret, "LEDGER_API_TOKENS": "bench",
        ]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? LoopbackHTTPConnection(port: self.port).send("GET", "/readyz"),
                response.status == 200
            {
                return
            }
            guard process.isRunning else { throw ValidationError("ledger serve exited early") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ValidationError("ledger serve did not become ready")
    }

    func status() throws -> String {
        let response = try LoopbackHTTPConnection(port: port).send(
            "GET", "/v1/status", headers: [("Authorization", "Bearer bench")])
        guard let json = response.json?["group_commit"] else { return response.text }
        return "\(json)"
    }

    func stop(_ signal: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }
}
