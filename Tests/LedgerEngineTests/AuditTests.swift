import Foundation
import LedgerCore
import LedgerEngine
import LedgerGenerator
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("history and point-in-time state")
struct AuditTests {
    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func historyListsExactlyTheSubscriptionsEventsAndItsDiffsRebuildTheLiveRows(
        _ apiVersion: HistoryGenerator.APIVersion
    ) async throws {
        try await TestDatabase.withMigrated { database in
            let ledger = GeneratedLedger(
                customers: 24, months: 10, duplicates: 0.1, shuffle: 0.2, apiVersion: apiVersion)
            try ledger.load(database)
            _ = try rebuild(database)
            let connection = try database.connect()
            let live = try LiveRows(connection)
            var outcomes: [String: Int] = [:]
            for subscription in live.subscriptions.values {
                let id = try #require(subscription["stripe_subscription_id"] ?? nil)
                let history = try AuditHistory.build(.subscription(id), includePayments: false, connection: connection)
                let expected = try connection.query(
                    "SELECT position FROM ledger.events WHERE stream_id = $1 ORDER BY position",
                    [StreamID.subscription(id).description]
                ).map { try $0.decode(Int64.self, at: 0) }
                #expect(history.entries.map(\.position) == expected)
                for entry in history.entries {
                    outcomes[entry.reason.map { String($0.prefix(5)) } ?? "applied", default: 0] += 1
                }
                #expect(try fold(history, object: id) == subscription, "\(id)")

                let withPayments = try AuditHistory.build(
                    .subscription(id), includePayments: true, connection: connection)
                #expect(Set(expected).isSubset(of: withPayments.entries.map(\.position)))
                let rowID = try #require(subscription["id"] ?? nil)
                for payment in live.payments.values where payment["subscription_id"] == rowID {
                    let paymentID = try #require(payment["stripe_payment_intent_id"] ?? nil)
                    #expect(try fold(withPayments, object: paymentID) == payment, "\(paymentID) of \(id)")
                }
            }
            // The shuffled delivery makes some subscription events arrive after newer ones.
            #expect(outcomes["stale", default: 0] > 0, "\(outcomes)")
        }
    }

    @Test func aReplayedStripeEventIsShownAsAnIgnoredDuplicate() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 6, months: 4).load(database)
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            let stream = try connection.query(
                "SELECT stream_id FROM ledger.events WHERE stream_id LIKE 'subscription:%' ORDER BY position LIMIT 1")[
                    0
                ]
                .decode(String.self, at: 0)
            let original = try #require(try store.readStream(stream).last)
            // The same Stripe event again, imported under another source (a manual backfill).
            let copy = NewEvent(
                eventID: UUID(), streamID: stream, type: original.type, source: "backfill",
                sourceEventID: original.sourceEventID, occurredAt: original.occurredAt,
                customerID: original.customerID, body: original.body)
            _ = try store.append(AppendBatch(events: [copy]), recordedAt: EventTime(Date()))
            let history = try AuditHistory.build(
                .subscription(try #require(StreamID.key(of: stream, in: .subscription))), includePayments: false,
                connection: connection)
            let last = try #require(history.entries.last)
            #expect(last.source == "backfill")
            #expect(last.outcome == .ignored)
            #expect(last.reason?.hasPrefix("duplicate") == true)
            #expect(last.changes.isEmpty)
        }
    }

    @Test func stateAsOfTwentyInstantsEqualsTheLiveProjectionCapturedThen() async throws {
        try await TestDatabase.withMigrated { database in
            let ledger = GeneratedLedger(customers: 20, months: 12, seed: 4, duplicates: 0.05, shuffle: 0.1)
            try ledger.insertLicenses(database)
            let count = try ledger.eventCount
            let seed = TestSeed.value(default: 20)
            var random = SeededGenerator(seed: seed)
            let cuts = ([0] + (0..<20).map { _ in Int.random(in: 1..<count, using: &random) } + [count]).sorted()
            let connection = try database.connect()
            var captures: [(time: EventTime, position: Int64, rows: LiveRows)] = []
            for (slice, (start, end)) in zip(cuts, cuts.dropFirst()).enumerated() where start < end {
                // An injected clock: each slice is recorded a second after the one before, and captured then.
                let recordedAt = EventTime(secondsSinceEpoch: 1_893_456_000 + Int64(slice))
                try ledger.ingest(database, slice: start..<end) { recordedAt }
                _ = try project(database)
                let position = try EventStore(connection: connection).head().position
                captures.append((recordedAt, position, try LiveRows(connection)))
            }
            let customers = try connection.query(
                "SELECT DISTINCT customer_id FROM ledger.events WHERE customer_id IS NOT NULL"
            ).map { try $0.decode(String.self, at: 0) }
            for capture in captures {
                for cut in [AuditCut(recordedAt: capture.time), AuditCut(position: capture.position)] {
                    var subscriptions: [String: Row] = [:]
                    var payments: [String: Row] = [:]
                    for customer in customers {
                        let state = try AuditState.build(.customer(customer), cut: cut, connection: connection)
                        for row in state.subscriptions { subscriptions[row["id"] ?? ""] = row.normalized }
                        for row in state.paymentTransactions { payments[row["id"] ?? ""] = row.normalized }
                    }
                    let subscriptionDifferences = differences(subscriptions, capture.rows.subscriptions)
                    let paymentDifferences = differences(payments, capture.rows.payments)
                    #expect(subscriptionDifferences.isEmpty, "seed \(seed), at \(cut): \(subscriptionDifferences)")
                    #expect(paymentDifferences.isEmpty, "seed \(seed), at \(cut): \(paymentDifferences)")
                }
            }
        }
    }

    @Test func referencesResolveOrFailClearly() async throws {
        try await TestDatabase.withMigrated { database in
            try GeneratedLedger(customers: 4, months: 3).load(database)
            _ = try rebuild(database)
            let connection = try database.connect()
            let row = try connection.query(
                "SELECT id, stripe_subscription_id FROM subscriptions ORDER BY id LIMIT 1", resultFormat: .binary)[0]
            let rowID = try row.decode(UUID.self, at: 0)
            let stripeID = try row.decode(String.self, at: 1)
            let byUUID = try AuditHistory.build(
                .subscriptionRowID(rowID), includePayments: false, connection: connection)
            let byStripeID = try AuditHistory.build(
                .subscription(stripeID), includePayments: false, connection: connection)
            #expect(byUUID.entries.map(\.position) == byStripeID.entries.map(\.position))
            #expect(throws: AuditReferenceNotFound.self) {
                try AuditHistory.build(.subscription("sub_nothing"), includePayments: false, connection: connection)
            }
            #expect(throws: AuditReferenceNotFound.self) {
                try AuditState.build(.subscriptionRowID(UUID()), cut: .everything, connection: connection)
            }
            #expect(throws: InvalidAuditReference.self) { try AuditReference(parsing: "in_123") }
            #expect(try AuditReference(parsing: " cus_42 ") == .customer("cus_42"))
        }
    }

    /// Folds a history's changes of one object, checking each change starts from the value before it.
    func fold(_ history: AuditHistory, object: String) throws -> Row {
        var row: Row = [:]
        for entry in history.entries {
            for change in entry.changes where change.object == object {
                for column in change.columns {
                    #expect(
                        (row[column.column] ?? nil) == column.from, "\(object) \(column.column) at \(entry.position)")
                    row[column.column] = column.to
                }
            }
        }
        return row.filter { $0.value != nil }.mapValues { $0 }.normalizedMetadata
    }
}

typealias Row = [String: String?]

/// Each row id whose columns differ between the replayed and the live rows, with those columns.
func differences(_ replayed: [String: Row], _ live: [String: Row]) -> [String] {
    Set(replayed.keys).union(live.keys).sorted().compactMap { id in
        let ours = replayed[id] ?? [:]
        let theirs = live[id] ?? [:]
        let columns = Set(ours.keys).union(theirs.keys).sorted().filter { (ours[$0] ?? nil) != (theirs[$0] ?? nil) }
        guard !columns.isEmpty else { return nil }
        let detail = columns.map { "\($0): \((ours[$0] ?? nil) ?? "null") vs live \((theirs[$0] ?? nil) ?? "null")" }
        return "\(id) " + detail.joined(separator: ", ")
    }
}

/// The live projected tables, every value as audit columns write it, by row id.
struct LiveRows: Equatable {
    var subscriptions: [String: Row]
    var payments: [String: Row]

    static let times: Set<String> = [
        "current_period_start", "current_period_end", "canceled_at", "trial_start", "trial_end", "created_at",
        "updated_at", "processed_at",
    ]

    init(_ connection: PostgresConnection) throws {
        subscriptions = try Self.read("subscriptions", ProjectedTable.subscriptions.columns.map(\.name), connection)
        payments = try Self.read(
            "payment_transactions", ProjectedTable.paymentTransactions.columns.map(\.name), connection)
    }

    static func read(_ table: String, _ columns: [String], _ connection: PostgresConnection) throws -> [String: Row] {
        let list = columns.map { column in
            times.contains(column)
                ? "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')" : "\(column)::text"
        }
        var rows: [String: Row] = [:]
        for result in try connection.query("SELECT \(list.joined(separator: ", ")) FROM \(table)") {
            var row: Row = [:]
            for (index, column) in columns.enumerated() {
                if let value = try result.decode(String?.self, at: index) { row[column] = value }
            }
            rows[row["id"].flatMap { $0 } ?? ""] = row.normalizedMetadata
        }
        return rows
    }
}

extension AuditRow {
    /// The non-NULL columns, metadata normalized, as ``LiveRows`` holds them.
    var normalized: Row {
        var row: Row = [:]
        for column in columns { if let value = column.value { row[column.column] = value } }
        return row.normalizedMetadata
    }
}

extension Dictionary where Key == String, Value == String? {
    /// `metadata` re-serialized with sorted keys, so jsonb's key order and ours compare equal.
    var normalizedMetadata: Row {
        guard let text = self["metadata"] ?? nil, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return self }
        var copy = self
        copy["metadata"] = String(decoding: data, as: UTF8.self)
        return copy
    }
}
