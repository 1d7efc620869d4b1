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
    /// Snapshots that could not be written or read, why (a warning: projection went on without them).
    public var snapshotFailures: [String] = []
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

/// The projection could not move past a batch for a reason that is not the data's (connection lost, disk
/// full, lock timeout): names where it stopped, so an operator knows which event it was at.
public struct ProjectionStopped: Error, CustomStringConvertible, Sendable {
    /// The checkpoint: everything up to it is committed.
    public var checkpoint: Int64
    /// The first event of the batch that failed, when the batch had been read.
    public var position: Int64?
    public var sourceEventID: String?
    public var eventType: String?
    /// What went wrong.
    public var underlying: String

    public var description: String {
        let event =
            position.map { position in
                "at position \(position) (\(sourceEventID ?? "native event"), \(eventType ?? "?"))"
            } ?? "after position \(checkpoint)"
        return "projection stopped \(event), checkpoint \(checkpoint): \(underlying)"
    }
}

/// Keeps the live tables current: applies the events after the checkpoint in bounded batches, each
/// batch's rows, MRR movements and daily rows, parked events and new checkpoint in one transaction
/// (a crash loses a batch, never half).
///
/// Holds the projection's writer lock (``ProjectionLease``) for its whole life, so it never interleaves
/// with a rebuild or another projector; only `follow` steps aside, when a rebuild asks. The reducer
/// state up to the checkpoint is restored on the first catch-up from the newest usable snapshot plus
/// the log after it (without writing rows); after that it stays in memory, so `--follow` pays it once.
public final class Projector {
    public static let defaultBatchSize = 1000

    let connection: PostgresConnection
    let connect: () throws -> PostgresConnection
    let batchSize: Int
    let snapshots: SnapshotPolicy?
    let logger: Logger
    let clock: () -> EventTime
    /// The writer lock, held from `init` on (stepped aside while a rebuild runs, see `follow`).
    let lease: ProjectionLease
    private var state: LedgerProjections
    private var scheduler: SnapshotScheduler?
    /// The position `state` has applied through; equals the checkpoint between batches.
    private var position: Int64 = 0
    private var restored = false
    /// Subscriptions whose row waits for its license, by Stripe id; rechecked on every batch.
    private var waitingForLicense: [String: ParkedRecord] = [:]
    /// Objects whose row PostgreSQL refused although the reducer's checks passed, with the server's
    /// message; the row is absent until a later event of the object gives one it accepts.
    private var refusedByDatabase: [ProjectionObjectKey: ParkedRecord] = [:]
    /// `ledger.parked` as last read or written, so a batch rewrites it only when it changed.
    private var writtenParked: [ParkedRecord] = []
    /// Set when `licenses` may have changed: a mapping that reads it is given the table again before the
    /// next batch (``licensesChanged()``).
    private var licensesStale = false

    /// Connects and takes the writer lock; throws ``ProjectionBusy`` when another writer holds it.
    public init(
        connect: @escaping () throws -> PostgresConnection,
        configuration: ProjectionConfiguration = ProjectionConfiguration(),
        batchSize: Int = defaultBatchSize,
        snapshots: SnapshotPolicy? = nil,
        logger: Logger = Logger(label: "ledger.project", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping () -> EventTime = { EventTime(Date()) },
        role: String = "ledger project"
    ) throws {
        precondition((1...Limits.readBatchEventsMax).contains(batchSize), "batch size out of range")
        connection = try connect()
        self.connect = connect
        self.batchSize = batchSize
        self.snapshots = snapshots
        self.logger = logger
        self.clock = clock
        state = LedgerProjections(configuration: configuration)
        lease = try ProjectionLease(connection: connection, role: role)
        try lease.acquire()
    }

    /// The checkpoint the live tables are at (valid after the first catch-up).
    public var checkpoint: Int64 { position }

    /// Subscriptions without a row because their license does not exist yet (rechecked on every catch-up).
    public var subscriptionsWaitingForLicense: Int { waitingForLicense.count }

    /// Applies every event up to the log's head as of the call.
    ///
    /// `progress` gets the checkpoint after each batch; `shouldStop` is asked between batches, so a
    /// stop request ends the call at a batch boundary with everything committed so far kept.
    public func catchUp(
        progress: (Int64) -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) throws -> CatchUpReport {
        do {
            return try catchUpBatches(progress: progress, shouldStop: shouldStop)
        } catch let error as ProjectionStopped {
            throw error
        } catch let error as ProjectorVersionMismatch {
            throw error
        } catch {
            // Reading the log or restoring the state failed: no event of a batch to name, the checkpoint is.
            throw ProjectionStopped(
                checkpoint: position, position: nil, sourceEventID: nil, eventType: nil, underlying: "\(error)")
        }
    }

    private func catchUpBatches(progress: (Int64) -> Void, shouldStop: () -> Bool) throws -> CatchUpReport {
        var report = CatchUpReport(
            eventsReplayed: 0, eventsApplied: 0, batches: 0, position: position, drift: [], parked: 0,
            snapshotsWritten: [], replaySeconds: 0, applySeconds: 0)
        let started = ContinuousClock.now
        if !restored { try restore(into: &report, progress: progress) }
        let replayed = ContinuousClock.now
        report.replaySeconds = (replayed - started) / .seconds(1)
        let store = EventStore(connection: connection)
        var head = try store.head().position
        // A subscription waiting for its license is retried even when no event arrives, and so is every row
        // a mapping reads from `licenses` once the table changed.
        var recheckLicenses = !waitingForLicense.isEmpty || state.billing.hasChangedObjects
        if licensesStale {
            licensesStale = false
            if state.billing.mapping.readsLicenses {
                let table = try LicenseTable(connection: connection)
                if state.refreshLicenses(table, position: position, time: clock()) { recheckLicenses = true }
            }
        }
        while !shouldStop() {
            let events = position < head ? try store.read(after: position, through: head, limit: batchSize) : []
            guard !events.isEmpty || recheckLicenses else { break }
            recheckLicenses = false
            let drift = try commit(events, through: events.last?.position ?? position)
            switch scheduler?.writeIfDue(state, position: position, createdAt: clock()) {
            case .written(let url, let recordPosition)?:
                report.snapshotsWritten.append(url.path)
                // The snapshot's record moved the head: apply it too, so a run does not end one behind.
                head = max(head, recordPosition)
            case .failed(let message)?: report.snapshotFailures.append(message)
            case nil: break
            }
            report.eventsApplied += Int64(events.count)
            report.batches += 1
            report.drift = TableDrift.sum(report.drift + drift)
            progress(position)
        }
        report.applySeconds = (ContinuousClock.now - replayed) / .seconds(1)
        report.position = position
        report.parked = state.billing.parked.count + waitingForLicense.count + refusedByDatabase.count
        return report
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
        // The live tables already hold these rows and movements, except rows a mapping reads from `licenses`,
        // which may have changed since they were written: those are written again where they differ.
        _ = state.billing.takeChangedObjects()
        _ = state.mrr.takeChanges()
        state.billing.markLicenseMappedSubscriptionsChanged()
        writtenParked = try bookkeeping.parked(of: ProjectionRebuilder.projectionName)
        for record in writtenParked {
            switch record.eventType {
            case LicenseParking.eventType: waitingForLicense[record.objectID] = record
            case RefusedRow.subscriptionEventType: refusedByDatabase[.subscription(record.objectID)] = record
            case RefusedRow.paymentEventType: refusedByDatabase[.payment(record.objectID)] = record
            default: continue
            }
        }
        scheduler = replay.scheduler
        position = target
        restored = true
        report.eventsReplayed = replay.eventsRead
        report.snapshotPosition = replay.snapshotPosition
        report.snapshotsWritten = replay.snapshotsWritten.map(\.path)
        report.snapshotFailures = replay.snapshotFailures
    }

    /// Forgets the in-memory state, so the next catch-up restores it from the checkpoint (after a failed
    /// batch, or once a rebuild has rewritten the tables).
    func discardState() {
        state = LedgerProjections(configuration: state.configuration)
        waitingForLicense = [:]
        refusedByDatabase = [:]
        restored = false
    }

    /// Tells the projector `licenses` may have changed (its NOTIFY, or the bounded poll): the next
    /// catch-up reads it again for a mapping that reads it.
    public func licensesChanged() { licensesStale = true }

    /// Applies `events` and writes the rows and movements they changed, the parked set and the checkpoint in
    /// one transaction.
    ///
    /// Invariant: only a failure that is not the data's stops progress. Should PostgreSQL refuse a row the
    /// reducer passed, the refused objects are found (``ProjectionWriter/refusedRows``), parked with the
    /// server's message and left without a row, and the rest of the batch commits.
    private func commit(_ events: [RecordedEvent], through last: Int64) throws -> [TableDrift] {
        // A mapping that starts reading `licenses` in this batch needs the table before its first subscription.
        if state.billing.licenses == nil, events.contains(where: MappingSetting.settlesAMappingThatReadsLicenses) {
            state.billing.licenses = try LicenseTable(connection: connection)
        }
        for event in events { _ = state.apply(event) }
        do {
            var changes = try changedRows()
            let movements = state.mrr.takeChanges()
            let drift: [TableDrift]
            do {
                drift = try write(changes, movements, through: last)
            } catch let refusal as PostgresError where refusal.isDataRefusal {
                try isolateRefusedRows(&changes, refusal: refusal, at: last)
                drift = try write(changes, movements, through: last)
            }
            position = last
            return drift
        } catch {
            // Nothing was written, but the state has moved on: restore it from the checkpoint next time.
            discardState()
            let first = events.first
            throw ProjectionStopped(
                checkpoint: position, position: first?.position, sourceEventID: first?.sourceEventID,
                eventType: first?.type, underlying: "\(error)")
        }
    }

    /// Writes one batch's rows, movements, parked set and checkpoint in one transaction.
    private func write(_ changes: RowChanges, _ movements: MRRLedger.Changes, through last: Int64) throws
        -> [TableDrift]
    {
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
            }
            try bookkeeping.moveCheckpoint(
                of: ProjectionRebuilder.projectionName, projectorVersion: ProjectionState.projectorVersion,
                to: last, at: clock())
            return TableDrift.sum(upserted + deleted + mrr)
        }
        writtenParked = parkedRecords()
        return drift
    }

    /// Finds the rows of `changes` PostgreSQL refuses, parks their objects and takes their rows out (a refused
    /// subscription's payments keep `subscription_id` NULL, as for a missing license). Rethrows `refusal`
    /// when no single row is refused: then the failure was not one object's.
    private func isolateRefusedRows(_ changes: inout RowChanges, refusal: PostgresError, at last: Int64) throws {
        let refused = try ProjectionWriter(connection: connection).refusedRows(
            subscriptions: changes.subscriptions, payments: changes.payments)
        guard !refused.isEmpty else { throw refusal }
        changes.subscriptions.removeAll { row in
            guard let message = refused.subscriptions[row.id] else { return false }
            let record = RefusedRow.record(row.stripeSubscriptionID, subscription: true, message: message, at: last)
            refusedByDatabase[.subscription(row.stripeSubscriptionID)] = record
            changes.deletedSubscriptions.append(row.id)
            logger.warning("\(record.reason)", metadata: ["object": "\(row.stripeSubscriptionID)"])
            return true
        }
        let refusedSubscriptions = Set(refused.subscriptions.keys)
        changes.payments = changes.payments.compactMap { row in
            if let message = refused.payments[row.id] {
                let record = RefusedRow.record(
                    row.stripePaymentIntentID, subscription: false, message: message, at: last)
                refusedByDatabase[.payment(row.stripePaymentIntentID)] = record
                changes.deletedPayments.append(row.id)
                logger.warning("\(record.reason)", metadata: ["object": "\(row.stripePaymentIntentID)"])
                return nil
            }
            var row = row
            if let subscription = row.subscriptionID, refusedSubscriptions.contains(subscription) {
                row.subscriptionID = nil
            }
            return row
        }
    }

    /// The rows of the objects the last events changed, and of subscriptions waiting for a license.
    private func changedRows() throws -> RowChanges {
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
        let ids = subscriptionIDs.sorted()
        let rows = ids.compactMap { state.billing.subscriptionRow(stripeID: $0) }
        let parking = try LicenseParking(rows, lookup: LicenseLookup(connection: connection))
        changes.subscriptions = parking.licensed
        let written = Set(parking.licensed.map(\.stripeSubscriptionID))
        for id in ids {
            let wasWaiting = waitingForLicense[id] != nil
            waitingForLicense[id] = parking.parked[id]
            if !written.contains(id) { changes.deletedSubscriptions.append(UUID(version5Name: id)) }
            // A row that appears or disappears changes its payments' subscription_id.
            if wasWaiting != (waitingForLicense[id] != nil) {
                paymentIDs.formUnion(state.billing.paymentIDs(ofSubscription: id))
            }
        }
        // A written row clears its object's refusal; a refused subscription's payments stay unlinked.
        for id in subscriptionIDs { refusedByDatabase[.subscription(id)] = nil }
        for id in paymentIDs { refusedByDatabase[.payment(id)] = nil }
        var unlinked = Set(waitingForLicense.keys)
        for case .subscription(let id) in refusedByDatabase.keys { unlinked.insert(id) }
        let waiting = Set(unlinked.map { UUID(version5Name: $0) })
        for id in paymentIDs.sorted() {
            guard let row = state.billing.paymentRow(paymentIntentID: id) else {
                changes.deletedPayments.append(UUID(version5Name: id))
                continue
            }
            changes.payments.append(LicenseParking.unlinked(row, from: waiting))
        }
        return changes
    }

    /// Every parked event of the projection, in the order `ledger.parked` is written.
    private func parkedRecords() -> [ParkedRecord] {
        (state.billing.parkedRecords + waitingForLicense.values + refusedByDatabase.values)
            .sorted(by: ParkedRecord.logOrder)
    }
}

/// `ledger.parked` records of rows PostgreSQL refused.
enum RefusedRow {
    /// `ledger.parked.event_type` of a subscription or payment whose row PostgreSQL refused.
    static let subscriptionEventType = ParkedReasonKind.refusedSubscriptionEventType
    static let paymentEventType = ParkedReasonKind.refusedPaymentEventType

    static func record(_ objectID: String, subscription: Bool, message: String, at position: Int64) -> ParkedRecord {
        ParkedRecord(
            objectID: objectID, position: position,
            eventType: subscription ? subscriptionEventType : paymentEventType,
            reason: "PostgreSQL refused the row: \(DisplayText.escaped(message, charactersMax: 300))")
    }
}

/// The rows one batch writes.
private struct RowChanges {
    var subscriptions: [SubscriptionRow] = []
    var payments: [PaymentTransactionRow] = []
    var deletedSubscriptions: [UUID] = []
    var deletedPayments: [UUID] = []
}
