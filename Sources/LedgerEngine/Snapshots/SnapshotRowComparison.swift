import Foundation
import LedgerCore
import LedgerPostgres
import LedgerSnapshots

/// What a rebuild from a snapshot must write: the rows the live tables lack or hold differently, and the
/// live rows nothing implies — found by comparing row hashes, so rows that agree are never staged.
///
/// Expected rows: the snapshot's for the objects the tail left alone (their rows cannot have changed:
/// ``ProjectionState/takeChangedObjects()`` names every object an event or a mapping touched), the state's
/// for the others, all under the license rule (``LicenseParking``) as it reads `licenses` now. Both sides
/// are hashed the same way (``ProjectedRowHash``); live hashes are read in one pass per table.
struct SnapshotRowComparison {
    /// Rows to stage (missing from the live table, or differing), computed from the state.
    var subscriptions: [SubscriptionRow] = []
    var payments: [PaymentTransactionRow] = []
    /// Live rows no expected row has.
    var extraSubscriptions: [UUID] = []
    var extraPayments: [UUID] = []
    /// The license rule's parked records (subscriptions whose license does not exist).
    var licenseParked: [ParkedRecord] = []

    /// One expected row: its id as lower-case text, Stripe id and hash.
    struct Expected {
        var stripeID: String
        var hash: ProjectedRowHash
    }

    /// The expected rows, hashed; the live side is compared by ``compare(with:state:)``.
    struct Expectation {
        var subscriptions: [String: Expected] = [:]
        var payments: [String: Expected] = [:]
        var parkedRowIDs: Set<UUID> = []
        var licenseParked: [ParkedRecord] = []
    }

    /// Hashes the expected rows: the snapshot's, except those of `touched` objects, which `state` gives.
    static func expect(
        state: ProjectionState, snapshot: SnapshotFile, touched: Set<ProjectionObjectKey>, licenses: LicenseLookup
    ) throws -> Expectation {
        var touchedSubscriptions: Set<String> = []
        var touchedPayments: Set<String> = []
        for key in touched {
            switch key {
            case .subscription(let id): touchedSubscriptions.insert(id)
            case .payment(let id): touchedPayments.insert(id)
            case .event: break
            }
        }
        var expectation = Expectation()
        var hasher = ProjectedRowHasher()
        // Subscriptions with their license ids, before the license rule.
        var licenseOf: [String: UUID] = [:]
        let subscriptionStripeID = ProjectedTable.subscriptions.stripeIDIndex
        try snapshot.forEachRow(of: .subscriptions) { row in
            guard let stripeID = row.text(subscriptionStripeID), !touchedSubscriptions.contains(stripeID),
                let id = row.text(0)
            else { return }
            expectation.subscriptions[id] = Expected(stripeID: stripeID, hash: hasher.hash(row))
            licenseOf[id] = row.text(1).flatMap(UUID.init(uuidString:))
        }
        for stripeID in touchedSubscriptions {
            guard let row = state.subscriptionRow(stripeID: stripeID) else { continue }
            let id = row.id.uuidString.lowercased()
            expectation.subscriptions[id] = Expected(stripeID: stripeID, hash: hasher.hash(row.snapshotValues))
            licenseOf[id] = row.licenseID
        }
        // The license rule: rows whose license does not exist are parked, their payments unlinked.
        let existing = try licenses.existing(Set(licenseOf.values))
        let orphans = licenseOf.filter { !existing.contains($0.value) }.keys.compactMap {
            expectation.subscriptions[$0]
        }
        let parking = try LicenseParking(
            orphans.compactMap { state.subscriptionRow(stripeID: $0.stripeID) }, lookup: licenses)
        for id in parking.parkedRowIDs { expectation.subscriptions[id.uuidString.lowercased()] = nil }
        expectation.parkedRowIDs = parking.parkedRowIDs
        expectation.licenseParked = Array(parking.parked.values)
        let unlinked = Set(parking.parkedRowIDs.map { $0.uuidString.lowercased() })
        let paymentStripeID = ProjectedTable.paymentTransactions.stripeIDIndex
        try snapshot.forEachRow(of: .paymentTransactions) { row in
            guard let stripeID = row.text(paymentStripeID), !touchedPayments.contains(stripeID),
                let id = row.text(0)
            else { return }
            // Column 1 is subscription_id: NULL when its subscription is parked for its license.
            let unlink = row.text(1).map(unlinked.contains) ?? false
            expectation.payments[id] = Expected(
                stripeID: stripeID, hash: hasher.hash(row, nullColumn: unlink ? 1 : nil))
        }
        for stripeID in touchedPayments {
            guard let row = state.paymentRow(paymentIntentID: stripeID) else { continue }
            let written = LicenseParking.unlinked(row, from: parking.parkedRowIDs)
            expectation.payments[row.id.uuidString.lowercased()] = Expected(
                stripeID: stripeID, hash: hasher.hash(written.snapshotValues))
        }
        return expectation
    }

    /// Compares `expectation` with the live tables' hashes (``LiveRowHashRead``) and takes the rows to stage
    /// from `state`.
    init(_ expectation: Expectation, live hashes: LiveRowHashRead.Hashes, state: ProjectionState) {
        var live = hashes.subscriptions
        for (id, expected) in expectation.subscriptions.sorted(by: { $0.key < $1.key }) {
            if live.removeValue(forKey: id) == expected.hash { continue }
            if let row = state.subscriptionRow(stripeID: expected.stripeID) { subscriptions.append(row) }
        }
        extraSubscriptions = live.keys.sorted().compactMap(UUID.init(uuidString:))
        live = hashes.payments
        for (id, expected) in expectation.payments.sorted(by: { $0.key < $1.key }) {
            if live.removeValue(forKey: id) == expected.hash { continue }
            if let row = state.paymentRow(paymentIntentID: expected.stripeID) {
                payments.append(LicenseParking.unlinked(row, from: expectation.parkedRowIDs))
            }
        }
        extraPayments = live.keys.sorted().compactMap(UUID.init(uuidString:))
        licenseParked = expectation.licenseParked
    }

    /// Rows staged to be written.
    var stagedRows: Int { subscriptions.count + payments.count }
}

/// The live tables' row hashes (``ProjectedRowHashes``), read by PostgreSQL on a connection and a thread of their
/// own while the rebuild verifies and loads the snapshot and replays the tail.
///
/// The pass costs the server about as much as the tail's replay costs the client (docs/benchmarks.md), so it
/// runs beside it rather than after it. It reads the tables before the writing transaction begins; the rebuild
/// holds the projection (``ProjectionLease``), so only an edit by hand can change a row in between, and such a
/// row is found by the next `ledger verify` or rebuild, as one edited just after the commit would be.
struct LiveRowHashRead {
    struct Hashes: Sendable {
        var subscriptions: [String: ProjectedRowHash]
        var payments: [String: ProjectedRowHash]
    }

    private let thread: WorkerThread
    private let output: Locked<Hashes?>

    /// Starts reading on `connection`, which belongs to the reading thread from now on.
    init(connection: sending PostgresConnection) {
        let output = Locked<Hashes?>(nil)
        self.output = output
        thread = WorkerThread(name: "ledger.livehash") {
            let hashes = ProjectedRowHashes(connection: connection)
            let subscriptions = try hashes.live(.subscriptions)
            let payments = try hashes.live(.paymentTransactions)
            output.withLock { $0 = Hashes(subscriptions: subscriptions, payments: payments) }
        }
    }

    /// Waits for the read to end; its hashes, or its error.
    func hashes() throws -> Hashes {
        try thread.join()
        guard let hashes = output.current else { preconditionFailure("the hash read ended without its hashes") }
        return hashes
    }
}

extension ProjectedTable {
    /// The position of the Stripe id in ``columns`` (and in a snapshot row).
    var stripeIDIndex: Int32 { Int32(columns.firstIndex(of: stripeIDColumn) ?? 0) }
}

extension ProjectedRowHasher {
    /// The hash of a snapshot row, its column `nullColumn` read as NULL.
    mutating func hash(_ row: SQLiteRow, nullColumn: Int32? = nil) -> ProjectedRowHash {
        for column in 0..<row.columnCount {
            if row.isNull(column) || column == nullColumn {
                append(nil as UnsafeRawBufferPointer?)
            } else {
                append(row.bytes(column))
            }
        }
        return finish()
    }

    /// The hash of a row's values as a snapshot stores them (integers in decimal).
    mutating func hash(_ values: [SQLiteValue]) -> ProjectedRowHash {
        for value in values {
            switch value {
            case .null: append(nil as String?)
            case .integer(let integer): append(String(integer))
            case .real(let real): append(String(real))
            case .text(let text): append(text)
            case .blob(let bytes): bytes.withUnsafeBytes { append($0) }
            }
        }
        return finish()
    }
}
