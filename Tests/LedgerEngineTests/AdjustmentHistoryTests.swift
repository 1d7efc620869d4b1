import Foundation
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

@testable import LedgerPostgres

/// Refunds and disputes in `ledger history` and `ledger state` (issue 15 point 3): their events name no customer,
/// so an audit finds them by the customer's PaymentIntents and charges (`ledger.event_links`, migration 020), and
/// a refund or dispute naming only a charge through the charge → PaymentIntent link a charge event holds.
@Suite("refunds and disputes in history")
struct AdjustmentHistoryTests {
    typealias A = AdjustmentLifecycle

    /// Ingests the lifecycle in `shape` (its events in log order, rearranged by `order`) with its license, projects
    /// it, and answers each event's position by type and object (`refund.created re_…`).
    func loaded(
        _ shape: A.Shape, _ database: TestDatabase,
        order: ([[String: Any]]) -> [[String: Any]] = { $0 }
    ) throws -> [String: Int64] {
        try insertLicense(A.license, into: try database.connect())
        let ingestor = StripeIngestor(connection: try database.connect())
        var lines: [UInt8]? = try A.jsonLines(order(try A(shape).envelopes()))
        try ingestor.ingest(origin: "adjustments") {
            defer { lines = nil }
            return lines
        }
        _ = try ingestor.finish()
        _ = try rebuild(database)
        var positions: [String: Int64] = [:]
        for row in try database.connect().query("SELECT position, type, stream_id FROM ledger.events") {
            let stream = try row.decode(String.self, at: 2)
            let object = String(stream[stream.index(after: stream.firstIndex(of: ":") ?? stream.startIndex)...])
            positions["\(try row.decode(String.self, at: 1)) \(object)"] = try row.decode(Int64.self, at: 0)
        }
        return positions
    }

    /// The positions of these events, in log order.
    func positions(_ names: [String], in positions: [String: Int64]) throws -> [Int64] {
        try names.map { try #require(positions[$0], "\($0) in \(positions.keys.sorted())") }.sorted()
    }

    /// The events about the payment: its invoice, its intent, its charge, its refund and its dispute.
    static let paymentEvents = [
        "invoice.paid \(A.invoice)", "payment_intent.succeeded \(A.paymentIntent)", "charge.succeeded \(A.charge)",
        "refund.created \(A.refund)", "charge.dispute.created \(A.dispute)", "charge.dispute.closed \(A.dispute)",
    ]

    @Test(arguments: A.Shape.allCases)
    func aPaymentsHistoryShowsItsRefundAndItsLostDisputeWithTheColumnsTheyChanged(_ shape: A.Shape) async throws {
        try await TestDatabase.withMigrated { database in
            let positions = try loaded(shape, database)
            let connection = try database.connect()
            let history = try AuditHistory.build(
                .paymentIntent(A.paymentIntent), includePayments: false, connection: connection)
            #expect(history.entries.map(\.position) == (try self.positions(Self.paymentEvents, in: positions)))
            let byPosition = Dictionary(uniqueKeysWithValues: history.entries.map { ($0.position, $0) })
            func columns(_ name: String) throws -> [String: [String?]] {
                let position = try #require(positions[name], "\(name)")
                let entry = try #require(byPosition[position], "\(name)")
                #expect(entry.outcome == .applied, "\(name): \(entry.reason ?? "")")
                let changes = entry.changes.filter { $0.object == A.paymentIntent }
                return Dictionary(
                    uniqueKeysWithValues: changes.flatMap(\.columns).map { ($0.column, [$0.from, $0.to]) })
            }
            let refunded = try columns("refund.created \(A.refund)")
            #expect(refunded["refunded_amount_cents"] == ["0", "\(A.refunded)"])
            #expect(refunded["status"] == nil)
            // An open dispute returns no money: the row keeps its amount and status.
            let opened = try columns("charge.dispute.created \(A.dispute)")
            #expect(opened["refunded_amount_cents"] == nil && opened["status"] == nil)
            let lost = try columns("charge.dispute.closed \(A.dispute)")
            #expect(lost["refunded_amount_cents"] == ["\(A.refunded)", "\(A.amount)"])
            #expect(lost["status"] == ["succeeded", "refunded"])

            // The diffs add up to the live row, and the other customer's refund is not shown.
            let live = try LiveRows(connection)
            let row = try #require(live.payments.values.first { $0["stripe_payment_intent_id"] == A.paymentIntent })
            #expect(try AuditTests().fold(history, object: A.paymentIntent) == row)
            #expect(!history.entries.contains { $0.position == positions["refund.created \(A.otherRefund)"] })
            #expect(history.notes.isEmpty, "\(history.notes)")
        }
    }

    @Test(arguments: A.Shape.allCases)
    func theSubscriptionAndTheCustomerHistoriesShowThemToo(_ shape: A.Shape) async throws {
        try await TestDatabase.withMigrated { database in
            let positions = try loaded(shape, database)
            let connection = try database.connect()
            let expected = try self.positions(
                ["customer.subscription.created \(A.subscription)"] + Self.paymentEvents, in: positions)
            let subscription = try AuditHistory.build(
                .subscription(A.subscription), includePayments: true, connection: connection)
            #expect(subscription.entries.map(\.position) == expected)
            let customer = try AuditHistory.build(.customer(A.customer), includePayments: false, connection: connection)
            #expect(customer.entries.map(\.position) == expected)
            // Without its payments a subscription's history is its own stream, as before.
            let alone = try AuditHistory.build(
                .subscription(A.subscription), includePayments: false, connection: connection)
            #expect(alone.entries.map(\.position) == [positions["customer.subscription.created \(A.subscription)"]])

            // The other customer's refund names only its charge: found through that customer's charge event.
            let other = try AuditHistory.build(
                .customer(A.otherCustomer), includePayments: false, connection: connection)
            let otherExpected = try self.positions(
                ["charge.succeeded \(A.otherCharge)", "refund.created \(A.otherRefund)"], in: positions)
            #expect(other.entries.map(\.position) == otherExpected)
            let refund = try #require(other.entries.last?.changes.first { $0.object == A.otherPaymentIntent })
            #expect(
                refund.columns.contains { $0.column == "refunded_amount_cents" && $0.from == "0" && $0.to == "300" })
        }
    }

    /// A dispute naming only its charge, logged before the charge event that ties the charge to its intent: the
    /// payment's history still lists it (it is about the payment), and the money it returned shows at the charge
    /// event, where the live projection counted it.
    @Test(arguments: A.Shape.allCases)
    func aDisputeLoggedBeforeItsChargeIsListedAndCountedAtTheCharge(_ shape: A.Shape) async throws {
        try await TestDatabase.withMigrated { database in
            // subscription, invoice, intent, dispute opened and lost, charge, the other customer's two, refund.
            let positions = try loaded(shape, database) { events in
                Array(events[0..<3]) + Array(events[7...8]) + [events[3]] + Array(events[4...6])
            }
            let connection = try database.connect()
            let history = try AuditHistory.build(
                .paymentIntent(A.paymentIntent), includePayments: false, connection: connection)
            #expect(history.entries.map(\.position) == (try self.positions(Self.paymentEvents, in: positions)))
            let byPosition = Dictionary(uniqueKeysWithValues: history.entries.map { ($0.position, $0) })
            func change(_ name: String, _ column: String) throws -> [String?]? {
                let position = try #require(positions[name], "\(name)")
                let entry = try #require(byPosition[position], "\(name)")
                let columns = entry.changes.filter { $0.object == A.paymentIntent }.flatMap(\.columns)
                return columns.first { $0.column == column }.map { [$0.from, $0.to] }
            }
            let returned = A.amount - A.refunded
            // The 2026 intent names the charge (`latest_charge`), which ties it before the dispute; the 2020 one does not.
            let tiedByTheIntent = shape == .v2026_07_29
            #expect(
                try change("charge.dispute.closed \(A.dispute)", "refunded_amount_cents")
                    == (tiedByTheIntent ? ["0", "\(returned)"] : nil))
            #expect(
                try change("charge.succeeded \(A.charge)", "refunded_amount_cents")
                    == (tiedByTheIntent ? nil : ["0", "\(returned)"]))
            #expect(
                try change("refund.created \(A.refund)", "refunded_amount_cents") == ["\(returned)", "\(A.amount)"])
            #expect(try change("refund.created \(A.refund)", "status") == ["succeeded", "refunded"])
            let live = try LiveRows(connection)
            let row = try #require(live.payments.values.first { $0["stripe_payment_intent_id"] == A.paymentIntent })
            #expect(try AuditTests().fold(history, object: A.paymentIntent) == row)
        }
    }

    /// `ledger state` replays the same events: at the dispute's opening the refund counts and the dispute not yet.
    @Test(arguments: A.Shape.allCases)
    func stateAtAPositionCountsTheAdjustmentsBeforeIt(_ shape: A.Shape) async throws {
        try await TestDatabase.withMigrated { database in
            let positions = try loaded(shape, database)
            let connection = try database.connect()
            let opened = try #require(positions["charge.dispute.created \(A.dispute)"])
            let before = try AuditState.build(
                .paymentIntent(A.paymentIntent), cut: AuditCut(position: opened), connection: connection)
            let payment = try #require(
                before.paymentTransactions.first { $0["stripe_payment_intent_id"] == A.paymentIntent })
            #expect(payment["refunded_amount_cents"] == "\(A.refunded)" && payment["status"] == "succeeded")
            let after = try AuditState.build(.paymentIntent(A.paymentIntent), cut: .everything, connection: connection)
            let closed = try #require(
                after.paymentTransactions.first { $0["stripe_payment_intent_id"] == A.paymentIntent })
            #expect(closed["refunded_amount_cents"] == "\(A.amount)" && closed["status"] == "refunded")
        }
    }

    /// The lookup is two index range scans of `ledger.event_links` (a BitmapOr, migration 020), then the events by
    /// the primary key of the partition holding them, not a read of the log: checked on a log of 20 000 events,
    /// 2 % of them refunds, as the planner sees it.
    @Test func theLookupUsesTheAdjustmentIndexes() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            // Filler rows straight into the throwaway log (no chain: only the plan is asked for); the key trigger
            // records their links.
            try connection.execute(
                """
                INSERT INTO ledger.events (position, event_id, stream_id, stream_version, type, source, occurred_at,
                                           recorded_at, body, hash)
                SELECT g, gen_random_uuid(), 'filler:' || g, 1,
                       CASE WHEN g % 50 = 0 THEN 'refund.created' ELSE 'charge.succeeded' END, 'stripe', now(), now(),
                       convert_to('{"data":{"object":{"id":"re_' || g || '","charge":"ch_' || g
                                  || '","payment_intent":"pi_' || g || '"}}}', 'UTF8'),
                       decode(repeat('00', 32), 'hex')
                FROM generate_series(1, 20000) g;
                ANALYZE ledger.events, ledger.event_links;
                """)
            func plan(_ sql: String, _ parameters: [any PostgresEncodable]) throws -> String {
                try connection.query("EXPLAIN " + sql, parameters).map { try $0.decode(String.self, at: 0) }
                    .joined(separator: "\n")
            }
            let positions = try plan(
                EventStore.selectAdjustmentPositions,
                [PostgresArrayLiteral.make(["pi_50"]), PostgresArrayLiteral.make(["ch_100"]), Int64.max, 1_001])
            #expect(positions.contains("Bitmap Index Scan on event_links_pkey"), "\(positions)")
            #expect(!positions.contains("Seq Scan"), "\(positions)")
            // The log is partitioned (migration 018): only the partition holding the positions is read.
            let events = try plan(
                EventStore.selectEventsAtPositions, [PostgresArrayLiteral.make(["50", "100"]), "infinity"])
            #expect(events.contains("Index Scan using events_p000001_pkey on events_p000001"), "\(events)")
            #expect(!events.contains("Seq Scan"), "\(events)")
            let found = try EventStore(connection: connection).readAdjustments(
                paymentIntents: ["pi_50"], charges: ["ch_100", "ch_101"], through: .everything)
            #expect(found.map(\.position) == [50, 100])
        }
    }

    /// The link functions (007, 014) catch every error, which opens a subtransaction, and PostgreSQL refuses
    /// those in a parallel query: labelled PARALLEL SAFE until migration 019, they failed any query of the log
    /// that the planner ran in parallel ("cannot start subtransactions during a parallel operation").
    @Test func theLinkFunctionsWorkInQueriesThePlannerWouldRunInParallel() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try connection.execute(
                """
                INSERT INTO ledger.events (position, event_id, stream_id, stream_version, type, source, occurred_at,
                                           recorded_at, body, hash)
                SELECT g, gen_random_uuid(), 'filler:' || g, 1,
                       CASE WHEN g % 2 = 0 THEN 'refund.created' ELSE 'invoice_payment.paid' END, 'stripe', now(), now(),
                       convert_to('{"data":{"object":{"invoice":"in_' || g || '","charge":"ch_' || g || '"}}}', 'UTF8'),
                       decode(repeat('00', 32), 'hex')
                FROM generate_series(1, 2000) g;
                ANALYZE ledger.events;
                SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
                SET max_parallel_workers_per_gather = 2;
                """)
            for function in ["invoice_payment_link(body, 'invoice')", "adjustment_link(body, 'charge')"] {
                let counted = try connection.query("SELECT count(ledger.\(function)) FROM ledger.events")
                #expect(try counted[0].decode(Int64.self, at: 0) == 2_000, "\(function)")
            }
            // Without the functions the same settings do give a parallel plan: the test can fail.
            let plan = try connection.query("EXPLAIN SELECT count(*) FROM ledger.events WHERE type LIKE 'refund.%'")
                .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            #expect(plan.contains("Gather"), "\(plan)")
        }
    }
}
