import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres
import LedgerStripe
import Logging
import Synchronization

/// `ledger sync backfill`: load every existing Stripe object as an observation, resource by resource.
struct SyncBackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Record every existing Stripe object as an observation (a ledger adopting an account's history).",
        discussion: """
            Lists each resource (subscriptions with status=all, invoices, payment_intents with their \
            latest charge expanded, charges, refunds; disputes on request) and appends one native \
            observation event per object: the object verbatim, dated by Stripe's clock (the response's \
            Date header), on the stream the object's own Stripe events use. The projection applies an \
            observation as the object's whole state at that time, by the same newest-fact rules as \
            events; run `ledger project` (or let `ledger serve` do it) to update the tables.

            An observation's id derives from the object's id and bytes: a rerun records only the objects \
            that changed since. Each resource's position (starting_after) is kept in \
            ledger.backfill_cursors after every committed page, so a run killed at any moment (kill -9 \
            included) resumes where it stopped; a resource whose pass completed starts a new pass. \
            Memory is bounded by one page (100 objects). Stripe states no totals, so progress shows \
            counts and rates without an ETA.

            Exit status: 0 done, 1 failure (Stripe unreachable after retries, rejected objects), 2 refused \
            (no key, a key of the other mode, another account).

            Examples:
              STRIPE_API_KEY=rk_live_… ledger sync backfill && ledger project
              STRIPE_API_KEY=sk_test_… ledger sync backfill --resources subscriptions,invoices --json
            """)

    /// The resources a backfill lists when `--resources` is not given, in the order listed.
    static let defaultResources: [Observation.Resource] = [
        .subscriptions, .invoices, .paymentIntents, .charges, .refunds,
    ]

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var stripe: StripeOptions
    @Option(
        help: ArgumentHelp(
            "The resources to list, comma-separated, in order (subscriptions, invoices, payment_intents, "
                + "charges, refunds, disputes).", valueName: "list"),
        transform: SyncBackfillCommand.parseResources)
    var resources: [Observation.Resource] = SyncBackfillCommand.defaultResources
    @OptionGroup var logging: LoggingOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Flag(help: "Print the summary as JSON.") var json = false

    static func parseResources(_ text: String) throws -> [Observation.Resource] {
        var result: [Observation.Resource] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let resource = Observation.Resource(rawValue: trimmed) else {
                throw ValidationError(
                    "--resources: '\(DisplayText.escaped(trimmed))' is not one of "
                        + Observation.Resource.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !result.contains(resource) { result.append(resource) }
        }
        return result
    }

    func run() async throws {
        let account = stripe.account ?? ""
        try await stripe.runSync(
            json: json, logger: logging.makeLogger(label: "ledger.sync"),
            prepare: { key in
                let connection = try database.connect()
                try SyncAccountCheck.check(key: key, account: account, connection: connection)
                return connection
            }
        ) { connection, key, client in
            let backfill = SyncBackfillRun(
                client: client, connection: connection, account: account, mode: key.mode,
                progress: progressOptions.makeLine("backfilling"))
            return try await backfill.run(resources)
        }
    }
}

/// One `ledger sync backfill` run: each resource from its cursor, page by page.
///
/// Listing and appending overlap: while one append commits, the next pages are listed; the pages listed
/// meanwhile go into the next append together (one transaction and one cursor move for all of them, up
/// to ``Limits/backfillPagesPerAppendMax``), so a fast Stripe is not held back by a commit per page and a
/// slow one by nothing. Appends run one at a time and in listing order, and each moves the cursor after
/// its commit: a kill at any moment resumes after the last committed page, and lists again only pages
/// that were not committed.
struct SyncBackfillRun {
    let client: StripeClient
    let database: any SyncDatabase
    let account: String
    let mode: LedgerMode
    let progress: ProgressLine

    init(
        client: StripeClient, connection: PostgresConnection, account: String, mode: LedgerMode, progress: ProgressLine
    ) {
        self.client = client
        self.database = SyncConnection(connection)
        self.account = account
        self.mode = mode
        self.progress = progress
    }

    func run(_ resources: [Observation.Resource]) async throws -> SyncBackfillReport {
        let started = ContinuousClock.now
        let existing = try await database.run { try BackfillCursorStore(connection: $0).cursors() }
        var report = SyncBackfillReport(account: account.isEmpty ? nil : account, mode: mode.rawValue)
        for resource in resources {
            var line = SyncBackfillReport.Resource(resource: resource.rawValue)
            var startingAfter: String?
            if let cursor = existing[resource], cursor.completedAt == nil {
                startingAfter = cursor.startingAfter
                line.resumedAfter = cursor.startingAfter
            } else {
                let stripeNow = try await client.probe().stripeNow.microsecondsSinceEpoch / 1_000_000
                let (account, mode) = (account, mode)
                try await database.run {
                    try BackfillCursorStore(connection: $0).startPass(
                        resource, account: account, mode: mode, startedAt: stripeNow)
                }
            }
            try await backfill(resource, startingAfter: startingAfter, into: &line, listedBefore: report.listed)
            report.add(line)
        }
        progress.finish()
        report.headPosition = try await database.run { try EventStore(connection: $0).head().position }
        report.seconds = (ContinuousClock.now - started) / .seconds(1)
        return report
    }

    /// Lists one resource from `startingAfter` to its end, appending as it goes.
    private func backfill(
        _ resource: Observation.Resource, startingAfter: String?, into line: inout SyncBackfillReport.Resource,
        listedBefore: Int
    ) async throws {
        var listed: [ListedPage] = []
        var appending: PendingAppend?
        func finishAppending() async throws {
            guard let pending = appending else { return }
            appending = nil
            line.add(try await pending.task.value)
            progress.update(
                Int64(listedBefore + line.listed), of: nil, unit: "objects",
                detail: "; \(resource.rawValue): \(ProgressLine.grouped(Int64(line.listed))) listed, "
                    + "\(ProgressLine.grouped(Int64(line.appended))) recorded")
        }
        func startAppending() {
            let pages = listed
            listed = []
            let database = database
            appending = PendingAppend {
                try await database.run { connection in try Self.append(pages, of: resource, connection: connection) }
            }
        }
        do {
            try await client.forEachPage(
                resource.listPath, query: Self.query(for: resource), startingAfter: startingAfter
            ) { page, response in
                listed.append(ListedPage(page: page, observedAt: try response.stripeSeconds(path: resource.listPath)))
                if let pending = appending, !pending.isDone, listed.count < Limits.backfillPagesPerAppendMax {
                    return true  // list on while the last append commits
                }
                try await finishAppending()
                startAppending()
                return true
            }
            try await finishAppending()
            if !listed.isEmpty {
                startAppending()
                try await finishAppending()
            }
        } catch {
            // A listing failed while pages were being appended: let that append finish (its cursor move
            // included) so the next run resumes after it, then report the failure.
            if let pending = appending { _ = try? await pending.task.value }
            throw error
        }
    }

    /// What the projection needs besides the list's defaults: every subscription, canceled ones too, and the
    /// PaymentIntent's latest charge (its time is when the payment happened).
    static func query(for resource: Observation.Resource) -> [(String, String)] {
        switch resource {
        case .subscriptions: [("status", "all")]
        case .paymentIntents: [("expand[]", "data.latest_charge")]
        case .invoices, .charges, .refunds, .disputes: []
        }
    }

    /// Validates and appends consecutive pages' observations in one transaction (in batches within the
    /// append limits), then moves the resource's cursor after the last page.
    static func append(_ pages: [ListedPage], of resource: Observation.Resource, connection: PostgresConnection)
        throws -> SyncBackfillReport.Resource
    {
        let origin = "sync:\(resource.listPath)"
        let store = EventStore(connection: connection)
        var counts = SyncBackfillReport.Resource(resource: resource.rawValue)
        var batch: [ValidatedEvent] = []
        var batchBytes = 0
        var rejections: [RejectedInputs.Entry] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let outcomes = try store.append(
                AppendBatch(validated: batch, origins: Array(repeating: origin, count: batch.count)),
                recordedAt: EventTime(Date()))
            for outcome in outcomes {
                switch outcome {
                case .appended: counts.appended += 1
                case .duplicate: counts.unchanged += 1
                }
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        for listed in pages {
            for element in listed.page.elements {
                counts.listed += 1
                switch observation(Array(element), of: resource, observedAt: listed.observedAt) {
                case .failure(let invalid):
                    rejections.append(.init(origin: origin, reason: invalid.reason, body: Array(element)))
                case .success(let event):
                    if batch.count >= Limits.appendBatchEventsMax
                        || batchBytes + element.count > Limits.appendBatchBytesMax
                    {
                        try flush()
                    }
                    batch.append(event)
                    batchBytes += element.count
                }
            }
        }
        try flush()
        if !rejections.isEmpty {
            counts.rejected += rejections.count
            try RejectedInputs(connection: connection).record(
                rejections, source: EventSource.ledger, receivedAt: EventTime(Date()))
        }
        guard let last = pages.last else { return counts }
        let lastID = last.page.elements.last.flatMap { try? JSONTape(parsing: Array($0)).root["id"].string }
        // After the appends committed: a kill before this line lists these pages again, as unchanged objects.
        try BackfillCursorStore(connection: connection).advance(
            resource, after: lastID, listed: counts.listed, appended: counts.appended,
            completedAt: last.page.hasMore ? nil : last.observedAt)
        return counts
    }

    /// The observation event of one listed object, or why the log cannot hold it.
    static func observation(
        _ bytes: [UInt8], of resource: Observation.Resource, observedAt: Int64, distinct: Bool = false
    ) -> Result<ValidatedEvent, InvalidEvent> {
        switch listedObservation(bytes, of: resource, observedAt: observedAt) {
        case .failure(let invalid):
            return .failure(invalid)
        case .success(let observation):
            do {
                return .success(try ValidatedEvent(observation.newEvent(distinct: distinct)))
            } catch {
                return .failure(error)
            }
        }
    }

    /// One listed object as an observation, or why it cannot be one (`ledger sync reconcile` compares it first).
    static func listedObservation(_ bytes: [UInt8], of resource: Observation.Resource, observedAt: Int64)
        -> Result<Observation, InvalidEvent>
    {
        guard let tape = try? JSONTape(parsing: bytes) else {
            return .failure(InvalidEvent(reason: "the listed \(resource.objectName) is not readable JSON"))
        }
        let object = tape.root
        guard let id = object["id"].string, !id.isEmpty else {
            return .failure(InvalidEvent(reason: "the listed \(resource.objectName) has no id"))
        }
        if let kind = object["object"].string, kind != resource.objectName {
            return .failure(
                InvalidEvent(
                    reason: "\(resource.listPath) listed an object of kind '\(DisplayText.escaped(kind))'"))
        }
        let customer = object["customer"].string ?? object["customer"]["id"].string
        return .success(
            Observation(resource: resource, objectID: id, object: bytes, observedAt: observedAt, customerID: customer))
    }
}

/// The summary `ledger sync backfill` prints (`--json`: these keys).
struct SyncBackfillReport: SyncCommandReport {
    struct Resource: Encodable {
        var resource: String
        var listed = 0
        /// New observations: objects the log did not hold with these bytes.
        var appended = 0
        /// Objects already observed with the same bytes.
        var unchanged = 0
        var rejected = 0
        /// Where a killed pass was resumed, if it was.
        var resumedAfter: String?
    }

    var account: String?
    var mode: String
    var resources: [Resource] = []
    var listed = 0
    var appended = 0
    var unchanged = 0
    var rejected = 0
    var headPosition: Int64 = 0
    var seconds = 0.0

    var failed: Bool { rejected > 0 }

    mutating func add(_ line: Resource) {
        resources.append(line)
        listed += line.listed
        appended += line.appended
        unchanged += line.unchanged
        rejected += line.rejected
    }

    var text: String {
        var lines = resources.map { line in
            var text =
                "\(line.resource): listed \(line.listed), recorded \(line.appended), unchanged \(line.unchanged)"
            if line.rejected > 0 { text += ", rejected \(line.rejected) (ledger rejected)" }
            if let after = line.resumedAfter { text += " (resumed after \(after))" }
            return text
        }
        lines.append(
            String(
                format: "recorded %d observations of %d objects; head at position %lld, %.1f s, %.0f objects/s",
                appended, listed, headPosition, seconds, Double(listed) / max(seconds, 1e-9)))
        if appended > 0 { lines.append("run `ledger project` (or let `ledger serve` project) to update the tables") }
        return lines.joined(separator: "\n")
    }
}

/// One listed page and the second Stripe's clock gave it (its observations' time).
struct ListedPage: Sendable {
    var page: StripeListPage
    var observedAt: Int64
}

/// An append in flight, and whether it is over (so the listing can tell, without waiting, whether to
/// hand it more pages now or keep them for the next append).
final class PendingAppend: Sendable {
    let task: Task<SyncBackfillReport.Resource, any Error>
    private let flag: Flag

    init(_ body: @escaping @Sendable () async throws -> SyncBackfillReport.Resource) {
        let flag = Flag()
        self.flag = flag
        task = Task {
            defer { flag.done.store(true, ordering: .releasing) }
            return try await body()
        }
    }

    var isDone: Bool { flag.done.load(ordering: .acquiring) }

    private final class Flag: Sendable {
        let done = Atomic(false)
    }
}

extension SyncBackfillReport.Resource {
    /// Adds one append's counts.
    mutating func add(_ counts: SyncBackfillReport.Resource) {
        listed += counts.listed
        appended += counts.appended
        unchanged += counts.unchanged
        rejected += counts.rejected
    }
}
