import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The seed schema as the database reports it after `migrate up`, read from the
/// catalogs rather than from the SQL files.
@Suite("billing schema")
struct SchemaTests {
    struct Column: Equatable, CustomStringConvertible {
        var name: String
        var type: String
        var nullable: Bool
        var defaultValue: String?
        var description: String { "\(name) \(type) \(nullable ? "NULL" : "NOT NULL") \(defaultValue ?? "-")" }
    }

    func columns(_ table: String, _ connection: PostgresConnection) throws -> [Column] {
        try connection.query(
            """
            SELECT column_name, format_type(a.atttypid, a.atttypmod), is_nullable = 'YES', column_default
            FROM information_schema.columns c
            JOIN pg_attribute a ON a.attrelid = ('public.' || c.table_name)::regclass AND a.attname = c.column_name
            WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position
            """, [table]
        ).map {
            Column(
                name: try $0.decode(at: 0), type: try $0.decode(at: 1), nullable: try $0.decode(at: 2),
                defaultValue: try $0.decode(at: 3))
        }
    }

    /// The projected tables' columns, types, lengths and nullability are checked once, against their one
    /// definition (`ProjectedTableSchemaTests`); what the seed adds for other writers is its defaults.
    @Test func projectedTablesKeepTheSeedDefaults() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            let shared = [
                "id": "uuid_generate_v4()", "currency": "'USD'::character varying", "created_at": "now()",
                "updated_at": "now()", "metadata": "'{}'::jsonb",
            ]
            let expected = [
                "subscriptions": shared.merging(["cancel_at_period_end": "false"]) { $1 },
                "payment_transactions": shared.merging(["refunded_amount_cents": "0"]) { $1 },
            ]
            for (table, defaults) in expected {
                let catalog = try columns(table, connection)
                let actual = Dictionary(
                    uniqueKeysWithValues: catalog.compactMap { column in
                        column.defaultValue.map { (column.name, $0) }
                    })
                #expect(actual == defaults, "\(table)")
            }
        }
    }

    @Test func everyTableForeignKeyUniqueAndIndexExists() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            let tables = try Set(
                connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").map {
                    try $0.decode(String.self, at: 0)
                })
            for table in [
                "users", "licenses", "teams", "team_members", "subscriptions", "payment_transactions",
                "affiliates", "referrals", "commissions", "mrr_movements", "mrr_daily", "schema_migrations",
            ] {
                #expect(tables.contains(table), "missing table \(table)")
            }
            for column in ["id", "email", "password_hash", "created_at", "updated_at"] {
                #expect(try columns("users", connection).contains { $0.name == column }, "users.\(column)")
            }
            for column in ["id", "user_id", "license_key", "plan_type", "status"] {
                #expect(try columns("licenses", connection).contains { $0.name == column }, "licenses.\(column)")
            }

            // Foreign keys and what deleting the parent does: c = cascade, n = set null.
            let foreignKeys = try Dictionary(
                uniqueKeysWithValues: connection.query(
                    """
                    SELECT conrelid::regclass::text || '.' || a.attname, confrelid::regclass::text || ':' || confdeltype::text
                    FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                    WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
                    """
                ).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) })
            #expect(foreignKeys["subscriptions.license_id"] == "licenses:c")
            #expect(foreignKeys["payment_transactions.subscription_id"] == "subscriptions:n")
            #expect(foreignKeys["licenses.user_id"] == "users:c")

            let uniqueColumns = try Set(
                connection.query(
                    """
                    SELECT conrelid::regclass::text || '.' || a.attname
                    FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                    WHERE c.contype = 'u' AND array_length(c.conkey, 1) = 1
                    """
                ).map { try $0.decode(String.self, at: 0) })
            for column in [
                "subscriptions.stripe_subscription_id", "payment_transactions.stripe_payment_intent_id",
                "users.email", "licenses.license_key",
            ] {
                #expect(uniqueColumns.contains(column), "\(column) should be UNIQUE")
            }

            let indexes = try Set(
                connection.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").map {
                    try $0.decode(String.self, at: 0)
                })
            #expect(indexes.contains("idx_subscriptions_stripe_subscription_id"))
            #expect(indexes.contains("idx_subscriptions_stripe_customer_id"))
        }
    }

    @Test func everyCheckConstraintRejectsABadRow() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            try connection.execute(
                """
                INSERT INTO users (id, email, password_hash) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com', 'x');
                INSERT INTO licenses (id, user_id, license_key, plan_type)
                  VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'KEY-1', 'pro');
                """)
            let license = "00000000-0000-0000-0000-0000000000a1"
            let insertSubscription = """
                INSERT INTO subscriptions (license_id, stripe_subscription_id, status, plan_type, billing_cycle, amount_cents)
                VALUES ($1, $2, $3, $4, $5, $6)
                """
            try connection.query(insertSubscription, [license, "sub_ok", "active", "pro", "monthly", 4900])
            // Stripe's own `paused` status is allowed (migration 005).
            try connection.query(insertSubscription, [license, "sub_paused", "paused", "pro", "monthly", 4900])
            let badSubscriptions: [(String, String, String, Int)] = [
                ("bogus", "pro", "monthly", 100), ("active", "platinum", "monthly", 100),
                ("active", "pro", "weekly", 100), ("active", "pro", "monthly", -1),
            ]
            for (index, bad) in badSubscriptions.enumerated() {
                let error = try #require(throws: PostgresError.self) {
                    try connection.query(insertSubscription, [license, "sub_bad\(index)", bad.0, bad.1, bad.2, bad.3])
                }
                #expect(error.isCheckViolation, "\(bad) gave \(error)")
            }
            let duplicate = try #require(throws: PostgresError.self) {
                try connection.query(insertSubscription, [license, "sub_ok", "active", "pro", "monthly", 4900])
            }
            #expect(duplicate.isUniqueViolation)

            let insertPayment = """
                INSERT INTO payment_transactions (stripe_payment_intent_id, amount_cents, status, refunded_amount_cents)
                VALUES ($1, $2, $3, $4)
                """
            try connection.query(insertPayment, ["pi_ok", 100, "succeeded", 0])
            for (index, bad) in [(-1, "succeeded", 0), (100, "settled", 0), (100, "refunded", -5)].enumerated() {
                let error = try #require(throws: PostgresError.self) {
                    try connection.query(insertPayment, ["pi_bad\(index)", bad.0, bad.1, bad.2])
                }
                #expect(error.isCheckViolation, "\(bad) gave \(error)")
            }
            let badLicense = try #require(throws: PostgresError.self) {
                try connection.query(
                    "INSERT INTO licenses (user_id, license_key, plan_type) VALUES ($1, $2, $3)",
                    ["00000000-0000-0000-0000-000000000001", "KEY-2", "gold"])
            }
            #expect(badLicense.isCheckViolation)
        }
    }

    @Test func deletingParentsCascadesAndNullsAsDeclared() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try database.migrationRunner(connection).up()
            try connection.execute(
                """
                INSERT INTO users (id, email, password_hash) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com', 'x');
                INSERT INTO licenses (id, user_id, license_key, plan_type)
                  VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'KEY-1', 'pro');
                INSERT INTO subscriptions (id, license_id, status, plan_type, billing_cycle, amount_cents)
                  VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', 'active', 'pro', 'monthly', 4900);
                INSERT INTO payment_transactions (subscription_id, amount_cents, status)
                  VALUES ('00000000-0000-0000-0000-0000000000b1', 4900, 'succeeded');
                DELETE FROM licenses;
                """)
            let row = try connection.query(
                "SELECT (SELECT count(*) FROM subscriptions), (SELECT count(*) FROM payment_transactions WHERE subscription_id IS NULL)"
            )[0]
            #expect(try row.decode(Int.self, at: 0) == 0)
            #expect(try row.decode(Int.self, at: 1) == 1)
        }
    }
}
