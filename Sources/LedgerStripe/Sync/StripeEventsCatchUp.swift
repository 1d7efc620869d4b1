import Foundation
import LedgerCore
import LedgerPostgres

/// The catch-up of `ledger sync events` and of `ledger serve --sync-every`: probe Stripe's clock, check
/// the span against retention, then list, append and move the cursor window by window, listing the
/// next window while the last one is appended (docs/0013).
///
/// One implementation for both: the command runs it once on its own connection, the server on a
/// schedule through a pool thread (``SyncDatabase``).
public struct StripeEventsCatchUp: Sendable {
    /// The cursor's row name in `ledger.sync_cursors`.
    public static let cursorName = "events"
    /// Where listed events are said to come from, in conflicts and rejections.
    public static let origin = "sync:/v1/events"

    /// How far a run has come, for a progress line.
    public struct Progress: Sendable {
        public var coveredHours: Int64
        public var spanHours: Int64
        public var listed: Int
        public var appended: Int
    }

    let plan: SyncEventsPlan
    let client: StripeClient
    let database: any SyncDatabase
    let windowEventsMax: Int
    let onProgress: @Sendable (Progress) -> Void

    public init(
        plan: SyncEventsPlan, client: StripeClient, database: any SyncDatabase,
        windowEventsMax: Int = Limits.syncWindowEventsDefault,
        onProgress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) {
        self.plan = plan
        self.client = client
        self.database = database
        self.windowEventsMax = windowEventsMax
        self.onProgress = onProgress
    }

    /// Runs to Stripe's clock at the start; throws ``SyncGapBeyondRetention`` before appending anything
    /// when the span starts further back than Stripe lists events.
    public func run() async throws -> SyncEventsReport {
        let started = ContinuousClock.now
        let stripeNow = try await client.probe().stripeNow.microsecondsSinceEpoch / 1_000_000
        let oldestListable = stripeNow - Limits.stripeEventRetentionSeconds
        let (chosen, reason) = plan.start
        if let chosen, chosen < oldestListable {
            throw SyncGapBeyondRetention(start: chosen, reason: reason, stripeNow: stripeNow)
        }
        let start = chosen ?? oldestListable
        var windows = StripeEventWindows(from: start, through: stripeNow, eventsMax: windowEventsMax)
        var report = SyncEventsReport()
        report.from = "\(EventTime(secondsSinceEpoch: start))"
        report.through = "\(EventTime(secondsSinceEpoch: stripeNow))"
        report.startedFrom = reason
        report.account = plan.account.isEmpty ? nil : plan.account
        report.mode = plan.mode.rawValue
        let spanHours = max((stripeNow - start + 3_599) / 3_600, 1)
        // Listing and appending overlap: window n+1 is listed while window n is appended. Window n+1's
        // append starts only after window n's committed (and its cursor moved), so events are appended
        // in order and memory holds at most two windows.
        var appending: Task<SyncWindowCounts, any Error>?
        func finishAppending() async throws {
            guard let pending = appending else { return }
            appending = nil
            report.add(try await pending.value)
            onProgress(
                Progress(
                    coveredHours: min((windows.next - start) / 3_600, spanHours), spanHours: spanHours,
                    listed: report.listed, appended: report.appended))
        }
        do {
            while let window = windows.current {
                switch try await client.listEvents(in: window, windows: windows) {
                case .overflowed:
                    windows.narrow()
                case .events(let events, _):
                    windows.advance(listed: events.count)
                    try await finishAppending()
                    let createdThrough = min(window.upper, stripeNow)
                    appending = Task { try await append(events, through: createdThrough) }
                }
            }
            try await finishAppending()
        } catch {
            // A listing failed while a window was being appended: let that append finish (its cursor
            // move included) so the next run starts after it, then report the failure.
            _ = try? await appending?.value
            throw error
        }
        report.headPosition = try await database.run { try EventStore(connection: $0).head().position }
        report.seconds = (ContinuousClock.now - started) / .seconds(1)
        return report
    }

    /// Appends one window's events, then moves the cursor to `createdThrough`.
    private func append(_ events: [ListedStripeEvent], through createdThrough: Int64) async throws
        -> SyncWindowCounts
    {
        let plan = plan
        return try await database.run { connection in
            let counts = try SyncWindowCounts.append(events, origin: Self.origin, connection: connection)
            // After the append committed: a kill before this line lists the window again, as duplicates.
            try SyncCursorStore(connection: connection).advance(
                Self.cursorName, account: plan.account, mode: plan.mode, createdThrough: createdThrough,
                appended: counts.appended)
            return counts
        }
    }
}

/// What one window's append did.
public struct SyncWindowCounts: Sendable {
    public var listed = 0
    public var appended = 0
    public var duplicates = 0
    public var conflictingDuplicates = 0
    public var rejected = 0

    /// Validates and appends `events` in order, exactly as webhook deliveries, in batches within the
    /// append limits; an invalid event is kept in `ledger.rejected_inputs`.
    static func append(_ events: [ListedStripeEvent], origin: String, connection: PostgresConnection) throws
        -> SyncWindowCounts
    {
        let store = EventStore(connection: connection)
        var counts = SyncWindowCounts()
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
                case .duplicate(_, let conflicting):
                    counts.duplicates += 1
                    if conflicting { counts.conflictingDuplicates += 1 }
                }
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        for listed in events {
            counts.listed += 1
            switch ValidatedEvent.stripe(listed.body) {
            case .failure(let invalid):
                rejections.append(.init(origin: origin, reason: invalid.reason, body: Array(listed.body)))
            case .success(let event):
                if batch.count >= Limits.appendBatchEventsMax
                    || batchBytes + listed.body.count > Limits.appendBatchBytesMax
                {
                    try flush()
                }
                batch.append(event)
                batchBytes += listed.body.count
            }
        }
        try flush()
        if !rejections.isEmpty {
            counts.rejected += rejections.count
            try RejectedInputs(connection: connection).record(
                rejections, source: EventSource.stripe, receivedAt: EventTime(Date()))
        }
        return counts
    }
}
