import CoreMetrics
import Foundation
import LedgerCore
import LedgerEngine
import Metrics
import Prometheus

/// The service's metrics, in a Prometheus registry of its own (so several servers in one test
/// process do not share counters), emitted as text at `/metrics`.
///
/// Recorded through swift-metrics types made by this registry's factory. The CLI also bootstraps
/// the global metrics system with the same factory, so Hummingbird's per-route request metrics land
/// in the same registry.
public final class ServerMetrics: Sendable {
    /// What became of one webhook delivery; the `outcome` label of `ledger_webhooks_total`.
    enum WebhookOutcome: String, CaseIterable {
        case appended, duplicate
        case badSignature = "bad_signature"
        case staleTimestamp = "stale_timestamp"
        case invalidEvent = "invalid_event"
        case tooLarge = "too_large"
        case tooSlow = "too_slow"
        case malformedBody = "malformed_body"
        case overCapacity = "over_capacity"
        case unavailable
        case notConfigured = "not_configured"
    }

    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    private let webhooks: [WebhookOutcome: CoreMetrics.Counter]
    private let appendDuration: CoreMetrics.Timer
    private let batchRequests: CoreMetrics.Recorder
    private let batchEvents: CoreMetrics.Recorder
    let projectorCheckpoint: CoreMetrics.Gauge
    let projectorLag: CoreMetrics.Gauge
    let headPosition: CoreMetrics.Gauge
    let parkedEvents: CoreMetrics.Gauge
    let rejectedInputs: CoreMetrics.Gauge
    /// Rejected inputs that are deliveries of a stored event id with a different body (read from the table).
    let conflictingDuplicates: CoreMetrics.Gauge
    let databaseUp: CoreMetrics.Gauge
    let projectorRunning: CoreMetrics.Gauge
    let webhookBodyReadsInFlight: CoreMetrics.Gauge
    /// 1 while the live projector keeps failing and the checkpoint does not move with events waiting.
    let projectorStalled: CoreMetrics.Gauge
    /// Snapshots the live projector could not write (or read back) while projection went on.
    let snapshotWriteFailures: CoreMetrics.Counter
    /// Rechecks of subscriptions parked for their license without a new event, by what woke the projector.
    private let parkedRechecks: [ParkedRecheck.Trigger: CoreMetrics.Counter]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["ledger_append_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        let sizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 5000]
        factory.valueHistogramBuckets["ledger_group_commit_batch_requests"] = sizes
        factory.valueHistogramBuckets["ledger_group_commit_batch_events"] = sizes
        self.factory = factory
        var webhooks: [WebhookOutcome: CoreMetrics.Counter] = [:]
        for outcome in WebhookOutcome.allCases {
            // Created up front so every outcome is exported, at 0 until it happens.
            webhooks[outcome] = CoreMetrics.Counter(
                label: "ledger_webhooks_total", dimensions: [("outcome", outcome.rawValue)], factory: factory)
        }
        self.webhooks = webhooks
        appendDuration = CoreMetrics.Timer(label: "ledger_append_duration_seconds", factory: factory)
        batchRequests = CoreMetrics.Recorder(
            label: "ledger_group_commit_batch_requests", aggregate: true, factory: factory)
        batchEvents = CoreMetrics.Recorder(label: "ledger_group_commit_batch_events", aggregate: true, factory: factory)
        projectorCheckpoint = CoreMetrics.Gauge(label: "ledger_projector_checkpoint_position", factory: factory)
        projectorLag = CoreMetrics.Gauge(label: "ledger_projector_lag_events", factory: factory)
        headPosition = CoreMetrics.Gauge(label: "ledger_log_head_position", factory: factory)
        parkedEvents = CoreMetrics.Gauge(label: "ledger_parked_events", factory: factory)
        rejectedInputs = CoreMetrics.Gauge(label: "ledger_rejected_inputs", factory: factory)
        conflictingDuplicates = CoreMetrics.Gauge(label: "ledger_conflicting_duplicates", factory: factory)
        databaseUp = CoreMetrics.Gauge(label: "ledger_database_up", factory: factory)
        projectorRunning = CoreMetrics.Gauge(label: "ledger_projector_running", factory: factory)
        webhookBodyReadsInFlight = CoreMetrics.Gauge(label: "ledger_webhook_body_reads_in_flight", factory: factory)
        projectorStalled = CoreMetrics.Gauge(label: "ledger_projector_stalled", factory: factory)
        snapshotWriteFailures = CoreMetrics.Counter(label: "ledger_snapshot_write_failures_total", factory: factory)
        var parkedRechecks: [ParkedRecheck.Trigger: CoreMetrics.Counter] = [:]
        for trigger in ParkedRecheck.Trigger.allCases {
            parkedRechecks[trigger] = CoreMetrics.Counter(
                label: "ledger_parked_rechecks_total", dimensions: [("trigger", trigger.rawValue)], factory: factory)
        }
        self.parkedRechecks = parkedRechecks
    }

    func recordParkedRecheck(_ trigger: ParkedRecheck.Trigger) { parkedRechecks[trigger]?.increment() }

    func recordWebhook(_ outcome: WebhookOutcome) { webhooks[outcome]?.increment() }

    func recordAppend(nanoseconds: Int64) { appendDuration.recordNanoseconds(nanoseconds) }

    /// One group-commit transaction: how many requests and events it carried.
    func recordGroupCommit(requests: Int, events: Int) {
        batchRequests.record(requests)
        batchEvents.record(events)
    }

    /// The registry in Prometheus text exposition format.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
