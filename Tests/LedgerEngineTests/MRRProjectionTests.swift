import Foundation
import LedgerCore
import LedgerEngine
import LedgerGenerator
import LedgerPostgres
import LedgerSnapshots
import LedgerTestSupport
import Logging
import Testing

/// `mrr_movements` and `mrr_daily` as the projector and the rebuild write them, on real PostgreSQL.
@Suite("MRR projection")
struct MRRProjectionTests {
    @Test(arguments: [1, 7, 1000])
    func catchUpInBatchesGivesTheRebuildsMRRTables(batchSize: Int) async throws {
        let ledger =
            batchSize == 1
            ? GeneratedLedger(customers: 12, months: 6, duplicates: 0.2, shuffle: 0.2)
            : GeneratedLedger(duplicates: 0.2, shuffle: 0.2)
        try await TestDatabase.withMigrated { database in
            try ledger.load(database)
            let report = try project(database, batchSize: batchSize)
            #expect(
                report.drift.map(\.table) == ["subscriptions", "payment_transactions", "mrr_movements", "mrr_daily"])
            let incremental = try mrrTables(database)
            #expect(incremental.movements.count >= 5)
            let rebuilt = try rebuild(database)
            #expect(rebuilt.drift.allSatisfy { $0.total == 0 }, "\(rebuilt.drift)")
            #expect(try mrrTables(database) == incremental)
        }
    }

    @Test func catchingUpInSlicesAcrossRunsGivesTheMRRTablesOfOneRebuild() async throws {
        let ledger = GeneratedLedger(customers: 50, months: 10, duplicates: 0.3, shuffle: 0.3)
        let count = try ledger.eventCount
        try await TestDatabase.withMigrated { sliced in
            try await TestDatabase.withMigrated { whole in
                try ledger.insertLicenses(sliced)
                var start = 0
                for end in [count / 5, count / 2, count / 2 + 1, count] {
                    try ledger.ingest(sliced, slice: start..<end)
                    _ = try project(sliced, batchSize: 13)
                    try expectMRRMatchesTheRows(sliced)
                    start = end
                }
                try ledger.load(whole)
                _ = try rebuild(whole)
                #expect(try mrrTables(sliced) == mrrTables(whole))
            }
        }
    }

    @Test func aRebuildRepairsEditedAndDeletedMRRRowsAndKeepsTheOthersIDs() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger().load(database)
            _ = try project(database)
            let expected = try mrrTables(database)
            let connection = try database.connect()
            let ids = try connection.query("SELECT id FROM mrr_movements ORDER BY id").map {
                try $0.decode(Int64.self, at: 0)
            }
            try connection.execute(
                """
                UPDATE mrr_daily SET mrr_cents = mrr_cents + 1 WHERE day = (SELECT min(day) FROM mrr_daily);
                DELETE FROM mrr_movements WHERE id = (SELECT max(id) FROM mrr_movements);
                INSERT INTO mrr_daily (day, currency, mrr_cents, active_customers) VALUES ('1999-01-01', 'XXX', 5, 1);
                """)
            let report = try rebuild(database)
            let drift = Dictionary(uniqueKeysWithValues: report.drift.map { ($0.table, $0) })
            #expect(drift["mrr_movements"] == TableDrift(table: "mrr_movements", inserted: 1, updated: 0, deleted: 0))
            #expect(drift["mrr_daily"]?.updated ?? 0 >= 1 && drift["mrr_daily"]?.deleted == 1)
            #expect(try mrrTables(database) == expected)
            let after = try connection.query("SELECT id FROM mrr_movements ORDER BY id").map {
                try $0.decode(Int64.self, at: 0)
            }
            #expect(Array(after.dropLast()) == Array(ids.dropLast()))
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var apiVersion: HistoryGenerator.APIVersion
        var testDescription: String { "seed \(seed), \(apiVersion.rawValue)" }
    }

    @Test(
        arguments: [1, 2].flatMap { seed in
            HistoryGenerator.APIVersion.allCases.map { Case(seed: UInt64(seed), apiVersion: $0) }
        })
    func eachMonthsMovementsTakeItsStartingMRRToItsEndingMRR(_ testCase: Case) async throws {
        let ledger = GeneratedLedger(
            customers: 60, months: 14, seed: testCase.seed, duplicates: 0.2, shuffle: 0.2,
            apiVersion: testCase.apiVersion)
        try await TestDatabase.withMigrated { database in
            try ledger.load(database)
            _ = try project(database)
            let connection = try database.connect()
            // Per currency and month: MRR at the end of the previous month, the month's movements, MRR at its end.
            let months = try connection.query(Self.selectMonths).map { row in
                (
                    currency: try row.decode(String.self, at: 0), month: try row.decode(String.self, at: 1),
                    start: try row.decode(Int64.self, at: 2), moved: try row.decode(Int64.self, at: 3),
                    end: try row.decode(Int64.self, at: 4), dailyNet: try row.decode(Int64.self, at: 5)
                )
            }
            #expect(months.count >= 14)
            for month in months {
                #expect(month.start + month.moved == month.end, "\(month)")
                #expect(month.dailyNet == month.moved, "\(month)")
            }
            try expectMRRMatchesTheRows(database)
            try expectEachCustomersMovementsMatchTheirRowsAtRandomPositions(database)
        }
    }

    /// `$1`-free. Each currency's months from its first to its last movement, with the MRR at the end of the
    /// previous month and of the month (newest `mrr_daily` row on or before), the sum of the month's movements
    /// from `mrr_movements`, and the sum of its daily net movements from `mrr_daily`.
    static let selectMonths = """
        WITH bounds AS (
            SELECT currency, date_trunc('month', min(day))::date AS first, max(day) AS last
            FROM mrr_movements GROUP BY currency
        ), months AS (
            SELECT currency, generate_series(first, last, interval '1 month')::date AS month FROM bounds
        )
        SELECT m.currency, m.month::text,
               coalesce((SELECT mrr_cents FROM mrr_daily d WHERE d.currency = m.currency AND d.day < m.month
                         ORDER BY day DESC LIMIT 1), 0),
               coalesce((SELECT sum(amount_cents) FROM mrr_movements v WHERE v.currency = m.currency
                         AND v.day >= m.month AND v.day < m.month + interval '1 month'), 0)::bigint,
               coalesce((SELECT mrr_cents FROM mrr_daily d WHERE d.currency = m.currency
                         AND d.day < m.month + interval '1 month' ORDER BY day DESC LIMIT 1), 0),
               coalesce((SELECT sum(new_cents + expansion_cents + contraction_cents + churn_cents + reactivation_cents)
                         FROM mrr_daily d WHERE d.currency = m.currency
                         AND d.day >= m.month AND d.day < m.month + interval '1 month'), 0)::bigint
        FROM months m ORDER BY 1, 2
        """

    /// `$1`-free. MRR and paying customers per currency three ways: from the live `subscriptions` rows
    /// (computed here in SQL: active and past_due, paid plans, the amount over the cycle's months rounded;
    /// coupons are not in the rows, ``discountsOff(_:)`` adds them), from the sum of all movements, and from
    /// the newest daily row.
    static let selectThreeWays = """
        WITH paying AS (
            SELECT currency, coalesce(stripe_customer_id, stripe_subscription_id) AS customer,
                   sum(round(amount_cents / CASE billing_cycle WHEN 'quarterly' THEN 3.0 WHEN 'semiannual' THEN 6.0
                       WHEN 'yearly' THEN 12.0 WHEN 'biennial' THEN 24.0 ELSE 1.0 END))::bigint AS mrr
            FROM subscriptions WHERE status IN ('active', 'past_due') AND plan_type <> 'free'
            GROUP BY 1, 2
        ), currencies AS (
            SELECT currency FROM paying UNION SELECT currency FROM mrr_movements
        )
        SELECT c.currency,
               coalesce((SELECT sum(mrr) FROM paying p WHERE p.currency = c.currency), 0)::bigint,
               coalesce((SELECT count(*) FROM paying p WHERE p.currency = c.currency AND p.mrr > 0), 0)::bigint,
               coalesce((SELECT sum(amount_cents) FROM mrr_movements v WHERE v.currency = c.currency), 0)::bigint,
               coalesce((SELECT mrr_cents FROM mrr_daily d WHERE d.currency = c.currency ORDER BY day DESC LIMIT 1), 0),
               coalesce((SELECT active_customers FROM mrr_daily d WHERE d.currency = c.currency
                         ORDER BY day DESC LIMIT 1), 0)::bigint
        FROM currencies c ORDER BY 1
        """

    /// At the checkpoint: the rows' MRR equals the movements' sum and the newest daily row (every row is licensed here).
    func expectMRRMatchesTheRows(_ database: TestDatabase) throws {
        let rows = try database.connect().query(Self.selectThreeWays)
        #expect(!rows.isEmpty)
        let connection = try database.connect()
        let store = EventStore(connection: connection)
        var events: [RecordedEvent] = []
        while case let batch = try store.read(after: events.last?.position ?? 0), !batch.isEmpty { events += batch }
        let discounts = Self.discountsOff(events)
        for row in rows {
            let currency: String = try row.decode(at: 0)
            let (listRows, payingCustomers, fromMovements, fromDaily, activeCustomers):
                (Int64, Int64, Int64, Int64, Int64) = (
                    try row.decode(at: 1), try row.decode(at: 2), try row.decode(at: 3), try row.decode(at: 4),
                    try row.decode(at: 5)
                )
            let fromRows = listRows - (discounts[currency] ?? 0)
            #expect(fromMovements == fromRows, "\(currency)")
            #expect(fromDaily == fromRows, "\(currency)")
            #expect(activeCustomers == payingCustomers, "\(currency)")
        }
    }

    /// What coupons take off the MRR of the rows `events` project, per currency (``couponsOff(_:)``).
    static func discountsOff(_ events: [RecordedEvent]) -> [String: Int64] { couponsOff(events) }

    /// `$1` customer, `$2` position: the customer's MRR per currency from its movements up to the position.
    static let selectCustomerMovements = """
        SELECT currency, sum(amount_cents)::bigint FROM mrr_movements
        WHERE stripe_customer_id = $1 AND source_position <= $2 GROUP BY currency HAVING sum(amount_cents) <> 0
        """

    /// For random customers at random positions: the rows `ledger state` computes from that customer's events
    /// up to the position imply the MRR their movements up to the position add up to.
    func expectEachCustomersMovementsMatchTheirRowsAtRandomPositions(_ database: TestDatabase) throws {
        let connection = try database.connect()
        let customers = try connection.query(
            "SELECT DISTINCT stripe_customer_id FROM mrr_movements ORDER BY 1 LIMIT 12"
        ).map { try $0.decode(String.self, at: 0) }
        let head = try EventStore(connection: connection).head().position
        var generator = SeededGenerator(seed: 3)
        for customer in customers {
            for _ in 0..<4 {
                let position = Int64.random(in: 1...head, using: &generator)
                let state = try AuditState.build(
                    .customer(customer), cut: AuditCut(position: position), connection: connection)
                let months: [String: Double] = ["quarterly": 3, "semiannual": 6, "yearly": 12, "biennial": 24]
                var expected: [String: Int64] = [:]
                for row in state.subscriptions {
                    guard ["active", "past_due"].contains(row["status"]), row["plan_type"] != "free",
                        let currency = row["currency"], let amount = row["amount_cents"].flatMap(Int64.init)
                    else { continue }
                    let monthly = Int64(
                        (Double(amount) / (months[row["billing_cycle"] ?? ""] ?? 1)).rounded(.toNearestOrAwayFromZero))
                    expected[currency, default: 0] += monthly
                }
                let customerEvents = try EventStore(connection: connection).readCustomer(
                    customer, through: AuditCut(position: position))
                for (currency, off) in Self.discountsOff(customerEvents) { expected[currency, default: 0] -= off }
                let moved = try connection.query(Self.selectCustomerMovements, [customer, position])
                var actual: [String: Int64] = [:]
                for row in moved { actual[try row.decode(String.self, at: 0)] = try row.decode(Int64.self, at: 1) }
                #expect(actual == expected.filter { $0.value != 0 }, "\(customer) at \(position)")
            }
        }
    }

    @Test func aRebuildFromASnapshotAndAProjectorRestoredFromOneGiveTheMRRTablesOfEventOne() async throws {
        let ledger = GeneratedLedger(customers: 50, months: 10, duplicates: 0.2, shuffle: 0.3)
        let count = try ledger.eventCount
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mrr-snapshots-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        let policy = SnapshotPolicy(directory: SnapshotDirectory(url: url), every: 250)
        try await TestDatabase.withMigrated { database in
            try ledger.insertLicenses(database)
            try ledger.ingest(database, slice: 0..<count / 2)
            let first = try Projector(connect: database.connect, batchSize: 50, snapshots: policy).catchUp()
            #expect(!first.snapshotsWritten.isEmpty)
            let file = try SnapshotFile.open(URL(fileURLWithPath: try #require(first.snapshotsWritten.last)))
            #expect(file.meta.mrrMovements > 0)
            try ledger.ingest(database, slice: count / 2..<count)
            // Restored from the newest snapshot plus the log up to the checkpoint, then caught up.
            let second = try Projector(connect: database.connect, batchSize: 50, snapshots: policy).catchUp()
            #expect(second.snapshotPosition != nil)
            let projected = try mrrTables(database)
            try expectMRRMatchesTheRows(database)
            let fromSnapshot = try ProjectionRebuilder(
                connect: database.connect, snapshots: SnapshotPolicy(directory: SnapshotDirectory(url: url)),
                logger: Logger.quiet
            ).rebuild()
            #expect(fromSnapshot.snapshotPosition != nil)
            #expect(fromSnapshot.drift.allSatisfy { $0.total == 0 }, "\(fromSnapshot.drift)")
            #expect(try rebuild(database).drift.allSatisfy { $0.total == 0 })
            #expect(try mrrTables(database) == projected)
        }
    }
}

/// The MRR tables' content in key order, every column but the surrogate `id`, as text.
struct MRRTables: Equatable {
    var movements: [String]
    var daily: [String]
}

func mrrTables(_ database: TestDatabase) throws -> MRRTables {
    let connection = try database.connect()
    let movements = try connection.query(
        """
        SELECT concat_ws('|', stripe_subscription_id, coalesce(stripe_customer_id, '-'), day, kind, currency,
                         amount_cents, mrr_before_cents, mrr_after_cents, source_position)
        FROM mrr_movements ORDER BY source_position, stripe_subscription_id, kind
        """
    ).map { try $0.decode(String.self, at: 0) }
    let daily = try connection.query("SELECT mrr_daily::text FROM mrr_daily ORDER BY currency, day").map {
        try $0.decode(String.self, at: 0)
    }
    return MRRTables(movements: movements, daily: daily)
}
