import Foundation
import LedgerCore
import LedgerPostgres
import LedgerStripe

/// One `ledger sync events` run: probe Stripe's clock, check the span against retention, then list,
/// append and move the cursor window by window.
struct SyncEventsRun {
    let plan: SyncEventsPlan
    let client: StripeClient
    let connection: PostgresConnection
    let windowEventsMax: Int
    let progress: ProgressLine

    /// Where listed events are said to come from, in conflicts and rejections.
    static let origin = "sync:/v1/events"

    func run() async throws -> SyncEventsReport {
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
        let cursors = SyncCursorStore(connection: connection)
        let spanHours = max((stripeNow - start + 3_599) / 3_600, 1)
        while let window = windows.current {
            switch try await client.listEvents(in: window, windows: windows) {
            case .overflowed:
                windows.narrow()
                continue
            case .events(let events, _):
                let appendedBefore = report.appended
                try append(events, into: &report)
                report.windows += 1
                windows.advance(listed: events.count)
                // After the append committed: a kill before this line lists the window again, as duplicates.
                try cursors.advance(
                    SyncEventsCommand.cursorName, account: plan.account, mode: plan.mode,
                    createdThrough: min(window.upper, stripeNow), appended: report.appended - appendedBefore)
            }
            let covered = min((windows.next - start) / 3_600, spanHours)
            progress.update(
                covered, of: spanHours, unit: "hours",
                detail: "; \(ProgressLine.grouped(Int64(report.listed))) events listed, "
                    + "\(ProgressLine.grouped(Int64(report.appended))) appended")
        }
        progress.finish()
        report.headPosition = try EventStore(connection: connection).head().position
        report.seconds = (ContinuousClock.now - started) / .seconds(1)
        return report
    }

    /// Validates and appends one window's events in order, in batches within the append limits.
    private func append(_ events: [ListedStripeEvent], into report: inout SyncEventsReport) throws {
        let store = EventStore(connection: connection)
        var batch: [ValidatedEvent] = []
        var batchBytes = 0
        var rejections: [RejectedInputs.Entry] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let outcomes = try store.append(
                AppendBatch(validated: batch, origins: Array(repeating: Self.origin, count: batch.count)),
                recordedAt: EventTime(Date()))
            for outcome in outcomes {
                switch outcome {
                case .appended: report.appended += 1
                case .duplicate(_, let conflicting):
                    report.duplicates += 1
                    if conflicting { report.conflictingDuplicates += 1 }
                }
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        for listed in events {
            report.listed += 1
            switch ValidatedEvent.stripe(listed.body) {
            case .failure(let invalid):
                rejections.append(.init(origin: Self.origin, reason: invalid.reason, body: Array(listed.body)))
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
            report.rejected += rejections.count
            try RejectedInputs(connection: connection).record(
                rejections, source: EventSource.stripe, receivedAt: EventTime(Date()))
        }
    }
}
