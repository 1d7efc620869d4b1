import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LoopbackHTTPClient

/// Webhook → row latency (issue 18 point 4): `ledger serve` with its projector on a database whose licenses
/// exist, webhooks sent open-loop at a fixed rate (each at its own instant, whether or not earlier ones were
/// answered), and a watcher connection that polls the tables for the rows of the events answered 200.
///
/// Two figures per rate, both from the 200's arrival at the client:
/// - rows: the first event answered for each subscription or PaymentIntent, until its row is in
///   `subscriptions` / `payment_transactions` (a row is created once, so its appearance is unambiguous);
/// - every event: until the projection's checkpoint covers the position the 200 named (rows and checkpoint
///   commit in one transaction, and are read in one statement here).
/// A row counts as visible when the poll that saw it returned, so both figures are upper bounds by at most
/// one poll interval plus one query.
extension ServeBenchmark {
    /// How often the watcher asks for the rows.
    static let visibilityPollInterval = Duration.milliseconds(10)
    /// How often `/metrics` is sampled for the projector's lag.
    static let metricsSampleInterval = Duration.milliseconds(250)
    /// How long to wait after the last send for the rows still missing.
    static let visibilityDrainMax = Duration.seconds(60)

    func measureVisibility(_ bodies: [[UInt8]], rate: Int, fixtures: String) throws {
        let total = min(bodies.count, rate * visibilitySeconds)
        let url = try freshDatabase("bench_serve_rows_\(rate)")
        let loaded = try runProgram(
            "/usr/bin/env", ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", fixtures])
        guard loaded.status == 0 else { throw ValidationError("loading \(fixtures) failed") }
        let server = try ServerProcess(ledger: ledger, databaseURL: url, groupCommit: true, projector: true)
        defer { server.stop(SIGTERM) }
        print(
            "-- webhook → row at \(rate)/s open-loop: \(total) events over \(total / rate) s, "
                + "\(visibilityConnections) connections, projector in the server")
        // A ledger keeps one mode (the first event's); events of the other mode are stored and never make rows.
        let envelopes = bodies.prefix(total).map { body -> StripeEventEnvelope? in
            if case .success(let envelope) = StripeEventEnvelope.scan(body) { return envelope }
            return nil
        }
        let live = envelopes.filter { $0?.livemode != false }.count * 2 >= total
        let objects = envelopes.map { envelope in
            envelope.flatMap { $0.livemode == !live ? nil : TrackedObject(envelope: $0) }
        }
        let otherMode = envelopes.filter { $0?.livemode == !live }.count
        print("  \(otherMode) events of the other mode (stored, never rows by design): their objects are not watched")
        let run = VisibilityRun()
        let watcher = WorkerThread(name: "ledger.bench-watcher") {
            try run.watch(objects: objects, connection: try PostgresConnection(url: url))
        }
        let sampler = WorkerThread(name: "ledger.bench-metrics") { run.sampleLag(port: server.port) }
        let senders = sendPaced(Array(bodies.prefix(total)), rate: rate, port: server.port, into: run)
        run.loadEnded()
        try watcher.join()
        try sampler.join()
        run.printFigures(rate: rate, sends: senders, total: total)
    }

    /// Sends `bodies[i]` at `start + i / rate` from a pool of keep-alive connections; a send whose instant
    /// passed while every connection was busy goes at once and counts as late.
    func sendPaced(_ bodies: [[UInt8]], rate: Int, port: Int, into run: VisibilityRun) -> [PacedSend] {
        let next = LoadState()
        let start = ContinuousClock.now + .milliseconds(500)
        run.loadStarts(at: start)
        let interval = Duration.seconds(1) / rate
        let sends = Locked<[PacedSend]>([])
        let threads = (0..<visibilityConnections).map { _ in
            WorkerThread(name: "ledger.bench-paced") {
                var local: [PacedSend] = []
                var connection = try? LoopbackHTTPConnection(port: port)
                while let index = next.next(below: bodies.count) {
                    let intended = start + interval * index
                    let wait = intended - .now
                    if wait > .zero { Thread.sleep(forTimeInterval: wait / .seconds(1)) }
                    let signature = StripeSignature.header(
                        payload: bodies[index], secret: Self.secret, timestamp: Int64(Date().timeIntervalSince1970))
                    let sent = ContinuousClock.now
                    let response = try? connection?.send(
                        "POST", "/webhooks/stripe",
                        headers: [("Stripe-Signature", signature), ("Content-Type", "application/json")],
                        body: bodies[index])
                    let send = PacedSend(
                        index: index, intended: intended, sent: sent, answered: .now, status: response?.status ?? 0,
                        position: (response?.json?["position"] as? Int).map(Int64.init))
                    if response == nil { connection = try? LoopbackHTTPConnection(port: port) }
                    if send.position != nil { run.acknowledged(send) }
                    local.append(send)
                }
                sends.withLock { $0 += local }
            }
        }
        for thread in threads { _ = thread.result() }
        return sends.current
    }
}

/// One webhook of a paced run: when it was due, sent and answered, and the position the 200 named.
struct PacedSend: Sendable {
    var index: Int
    var intended: ContinuousClock.Instant
    var sent: ContinuousClock.Instant
    var answered: ContinuousClock.Instant
    /// The HTTP status, 0 when no answer came.
    var status: Int
    var position: Int64?
}

/// The object whose row an event makes: a subscription or a PaymentIntent (others make no row of their own).
enum TrackedObject: Hashable, Sendable {
    case subscription(String)
    case payment(String)

    init?(envelope: StripeEventEnvelope) {
        guard let id = envelope.objectID else { return nil }
        switch envelope.objectKind {
        case "subscription": self = .subscription(id)
        case "payment_intent": self = .payment(id)
        default: return nil
        }
    }
}

/// What the senders, the watcher and the metrics sampler of one paced run share.
final class VisibilityRun: Sendable {
    private struct Shared {
        var start: ContinuousClock.Instant?
        var ended: ContinuousClock.Instant?
        var answered: [PacedSend] = []
        var rowSeconds: [Double] = []
        var eventSeconds: [Double] = []
        var rowsNeverSeen = 0
        var eventsNeverCovered = 0
        var watching = true
        /// (seconds since the start, lag in events) from `/metrics`.
        var lagSamples: [(Double, Double)] = []
    }

    private let shared = Locked(Shared())

    func loadStarts(at start: ContinuousClock.Instant) { shared.withLock { $0.start = start } }
    func loadEnded() { shared.withLock { $0.ended = .now } }
    func acknowledged(_ send: PacedSend) { shared.withLock { $0.answered.append(send) } }

    /// Polls the tables for the rows of the events answered so far until every one is seen, or the drain
    /// bound passes after the load ended.
    func watch(objects: [TrackedObject?], connection: PostgresConnection) throws {
        let reads = BenchmarkReads(connection: connection)
        var seenObjects: Set<TrackedObject> = []
        var waitingRows: [TrackedObject: ContinuousClock.Instant] = [:]
        var waitingEvents: [(position: Int64, answered: ContinuousClock.Instant)] = []
        var rowSeconds: [Double] = []
        var eventSeconds: [Double] = []
        while true {
            let (fresh, ended) = shared.withLock { shared in
                defer { shared.answered.removeAll(keepingCapacity: true) }
                return (shared.answered, shared.ended)
            }
            for send in fresh {
                if let position = send.position { waitingEvents.append((position, send.answered)) }
                if let object = objects[send.index], seenObjects.insert(object).inserted {
                    waitingRows[object] = send.answered
                }
            }
            var subscriptions: [String] = []
            var payments: [String] = []
            for object in waitingRows.keys {
                switch object {
                case .subscription(let id): subscriptions.append(id)
                case .payment(let id): payments.append(id)
                }
            }
            let visible = try reads.visibleRows(
                subscriptions: subscriptions, payments: payments, projection: ProjectionRebuilder.projectionName)
            let seen = ContinuousClock.now
            for id in visible.subscriptions {
                if let answered = waitingRows.removeValue(forKey: .subscription(id)) {
                    rowSeconds.append((seen - answered) / .seconds(1))
                }
            }
            for id in visible.payments {
                if let answered = waitingRows.removeValue(forKey: .payment(id)) {
                    rowSeconds.append((seen - answered) / .seconds(1))
                }
            }
            waitingEvents.removeAll { event in
                guard event.position <= visible.checkpoint else { return false }
                eventSeconds.append((seen - event.answered) / .seconds(1))
                return true
            }
            let drained = waitingRows.isEmpty && waitingEvents.isEmpty
            if let ended, fresh.isEmpty, drained || seen - ended > ServeBenchmark.visibilityDrainMax { break }
            Thread.sleep(forTimeInterval: ServeBenchmark.visibilityPollInterval / .seconds(1))
        }
        shared.withLock { [rowSeconds, eventSeconds, waitingRows, waitingEvents] shared in
            shared.rowSeconds = rowSeconds
            shared.eventSeconds = eventSeconds
            shared.rowsNeverSeen = waitingRows.count
            shared.eventsNeverCovered = waitingEvents.count
            shared.watching = false
        }
    }

    /// Samples `ledger_projector_lag_events` at `/metrics` until the watcher is done.
    func sampleLag(port: Int) {
        var connection = try? LoopbackHTTPConnection(port: port)
        while shared.withLock({ $0.watching }) {
            if let response = try? connection?.send("GET", "/metrics", headers: [("Authorization", "Bearer bench")]),
                let lag = Self.gauge("ledger_projector_lag_events", in: response.text)
            {
                shared.withLock { shared in
                    let since = shared.start.map { (ContinuousClock.now - $0) / .seconds(1) } ?? 0
                    shared.lagSamples.append((since, lag))
                }
            } else {
                connection = try? LoopbackHTTPConnection(port: port)
            }
            Thread.sleep(forTimeInterval: ServeBenchmark.metricsSampleInterval / .seconds(1))
        }
    }

    /// The value of an unlabelled gauge in Prometheus text.
    static func gauge(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Prints the run's figures.
    func printFigures(rate: Int, sends: [PacedSend], total: Int) {
        let shared = shared.current
        let acknowledged = sends.filter { (200..<300).contains($0.status) }
        let first = sends.map(\.intended).min() ?? .now
        let last = sends.map(\.answered).max() ?? .now
        let achieved = Double(acknowledged.count) / max((last - first) / .seconds(1), 1e-9)
        let late = sends.map { ($0.sent - $0.intended) / .milliseconds(1) }.sorted()
        let answer = sends.map { ($0.answered - $0.intended) / .milliseconds(1) }.sorted()
        report(
            "  acknowledged", Double(acknowledged.count), "",
            "of \(total); \(sends.count - acknowledged.count) not 2xx; " + String(format: "%.0f/s achieved", achieved))
        report(
            "  sends late by > 50 ms", Double(late.filter { $0 > 50 }.count), "",
            String(format: "p99 lateness %.1f ms, max %.1f ms", quantile(late, 0.99), quantile(late, 1)))
        report(
            "  200 after its due instant, p50", quantile(answer, 0.5), "ms",
            String(format: "p99 %.1f ms, max %.1f ms", quantile(answer, 0.99), quantile(answer, 1)))
        let rows = shared.rowSeconds.map { $0 * 1000 }.sorted()
        report(
            "  200 → row visible, p50", quantile(rows, 0.5), "ms",
            "\(rows.count) rows (first event of each subscription / PaymentIntent); \(shared.rowsNeverSeen) never seen")
        report(
            "  200 → row visible, p99", quantile(rows, 0.99), "ms",
            String(format: "max %.0f ms; goal p99 ≤ 1000 ms at 1,000/s", quantile(rows, 1)))
        let events = shared.eventSeconds.map { $0 * 1000 }.sorted()
        report(
            "  200 → checkpoint covers it, p50", quantile(events, 0.5), "ms",
            "every acknowledged event; \(shared.eventsNeverCovered) never covered")
        report(
            "  200 → checkpoint covers it, p99", quantile(events, 0.99), "ms",
            String(format: "max %.0f ms", quantile(events, 1)))
        let loadSeconds = Double(total) / Double(rate)
        let during = shared.lagSamples.filter { $0.0 >= 0 && $0.0 <= loadSeconds }.map(\.1).sorted()
        report(
            "  /metrics projector lag during load, p99", quantile(during, 0.99), "events",
            String(
                format: "max %.0f events; %d samples every %.0f ms", quantile(during, 1), during.count,
                ServeBenchmark.metricsSampleInterval / .milliseconds(1)))
    }
}
