import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("projection writer")
struct ProjectionWriterTests {
    static let licenseID = UUID(uuidString: "00000000-0000-0000-0000-0000000000a1") ?? UUID()
    static let seed = """
        INSERT INTO users (id, email, password_hash) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com', 'x');
        INSERT INTO licenses (id, user_id, license_key, plan_type)
          VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'KEY-1', 'pro');
        """

    func subscription(_ index: Int, amount: Int32 = 4900, status: SubscriptionStatus = .active) -> SubscriptionRow {
        let time = EventTime(secondsSinceEpoch: 1_735_689_600 + Int64(index))
        return SubscriptionRow(
            id: UUID(version5Name: "sub_\(index)"), licenseID: Self.licenseID, stripeSubscriptionID: "sub_\(index)",
            stripeCustomerID: "cus_\(index)", status: status, planType: .pro, billingCycle: .monthly,
            amountCents: amount, currency: "USD", currentPeriodStart: time, currentPeriodEnd: nil,
            cancelAtPeriodEnd: index % 2 == 0, canceledAt: nil, trialStart: nil, trialEnd: nil, createdAt: time,
            updatedAt: time, metadata: #"{"license_id":"x","plan_type":"pro"}"#)
    }

    func payment(_ index: Int, subscription: Int?) -> PaymentTransactionRow {
        let time = EventTime(secondsSinceEpoch: 1_735_689_600 + Int64(index))
        return PaymentTransactionRow(
            id: UUID(version5Name: "pi_\(index)"), subscriptionID: subscription.map { UUID(version5Name: "sub_\($0)") },
            stripePaymentIntentID: "pi_\(index)", stripeInvoiceID: "in_\(index)", amountCents: 4900, currency: "EUR",
            status: .succeeded, paymentMethod: "card", failureReason: nil, refundedAmountCents: 0, processedAt: time,
            createdAt: time, updatedAt: time, metadata: "{}")
    }

    func replace(
        _ connection: PostgresConnection, _ subscriptions: [SubscriptionRow], _ payments: [PaymentTransactionRow]
    )
        throws -> [TableDrift]
    {
        try connection.transaction {
            try ProjectionWriter(connection: connection).replaceAll(subscriptions: subscriptions, payments: payments)
        }
    }

    @Test func replaceAllReportsExactlyTheRowsThatDifferAndKeepsForeignKeys() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try connection.execute(Self.seed)
            let subscriptions = (0..<20).map { subscription($0) }
            let payments = (0..<30).map { payment($0, subscription: $0 < 20 ? $0 : nil) }
            let first = try replace(connection, subscriptions, payments)
            #expect(
                first == [
                    TableDrift(table: "subscriptions", inserted: 20, updated: 0, deleted: 0),
                    TableDrift(table: "payment_transactions", inserted: 30, updated: 0, deleted: 0),
                ])
            // Another table points at a projected subscription; the rebuild must keep the row in place.
            try connection.execute(
                """
                INSERT INTO affiliates (id, user_id, referral_code) VALUES ('00000000-0000-0000-0000-0000000000f1',
                  '00000000-0000-0000-0000-000000000001', 'REF1');
                INSERT INTO referrals (affiliate_id, referred_user_id, subscription_id)
                  VALUES ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-000000000001', '\(UUID(version5Name: "sub_3").uuidString)');
                """)
            let digestBefore = try TableDigester(connection: connection).digest(table: "subscriptions")
            #expect(try replace(connection, subscriptions, payments).allSatisfy { $0.total == 0 })
            #expect(try TableDigester(connection: connection).digest(table: "subscriptions") == digestBefore)

            var changed = subscriptions
            changed[3].amountCents = 9900
            changed[5].status = .canceled
            changed.remove(at: 19)
            changed.append(subscription(20))
            // As a projection would: the payment of the vanished subscription loses its link.
            var changedPayments = Array(payments.dropLast())
            changedPayments[19].subscriptionID = nil
            let drift = try replace(connection, changed, changedPayments)
            #expect(
                drift == [
                    TableDrift(table: "subscriptions", inserted: 1, updated: 2, deleted: 1),
                    TableDrift(table: "payment_transactions", inserted: 0, updated: 1, deleted: 1),
                ])
            let referral = try connection.query("SELECT subscription_id::text FROM referrals")[0]
            #expect(try referral.decode(String.self, at: 0) == UUID(version5Name: "sub_3").uuidString.lowercased())
        }
    }

    @Test func rowsWrittenByTheWriterDigestLikeRowsInsertedBySQL() async throws {
        try await TestDatabase.withMigrated { viaWriter in
            try await TestDatabase.withMigrated { viaSQL in
                let writer = try viaWriter.connect()
                let sql = try viaSQL.connect()
                try writer.execute(Self.seed)
                try sql.execute(Self.seed)
                _ = try replace(writer, [subscription(1)], [])
                try sql.execute(
                    """
                    INSERT INTO subscriptions VALUES ('\(UUID(version5Name: "sub_1").uuidString)',
                      '00000000-0000-0000-0000-0000000000a1', 'sub_1', 'cus_1', 'active', 'pro', 'monthly', 4900, 'USD',
                      '2025-01-01T00:00:01Z', NULL, false, NULL, NULL, NULL, '2025-01-01T00:00:01Z',
                      '2025-01-01T00:00:01Z', '{"plan_type": "pro", "license_id": "x"}')
                    """)
                #expect(
                    try TableDigester(connection: writer).digest(table: "subscriptions")
                        == TableDigester(connection: sql).digest(table: "subscriptions"))
            }
        }
    }

    @Test func upsertInsertsAndUpdatesButNeverDeletes() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try connection.execute(Self.seed)
            _ = try replace(connection, [subscription(1), subscription(2)], [])
            let drift = try connection.transaction {
                try ProjectionWriter(connection: connection).upsert(
                    subscriptions: [subscription(2, amount: 100), subscription(3)],
                    payments: [payment(1, subscription: 3)])
            }
            #expect(
                drift == [
                    TableDrift(table: "subscriptions", inserted: 1, updated: 1, deleted: 0),
                    TableDrift(table: "payment_transactions", inserted: 1, updated: 0, deleted: 0),
                ])
            #expect(try connection.query("SELECT count(*) FROM subscriptions")[0].decode(Int.self, at: 0) == 3)
        }
    }
}
