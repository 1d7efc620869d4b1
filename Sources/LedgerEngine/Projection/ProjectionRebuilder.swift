import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots
import Logging

/// What a rebuild did.
public struct RebuildReport: Sendable, Equatable, Codable {
    /// Events read from the log.
    public var eventsRead: Int64
    /// The log position the projection now reflects.
    public var position: Int64
    /// Rows that differed between the live tables and the log's state, per table.
    public var drift: [TableDrift]
    /// Events parked because they cannot become valid rows (see `ledger status`).
    public var parked: Int
    /// The position of the snapshot the replay started from; nil when it started at event 1.
    public var snapshotPosition: Int64?
    /// Snapshot files written during the replay (`--snapshot-every`).
    public var snapshotsWritten: [String]
    /// Snapshots that could not be written or read, why (a warning: the rebuild went on without them).
    public var snapshotFailures: [String] = []
    /// Expected rows copied to staging to be compared in SQL: all of them from scratch; from a snapshot,
    /// only those whose hash differs from the live row's (none when nothing drifted).
    public var stagedRows: Int = 0
}

/// Rebuilds `subscriptions`, `payment_transactions`, `mrr_movements` and `mrr_daily` from the whole log.
///
/// Reads the log in bounded batches into ``LedgerProjections`` (memory grows with
/// subscriptions, payments and MRR movements, not events), drops rows whose license does not
/// exist (parking them, so they appear once it does; MRR counts them, docs/0006-mrr.md), then
/// makes the live tables equal to the state in one transaction together with the parked set
/// and the checkpoint. From a snapshot, only the rows whose hash differs from the live row's are
/// staged (docs/0017-fast-snapshots-and-rebuild.md). One writer at a time (``ProjectionLease``): a following projector is asked to
/// pause and waited for up to `waitForWriter`.
public struct ProjectionRebuilder {
    /// The projection's name in `ledger.checkpoints` and `ledger.parked`.
    public static let projectionName = "billing"

    let connection: PostgresConnection
    let connect: () throws -> PostgresConnection
    let configuration: ProjectionConfiguration
    let snapshots: SnapshotPolicy?
    let logger: Logger
    let clock: () -> EventTime
    let waitForWriter: Duration

    /// - Parameters:
    ///   - connect: opens the connections: one writes, a second reads the log ahead.
    ///   - snapshots: where snapshots are and how to use them; nil: replay from event 1, write none.
    ///   - waitForWriter: how long a projector holding the projection has to pause (zero: ask once).
    public init(
        connect: @escaping () throws -> PostgresConnection,
        configuration: ProjectionConfiguration = ProjectionConfiguration(),
        snapshots: SnapshotPolicy? = nil,
        logger: Logger = Logger(label: "ledger.rebuild", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping () -> EventTime = { EventTime(Date()) },
        waitForWriter: Duration = .zero
    ) throws {
        self.waitForWriter = waitForWriter
        self.connection = try connect()
        self.connect = connect
        self.configuration = configuration
        self.snapshots = snapshots
        self.logger = logger
        self.clock = clock
    }

    /// Computes the state from event 1, ignoring any snapshot policy's replay setting.
    public func rebuildFromScratch(progress: (Int64) -> Void = { _ in }) throws -> RebuildReport {
        try rebuild(fromSnapshot: false, progress: progress)
    }

    /// Computes the state (from the newest usable snapshot when `fromSnapshot` and the policy allow,
    /// else from event 1) and brings the tables to it; `progress` gets positions read.
    public func rebuild(fromSnapshot: Bool = true, progress: (Int64) -> Void = { _ in }) throws -> RebuildReport {
        let lease = try ProjectionLease(connection: connection, role: "ledger rebuild")
        try lease.acquireForRebuild(waiting: waitForWriter, logger: logger)
        // Releasing tells a paused follower to resume from the checkpoint written below.
        defer { try? lease.release() }

        let head = try EventStore(connection: connection).head()
        var policy = snapshots
        if !fromSnapshot { policy?.replayFromSnapshots = false }
        // Read beside the replay; used only if it started from a snapshot (docs/0017).
        let liveHashes =
            mayReplayFromSnapshot(at: head.position, policy: policy) ? LiveRowHashRead(connection: try connect()) : nil
        var replay = try StateReplay(
            connection: connection, connect: connect, configuration: configuration, snapshots: policy,
            logger: logger, clock: clock
        ).replay(through: head.position, progress: progress)
        let live = try liveHashes?.hashes()
        if let snapshot = replay.snapshotFile, let live {
            do {
                return try rebuildTail(from: snapshot, replay: &replay, live: live, head: head.position)
            } catch let refusal as PostgresError where refusal.isDataRefusal {
                logger.info("a row was refused; comparing every row", metadata: ["reason": "\(refusal)"])
            } catch let error as PostgresError {
                throw error
            } catch {
                // The snapshot verified a moment ago and cannot be read now (pruned meanwhile): compare every row.
                logger.warning("snapshot rows unreadable; comparing every row", metadata: ["reason": "\(error)"])
            }
        }
        return try rebuildAll(replay: replay, head: head.position)
    }

    /// Whether the replay may start from a snapshot: the policy allows it and the directory holds a file of this
    /// database at or before `head` (one that fails verification only costs the hash read run for nothing).
    /// Unreadable identity or directory: no (the replay warns about them itself).
    private func mayReplayFromSnapshot(at head: Int64, policy: SnapshotPolicy?) -> Bool {
        guard let policy, policy.replayFromSnapshots,
            let databaseID = try? EventStore(connection: connection).databaseID()
        else { return false }
        let files = (try? policy.directory.files(of: databaseID)) ?? []
        return files.contains { $0.position <= head }
    }

    /// Computes every row from the state and brings the tables to them.
    private func rebuildAll(replay: StateReplay.Result, head: Int64) throws -> RebuildReport {
        var rows = try ProjectedRows(licensing: replay.state.billing, with: LicenseLookup(connection: connection))
        do {
            return try write(rows, replay: replay, head: head)
        } catch let refusal as PostgresError where refusal.isDataRefusal {
            // The same last line as the catch-up projector's, so rebuild and catch-up leave the same rows.
            let refused = try ProjectionWriter(connection: connection).refusedRows(
                subscriptions: rows.subscriptions, payments: rows.payments)
            guard !refused.isEmpty else { throw refusal }
            rows.exclude(refused, at: head)
            return try write(rows, replay: replay, head: head)
        }
    }

    /// Brings the tables to the state when the replay started from `snapshot`: rows of objects the tail
    /// left alone are the snapshot's, and only rows whose hash differs from the live one are staged
    /// (``SnapshotRowComparison``), so a rebuild without drift writes the checkpoint and nothing else.
    private func rebuildTail(
        from snapshot: SnapshotFile, replay: inout StateReplay.Result, live: LiveRowHashRead.Hashes, head: Int64
    ) throws -> RebuildReport {
        var phases = PhaseTimer(logger: logger, operation: "rebuild from snapshot")
        // Every object the tail (or a mapping, or a `licenses` a mapping reads) may have changed.
        var touched = replay.state.billing.takeChangedObjects()
        replay.state.billing.markLicenseMappedSubscriptionsChanged()
        touched.formUnion(replay.state.billing.takeChangedObjects())
        let state = replay.state.billing
        let expectation = try SnapshotRowComparison.expect(
            state: state, snapshot: snapshot, touched: touched, licenses: LicenseLookup(connection: connection))
        let parked = (state.parkedRecords + expectation.licenseParked).sorted(by: ParkedRecord.logOrder)
        let daily = replay.state.mrr.dailyRows()
        phases.mark("expected rows hashed (snapshot rows read)")
        defer { phases.mark("commit") }
        return try connection.transaction {
            let comparison = SnapshotRowComparison(expectation, live: live, state: state)
            phases.mark("live rows compared (hashed beside the replay)")
            let writer = ProjectionWriter(connection: connection)
            var billing: [TableDrift] = [
                TableDrift(table: ProjectedTable.subscriptions.rawValue, inserted: 0, updated: 0, deleted: 0),
                TableDrift(table: ProjectedTable.paymentTransactions.rawValue, inserted: 0, updated: 0, deleted: 0),
            ]
            if comparison.stagedRows > 0 {
                billing += try writer.upsert(subscriptions: comparison.subscriptions, payments: comparison.payments)
            }
            if !comparison.extraSubscriptions.isEmpty || !comparison.extraPayments.isEmpty {
                billing += try writer.delete(
                    subscriptions: comparison.extraSubscriptions, payments: comparison.extraPayments)
            }
            phases.mark("billing rows written")
            let mrr = try MRRWriter(connection: connection).replaceAll(
                movements: replay.state.mrr.movements, daily: daily)
            phases.mark("MRR tables written")
            let bookkeeping = ProjectionBookkeeping(connection: connection)
            if try bookkeeping.parked(of: Self.projectionName) != parked {
                try bookkeeping.replaceParked(parked, projection: Self.projectionName)
            }
            try bookkeeping.moveCheckpoint(
                of: Self.projectionName, projectorVersion: ProjectionState.projectorVersion, to: head, at: clock())
            phases.mark("parked set and checkpoint written")
            return RebuildReport(
                eventsRead: replay.eventsRead, position: head, drift: TableDrift.sum(billing) + mrr,
                parked: parked.count, snapshotPosition: replay.snapshotPosition,
                snapshotsWritten: replay.snapshotsWritten.map(\.path), snapshotFailures: replay.snapshotFailures,
                stagedRows: comparison.stagedRows)
        }
    }

    /// Brings the live tables, the parked set and the checkpoint to `rows` in one transaction.
    private func write(_ rows: ProjectedRows, replay: StateReplay.Result, head: Int64) throws -> RebuildReport {
        let daily = replay.state.mrr.dailyRows()
        return try connection.transaction {
            let billing = try ProjectionWriter(connection: connection).replaceAll(
                subscriptions: rows.subscriptions, payments: rows.payments)
            let mrr = try MRRWriter(connection: connection).replaceAll(
                movements: replay.state.mrr.movements, daily: daily)
            let drift = billing + mrr
            try ProjectionBookkeeping(connection: connection).replace(
                parked: rows.parked, projection: Self.projectionName,
                projectorVersion: ProjectionState.projectorVersion, checkpoint: head, at: clock())
            return RebuildReport(
                eventsRead: replay.eventsRead, position: head, drift: drift, parked: rows.parked.count,
                snapshotPosition: replay.snapshotPosition, snapshotsWritten: replay.snapshotsWritten.map(\.path),
                snapshotFailures: replay.snapshotFailures, stagedRows: rows.subscriptions.count + rows.payments.count)
        }
    }
}

/// The rows a state projects to under the license rule (``LicenseParking``), with the reducer's and the
/// rule's parked records: what a rebuild writes and what `ledger verify` compares the live tables with.
struct ProjectedRows {
    var subscriptions: [SubscriptionRow]
    var payments: [PaymentTransactionRow]
    var parked: [ParkedRecord]

    /// Asks `licenses` which of the state's licenses exist, and where the others' subscriptions last changed.
    init(licensing state: ProjectionState, with licenses: LicenseLookup) throws {
        // Computed once: each pass over the state costs ~0.7 s at 50k subscriptions.
        self.init(state: state, parking: try LicenseParking(state.subscriptionRows(), lookup: licenses))
    }

    /// `parking` is the license rule applied to `state.subscriptionRows()`.
    init(state: ProjectionState, parking: LicenseParking) {
        subscriptions = parking.licensed
        payments = state.paymentRows().map { LicenseParking.unlinked($0, from: parking.parkedRowIDs) }
        parked = (state.parkedRecords + parking.parked.values).sorted(by: ParkedRecord.logOrder)
    }
}

extension ProjectedRows {
    /// Takes out the rows PostgreSQL refuses and parks their objects; a refused subscription's payments
    /// keep `subscription_id` NULL, as for a missing license.
    mutating func exclude(_ refused: RefusedRows, at position: Int64) {
        subscriptions.removeAll { row in
            guard let message = refused.subscriptions[row.id] else { return false }
            parked.append(
                RefusedRow.record(row.stripeSubscriptionID, subscription: true, message: message, at: position))
            return true
        }
        payments = payments.compactMap { row in
            if let message = refused.payments[row.id] {
                parked.append(
                    RefusedRow.record(row.stripePaymentIntentID, subscription: false, message: message, at: position))
                return nil
            }
            var row = row
            if let subscription = row.subscriptionID, refused.subscriptions[subscription] != nil {
                row.subscriptionID = nil
            }
            return row
        }
        parked.sort(by: ParkedRecord.logOrder)
    }
}

extension ProjectionState {
    /// The reducer's parked events as `ledger.parked` records (unsorted).
    var parkedRecords: [ParkedRecord] {
        parked.map { key, event in
            ParkedRecord(
                objectID: key.objectID, position: event.position, eventType: event.eventType,
                reason: event.reason.description)
        }
    }
}

extension ParkedRecord {
    /// The order `ledger.parked` is written in: by position, then object.
    static func logOrder(_ a: ParkedRecord, _ b: ParkedRecord) -> Bool {
        (a.position, a.objectID) < (b.position, b.objectID)
    }
}

extension ProjectionObjectKey {
    /// The Stripe id the key names, or `position:N` for an event whose object is unknown.
    var objectID: String {
        switch self {
        case .subscription(let id), .payment(let id): id
        case .event(let position): "position:\(position)"
        }
    }
}
