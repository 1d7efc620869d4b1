import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// What a catch-up did.
public struct CatchUpReport: Sendable, Equatable, Codable {
    /// Events replayed only to restore the reducer state up to the checkpoint (rows untouched).
    public var eventsReplayed: Int64
    /// Events after the checkpoint, applied to the live tables.
    public var eventsApplied: Int64
    /// Transactions committed, each with its rows and the checkpoint.
    public var batches: Int
    /// The checkpoint after the catch-up.
    public var position: Int64
    /// Rows written, per table.
    public var drift: [TableDrift]
    /// Parked events after the catch-up.
    public var parked: Int
    /// The snapshot the state was restored from, when it was.
    public var snapshotPosition: Int64?
    /// Snapshot files written (`--snapshot-every`).
    public var snapshotsWritten: [String]
    /// Seconds spent restoring the state, and applying and writing the new events.
    public var replaySeconds: Double
    public var applySeconds: Double
}

/// The checkpoint was written by another projector version, so its rows cannot be continued.
public struct ProjectorVersionMismatch: Error, CustomStringConvertible, Sendable {
    public var checkpointVersion: Int

    public var description: String {
        "the checkpoint was written by projector version \(checkpointVersion), this is version "
            + "\(ProjectionState.projectorVersion); run `ledger rebuild --from-scratch` first"
    }
}

/// Keeps the live tables current: applies the events after the checkpoint in bounded batches, each
/// batch's rows, MRR movements and daily rows, parked events and new checkpoint in one transaction
/// (a crash loses a batch, never half).
///
/// Holds the projection's writer lock for its whole life, so it never interleaves with a rebuild or
/// another projector. The reducer state up to the checkpoint is restored on the first catch-up from
/// the newest usable snapshot plus the log after it (without writing rows); after that it stays in
/// memory, so `--follow` pays it once.
public final class Projector {
    public static let defaultBatchSize = 1000

    let connection: PostgresConnection
    let connect: () throws -> PostgresConnection
    let batchSize: Int
    let snapshots: SnapshotPolicy?
    let logger: Logger
    let clock: () -> EventTime
    private var state: LedgerProjections
    private var scheduler: SnapshotScheduler?
    /// The position `state` has applied through; equals the checkpoint between batches.
    private var position: Int64 = 0
    private var restored = false
    /// Subscriptions whose row waits for its license, by Stripe id; rechecked on every batch.
    private var waitingForLicense: [String: ParkedRecord] = [:]
    /// `ledger.parked` as last read or written, so a batch rewrites it only when it changed.
    private var writtenParked: [ParkedRecord] = []

    /// Connects and takes the writer lock; throws ``ProjectionBusy`` when another writer holds it.
    public init(
        connect: @escaping () throws -> PostgresConnection,
        configuration: ProjectionConfiguration = ProjectionConfiguration(),
        batchSize: Int = defaultBatchSize,
        snapshots: SnapshotPolicy? = nil,
        logger: Logger = Logger(label: "ledger.project", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping () -> EventTime = { EventTime(Date()) }
    ) throws {
        precondition((1...Limits.readBatchEventsMax).contains(batchSize), "batch size out of range")
        connection = try connect()
        self.connect = connect
        self.batchSize = batchSize
        self.snapshots = snapshots
        self.logger = logger
        self.clock = clock
        state = LedgerProjections(configuration: configuration)
        let locked = try connection.query("SELECT pg_try_advisory_lock($1)", [ProjectionRebuilder.writerLockKey])[0]
        guard try locked.decode(Bool.self, at: 0) else { throw ProjectionBusy() }
    }

    /// The checkpoint the live tables are at (valid after the first catch-up).
    public var checkpoint: Int64 { position }

    /// Applies every event up to the log's head as of the call.
    ///
    /// `progress` gets the checkpoint after each batch; `shouldStop` is asked between batches, so a
    /// stop request ends the call at a batch boundary with everything committed so far kept.
    public func catchUp(
        progress: (Int64) -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) throws -> CatchUpReport {
        var report = CatchUpReport(
            eventsReplayed: 0, eventsApplied: 0, batches: 0, position: position, drift: [], parked: 0,
            snapshotsWritten: [], replaySeconds: 0, applySeconds: 0)
        let started = ContinuousClock.now
        if !restored { try restore(into: &report, progress: progress) }
        let replayed = ContinuousClock.now
        report.replaySeconds = (replayed - started) / .seconds(1)
        let store = EventStore(connection: connection)
        let head = try store.head().position
        // A subscription waiting for its license is retried even when no event arrives.
        var recheckLicenses = !waitingForLicense.isEmpty
        while !shouldStop() {
            let events = position < head ? try store.read(after: position, through: head, limit: batchSize) : []
            guard !events.isEmpty || recheckLicenses else { break }
            recheckLicenses = false
            let drift = try commit(events, through: events.last?.position ?? position)
            if let written = try scheduler?.writeIfDue(state, position: position, createdAt: clock()) {
                report.snapshotsWritten.append(written.path)
            }
            report.eventsApplied += Int64(events.count)
            report.batches += 1
            report.drift = TableDrift.sum(report.drift + drift)
            progress(position)
        }
        report.applySeconds = (ContinuousClock.now - replayed) / .seconds(1)
        report.position = position
        report.parked = state.billing.parked.count + waitingForLicense.count
        return report
    }

    /// Catches up, then waits for new events (LISTEN/NOTIFY, polled every `pollInterval`) until
    /// `shouldStop` says so; `onCatchUp` gets each catch-up that applied events.
    public func follow(
        pollInterval: Duration = .milliseconds(250), shouldStop: () -> Bool,
        onCatchUp: (CatchUpReport) -> Void
    ) throws {
        try connection.listen(EventStore.notificationChannel)
        defer { try? connection.unlisten(EventStore.notificationChannel) }
        while !shouldStop() {
            let report = try catchUp(shouldStop: shouldStop)
            if report.eventsApplied > 0 || report.eventsReplayed > 0 { onCatchUp(report) }
            // Any notification means "the head moved"; drain them all and read once.
            while !shouldStop(), try connection.nextNotification(timeout: pollInterval) == nil {}
            while try connection.nextNotification(timeout: .zero) != nil {}
        }
    }

    /// Restores `state` at the checkpoint: newest usable snapshot plus the log after it, no rows written.
    private func restore(into report: inout CatchUpReport, progress: (Int64) -> Void) throws {
        let bookkeeping = ProjectionBookkeeping(connection: connection)
        let checkpoint = try bookkeeping.checkpoint(of: ProjectionRebuilder.projectionName)
        if let checkpoint, checkpoint.projectorVersion != ProjectionState.projectorVersion {
            throw ProjectorVersionMismatch(checkpointVersion: checkpoint.projectorVersion)
        }
        let target = checkpoint?.position ?? 0
        let replay = try StateReplay(
            connection: connection, connect: connect, configuration: state.configuration, snapshots: snapshots,
            logger: logger, clock: clock
        ).replay(through: target, progress: progress)
        state = replay.state
        // The live tables already hold these rows and movements.
        _ = state.billing.takeChangedObjects()
        _ = state.mrr.takeChanges()
        writtenParked = try bookkeeping.parked(of: ProjectionRebuilder.projectionName)
        for record in writtenParked where record.eventType == LicenseLookup.eventType {
            waitingForLicense[record.objectID] = record
        }
        scheduler = replay.scheduler
        position = target
        restored = true
        report.eventsReplayed = replay.eventsRead
        report.snapshotPosition = replay.snapshotPosition
        report.snapshotsWritten = replay.snapshotsWritten.map(\.path)
    }

    /// Applies `events` and writes the rows and movements they changed, the parked set and the checkpoint in
    /// one transaction.
    private func commit(_ events: [RecordedEvent], through last: Int64) throws -> [TableDrift] {
        for event in events { _ = state.apply(event) }
        do {
            let changes = try changedRows(through: last)
            let movements = state.mrr.takeChanges()
            let drift = try connection.transaction {
                let writer = ProjectionWriter(connection: connection)
                let upserted = try writer.upsert(subscriptions: changes.subscriptions, payments: changes.payments)
                let deleted = try writer.delete(
                    subscriptions: changes.deletedSubscriptions, payments: changes.deletedPayments)
                let mrr = try MRRWriter(connection: connection).append(movements)
                let bookkeeping = ProjectionBookkeeping(connection: connection)
                let parked = parkedRecords()
                if parked != writtenParked {
                    try bookkeeping.replaceParked(parked, projection: ProjectionRebuilder.projectionName)
                    writtenParked = parked
                }
                try bookkeeping.moveCheckpoint(
                    of: ProjectionRebuilder.projectionName, projectorVersion: ProjectionState.projectorVersion,
                    to: last, at: clock())
                return TableDrift.sum(upserted + deleted + mrr)
            }
            position = last
            return drift
        } catch {
            // Nothing was written, but the state has moved on: restore it from the checkpoint next time.
            state = LedgerProjections(configuration: state.configuration)
            waitingForLicense = [:]
            restored = false
            throw error
        }
    }

    /// The rows of the objects the last events changed, and of subscriptions waiting for a license.
    private func changedRows(through last: Int64) throws -> RowChanges {
        let changed = state.billing.takeChangedObjects()
        var subscriptionIDs = Set(waitingForLicense.keys)
        var paymentIDs: Set<String> = []
        for key in changed {
            switch key {
            case .subscription(let id): subscriptionIDs.insert(id)
            case .payment(let id): paymentIDs.insert(id)
            case .event: break
            }
        }
        var changes = RowChanges()
        let rows = subscriptionIDs.sorted().map { ($0, state.billing.subscriptionRow(stripeID: $0)) }
        let lookup = LicenseLookup(connection: connection)
        let licensed = try lookup.existing(Set(rows.compactMap { $0.1?.licenseID }))
        let unlicensed = rows.compactMap { $0.1 }.filter { !licensed.contains($0.licenseID) }
        let newest = try lookup.newestPositions(ofSubscriptions: unlicensed.map(\.stripeSubscriptionID))
        for (id, row) in rows {
            let wasWaiting = waitingForLicense[id] != nil
            if let row, licensed.contains(row.licenseID) {
                changes.subscriptions.append(row)
                waitingForLicense[id] = nil
            } else {
                changes.deletedSubscriptions.append(UUID(version5Name: id))
                waitingForLicense[id] = row.map { LicenseLookup.parkedRecord($0, position: newest[id] ?? last) }
            }
            // A row that appears or disappears changes its payments' subscription_id.
            if wasWaiting != (waitingForLicense[id] != nil) {
                paymentIDs.formUnion(state.billing.paymentIDs(ofSubscription: id))
            }
        }
        let waiting = Set(waitingForLicense.keys.map { UUID(version5Name: $0) })
        for id in paymentIDs.sorted() {
            guard var row = state.billing.paymentRow(paymentIntentID: id) else {
                changes.deletedPayments.append(UUID(version5Name: id))
                continue
            }
            if let subscription = row.subscriptionID, waiting.contains(subscription) { row.subscriptionID = nil }
            changes.payments.append(row)
        }
        return changes
    }

    /// Every parked event of the projection, in the order `ledger.parked` is written.
    private func parkedRecords() -> [ParkedRecord] {
        (state.billing.parkedRecords + waitingForLicense.values).sorted(by: ParkedRecord.logOrder)
    }
}

/// The rows one batch writes.
private struct RowChanges {
    var subscriptions: [SubscriptionRow] = []
    var payments: [PaymentTransactionRow] = []
    var deletedSubscriptions: [UUID] = []
    var deletedPayments: [UUID] = []
}
