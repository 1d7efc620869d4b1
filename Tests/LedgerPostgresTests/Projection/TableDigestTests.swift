import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("table digests")
struct TableDigestTests {
    static let seed = """
        INSERT INTO users (id, email, password_hash) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com', 'x');
        INSERT INTO licenses (id, user_id, license_key, plan_type)
          VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'KEY-1', 'pro');
        """

    func insertSubscriptions(_ connection: PostgresConnection, order: [Int]) throws {
        for index in order {
            try connection.query(
                """
                INSERT INTO subscriptions (id, license_id, stripe_subscription_id, status, plan_type, billing_cycle,
                  amount_cents, currency, created_at, updated_at, metadata)
                VALUES ($1, '00000000-0000-0000-0000-0000000000a1', $2, 'active', 'pro', 'monthly', $3, 'USD',
                  '2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z', $4::jsonb)
                """,
                [
                    UUID(version5Name: "sub_\(index)").uuidString, "sub_\(index)", 100 * index,
                    #"{"n": \#(index), "tag": "t"}"#,
                ])
        }
    }

    @Test func digestIgnoresInsertionOrderButSeesEveryColumn() async throws {
        try await TestDatabase.withMigrated { first in
            try await TestDatabase.withMigrated { second in
                let a = try first.connect()
                let b = try second.connect()
                try a.execute(Self.seed)
                try b.execute(Self.seed)
                try insertSubscriptions(a, order: Array(0..<25))
                try insertSubscriptions(b, order: Array((0..<25).reversed()))
                // A different session time zone must not change the digest.
                try b.execute("SET TimeZone = 'America/New_York'")
                let digestA = try TableDigester(connection: a).digest(table: "subscriptions")
                let digestB = try TableDigester(connection: b).digest(table: "subscriptions")
                #expect(digestA.rows == 25)
                #expect(digestA == digestB)
                #expect(try TableDigester(connection: a).digest(table: "payment_transactions").rows == 0)

                for change in [
                    "UPDATE subscriptions SET amount_cents = amount_cents + 1 WHERE stripe_subscription_id = 'sub_7'",
                    "UPDATE subscriptions SET metadata = '{\"n\": 7}' WHERE stripe_subscription_id = 'sub_7'",
                    "UPDATE subscriptions SET canceled_at = '2025-03-01T00:00:00Z' WHERE stripe_subscription_id = 'sub_7'",
                    "UPDATE subscriptions SET updated_at = updated_at + interval '1 microsecond' WHERE stripe_subscription_id = 'sub_7'",
                ] {
                    try b.execute("BEGIN; \(change)")
                    #expect(try TableDigester(connection: b).digest(table: "subscriptions") != digestA, "\(change)")
                    try b.execute("ROLLBACK")
                }
                #expect(try TableDigester(connection: b).digest(table: "subscriptions") == digestA)
            }
        }
    }

    @Test func digestReadsManyRowsInBoundedBatches() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try connection.execute(Self.seed)
            try connection.execute(
                """
                INSERT INTO subscriptions (license_id, stripe_subscription_id, status, plan_type, billing_cycle, amount_cents)
                SELECT '00000000-0000-0000-0000-0000000000a1', 'sub_' || n, 'active', 'starter', 'yearly', n
                FROM generate_series(1, 25000) AS n
                """)
            let digest = try TableDigester(connection: connection).digest(table: "subscriptions")
            #expect(digest.rows == 25_000)
            #expect(digest.sha256.count == 64)
            #expect(throws: PostgresError.self) {
                try TableDigester(connection: connection).digest(table: "no_such_table")
            }
        }
    }
}
