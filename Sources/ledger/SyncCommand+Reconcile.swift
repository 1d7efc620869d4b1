import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerStripe
import Logging

/// `ledger sync reconcile`: Stripe's current objects against the projected rows, column by column.
struct SyncReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract:
            "Compare the projected rows with Stripe's current objects, column by column; --repair records the fix.",
        discussion: """
            Lists subscriptions (status=all) and PaymentIntents (their latest charge expanded) and \
            compares each with the ledger's row through the projection's own rules: the row the \
            object's observation would give (the ledger's mapping, licenses, corrections and mode) \
            against the row of the projection at the log's head (restored from the newest snapshot \
            plus the events after it, as `ledger state` does). Nothing is written without --repair.

            Columns compared: subscriptions status, plan_type, billing_cycle, amount_cents, currency, \
            stripe_customer_id, current_period_start/end, cancel_at_period_end, canceled_at, \
            trial_start/end, license_id, created_at; payment_transactions status, amount_cents, \
            currency, refunded_amount_cents, payment_method, stripe_invoice_id. Not compared: \
            updated_at and processed_at (times of the newest fact and of settlement, which an \
            observation dated by Stripe's clock states differently from the events that made the \
            row), ids, metadata, failure_reason, subscription_id.

            Reported: each differing column (`sub_… status: ledger "active", Stripe "past_due"`), \
            objects Stripe has and the ledger has no row for, objects Stripe's values cannot become a \
            row (parked), and rows the ledger has that Stripe did not list (not with --since, which \
            lists only objects created since then). --customer restricts both lists to one customer.

            --repair appends an observation (a native event dated by the response's Date, a new fact \
            each time) for every object that differs or that the ledger lacks, projects them as \
            `ledger project` does (or leaves them to the projector that holds the projection, such as \
            `ledger serve`), compares those objects again and reports what remains. The fix is \
            an event in the log, never an UPDATE of a row: `ledger history sub_…` lists it.

            Exit status: 0 nothing differs (after --repair: nothing remains), 1 something differs or \
            remains (or Stripe was unreachable after retries), 2 refused (no key, a key of the other \
            mode, another account).

            Examples:
              STRIPE_API_KEY=rk_live_… ledger sync reconcile
              ledger sync reconcile --customer cus_PbLvhmDH3ao5Rs --json
              ledger sync reconcile --since 2026-11-01T00:00:00Z --repair
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var stripe: StripeOptions
    @Option(help: ArgumentHelp("Only this customer's subscriptions and PaymentIntents.", valueName: "cus_…"))
    var customer: String?
    @Option(
        help: ArgumentHelp(
            "Only objects created at or after this time (ISO 8601 with a zone); rows Stripe did not list are "
                + "then not reported.", valueName: "time"))
    var since: Timestamp?
    @Flag(help: "Append observations for the objects that differ, project them, and compare again.")
    var repair = false
    @OptionGroup var snapshots: SnapshotDirectoryOption
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        if let customer, !(customer.hasPrefix("cus_") && (5...255).contains(customer.utf8.count)) {
            throw ValidationError("--customer must be a Stripe customer id (cus_…)")
        }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "ledger.sync")
        let account = stripe.account ?? ""
        try await stripe.runSync(
            json: json, logger: logger,
            prepare: { key in
                let connection = try database.connect()
                try SyncAccountCheck.check(key: key, account: account, connection: connection)
                return connection
            }
        ) { connection, key, client in
            let reconcile = SyncReconcileRun(
                client: client, connection: connection, connect: { try database.connect() },
                snapshots: SnapshotPolicy(directory: snapshots.directory, replayFromSnapshots: true),
                customer: customer, since: since.map { $0.time.microsecondsSinceEpoch / 1_000_000 },
                logger: logger, progressOptions: progressOptions)
            var report = SyncReconcileReport(
                account: account.isEmpty ? nil : account, mode: key.mode.rawValue, customer: customer,
                since: since?.time.description)
            try await reconcile.run(repair: repair, into: &report)
            return report
        }
    }
}

/// One `ledger sync reconcile` run: restore the head state, list and compare, and with `--repair` record and
/// project the observations, then compare the repaired objects again.
struct SyncReconcileRun {
    let client: StripeClient
    let connection: PostgresConnection
    let connect: () throws -> PostgresConnection
    let snapshots: SnapshotPolicy
    let customer: String?
    /// `created[gte]`, in seconds.
    let since: Int64?
    let logger: Logger
    let progressOptions: ProgressOptions

    /// The resources compared, in the order listed.
    static let resources: [Observation.Resource] = [.subscriptions, .paymentIntents]

    func run(repair: Bool, into report: inout SyncReconcileReport) async throws {
        let started = ContinuousClock.now
        let (state, head) = try headState()
        report.headPosition = head
        var comparison = ReconcileComparison(state: state)
        let progress = progressOptions.makeLine("comparing")
        for resource in Self.resources {
            try await list(resource, into: &comparison, report: &report, progress: progress)
        }
        progress.finish()
        if since == nil { comparison.addRowsNotListed(customer: customer) }
        report.listedSubscriptions = comparison.listedSubscriptions
        report.listedPaymentIntents = comparison.listedPaymentIntents
        report.differences = comparison.findings
        if repair, !comparison.repairs.isEmpty {
            report.repair = try self.repair(comparison)
        }
        report.seconds = (ContinuousClock.now - started) / .seconds(1)
    }

    /// The projection at the log's head, from the newest snapshot plus the events after it.
    private func headState() throws -> (ProjectionState, Int64) {
        let line = progressOptions.makeLine("restoring the ledger's state")
        let head = try EventStore(connection: connection).head().position
        defer { line.finish() }
        return try HeadState(connect: connect, snapshots: snapshots, logger: logger).replay { position in
            line.update(position, of: head)
        }
    }

    /// Lists one resource, page by page, comparing each object.
    private func list(
        _ resource: Observation.Resource, into comparison: inout ReconcileComparison,
        report: inout SyncReconcileReport, progress: ProgressLine
    ) async throws {
        var query = SyncBackfillRun.query(for: resource)
        if let customer { query.append(("customer", customer)) }
        if let since { query.append(("created[gte]", "\(since)")) }
        try await client.forEachPage(resource.listPath, query: query) { page, response in
            let observedAt = try response.stripeSeconds(path: resource.listPath)
            for element in page.elements {
                switch SyncBackfillRun.listedObservation(Array(element), of: resource, observedAt: observedAt) {
                case .success(let observation):
                    comparison.compare(observation)
                case .failure(let invalid):
                    report.unreadable.append(invalid.reason)
                    logger.warning("unreadable object", metadata: ["reason": "\(invalid.reason)"])
                }
            }
            let listed = comparison.listedSubscriptions + comparison.listedPaymentIntents
            progress.update(
                Int64(listed), of: nil, unit: "objects",
                detail: "; \(resource.rawValue), \(ProgressLine.grouped(Int64(comparison.findings.count))) differ")
            return true
        }
    }

    /// Appends a distinct observation of every object to repair, projects, and compares those objects again.
    private func repair(_ comparison: ReconcileComparison) throws -> SyncReconcileReport.Repair {
        var result = SyncReconcileReport.Repair()
        let origin = "sync:reconcile"
        var events: [ValidatedEvent] = []
        for observation in comparison.repairs.joined() {
            let resource = observation.resource
            switch SyncBackfillRun.observation(
                observation.object, of: resource, observedAt: observation.observedAt, distinct: true)
            {
            case .success(let event): events.append(event)
            case .failure(let invalid): result.rejected.append("\(observation.objectID): \(invalid.reason)")
            }
        }
        let store = EventStore(connection: connection)
        var start = events.startIndex
        while start < events.endIndex {
            let end = min(start + Limits.appendBatchEventsMax, events.endIndex)
            let batch = Array(events[start..<end])
            let outcomes = try store.append(
                AppendBatch(validated: batch, origins: Array(repeating: origin, count: batch.count)),
                recordedAt: EventTime(Date()))
            for outcome in outcomes {
                if case .appended = outcome { result.appended += 1 }
            }
            start = end
        }
        // The projector `ledger project` runs: the tables follow the new observations.
        let projecting = progressOptions.makeLine("projecting")
        do {
            let projector = try Projector(
                connect: connect, snapshots: snapshots, logger: logger, role: "ledger sync reconcile --repair")
            result.projectedThrough = try projector.catchUp(progress: { projecting.update($0, of: nil) }).position
        } catch let busy as ProjectionBusy {
            // A projector that holds the projection (`ledger serve`) applies the observations itself; the
            // comparison below replays the log, so it does not wait for the tables.
            result.projectionHeld = busy.description
        }
        projecting.finish()
        let (state, _) = try headState()
        var again = ReconcileComparison(state: state)
        for observations in comparison.repairs {
            for observation in observations where observation.resource != .charges { again.compare(observation) }
        }
        result.remaining =
            again.findings + comparison.findings.filter { $0.kind == .onlyInLedger || $0.kind == .unprojectable }
        return result
    }
}

/// What `ledger sync reconcile` prints (`--json`: these keys).
struct SyncReconcileReport: SyncCommandReport {
    struct Repair: Encodable {
        /// Observations appended (an object's latest charge is observed with its intent).
        var appended = 0
        /// Where this run projected to; nil when another projector held the projection (``projectionHeld``).
        var projectedThrough: Int64?
        /// Who held the projection, when another projector (`ledger serve`) was left to apply the observations.
        var projectionHeld: String?
        /// What still differs after the repair was projected.
        var remaining: [ReconcileFinding] = []
        /// Objects whose observation the log refused, and why.
        var rejected: [String] = []
    }

    var account: String?
    var mode: String
    var customer: String?
    var since: String?
    var headPosition: Int64 = 0
    var listedSubscriptions = 0
    var listedPaymentIntents = 0
    var differences: [ReconcileFinding] = []
    /// Listed objects that could not be read as observations, why.
    var unreadable: [String] = []
    var repair: Repair?
    var seconds = 0.0

    /// Nothing differs, or nothing remains after the repair, and every object could be read.
    var isClean: Bool {
        guard unreadable.isEmpty else { return false }
        guard let repair else { return differences.isEmpty }
        return repair.remaining.isEmpty && repair.rejected.isEmpty
    }

    var failed: Bool { !isClean }

    var text: String {
        var lines = differences.flatMap(\.lines)
        lines += unreadable.map { "unreadable object: \($0)" }
        lines.append(
            "compared \(listedSubscriptions) subscriptions and \(listedPaymentIntents) PaymentIntents with the "
                + "ledger at position \(headPosition): "
                + (differences.isEmpty ? "nothing differs" : "\(differences.count) objects differ")
                + String(format: " (%.1f s)", seconds))
        if let repair {
            lines.append(
                "repaired: appended \(repair.appended) observations, "
                    + (repair.projectedThrough.map { "projected through position \($0)" }
                        ?? "left to the projector that holds the projection (\(repair.projectionHeld ?? "?"))"))
            lines += repair.rejected.map { "observation refused: \($0)" }
            lines += repair.remaining.flatMap(\.lines).map { "remains: \($0)" }
            lines.append(
                repair.remaining.isEmpty ? "nothing remains" : "\(repair.remaining.count) objects still differ")
        } else if !differences.isEmpty {
            lines.append("`ledger sync reconcile --repair` records Stripe's objects as observations")
        }
        return lines.joined(separator: "\n")
    }
}
