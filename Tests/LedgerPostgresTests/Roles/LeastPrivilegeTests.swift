import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The roles of docs/operations.md hold what they are given and nothing more, and the head of the
/// log follows the stored events for every role, the owner included (migration 010).
@Suite("least privilege")
struct LeastPrivilegeTests {
    /// `$1` position, `$2` stream id, `$3` chain hash: a forged event, written past the event store.
    static let insertEventAt = """
        INSERT INTO ledger.events (position, event_id, stream_id, stream_version, type, source,
                                   occurred_at, recorded_at, body, hash)
        VALUES ($1, gen_random_uuid(), $2, 1, 'test.forged', 'ledger', now(), now(), '\\x7b7d', $3)
        """
    /// `$1` role name: every table of schemas ledger and public the role may write, with how.
    static let writableTables = """
        SELECT n.nspname || '.' || c.relname || ' ' || p.privilege
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
         WHERE n.nspname IN ('ledger', 'public') AND c.relkind IN ('r', 'p')
           AND CASE WHEN p.privilege IN ('INSERT', 'UPDATE') THEN has_any_column_privilege($1, c.oid, p.privilege)
                    ELSE has_table_privilege($1, c.oid, p.privilege) END
         ORDER BY 1
        """
    /// `$1` role name: functions of schema ledger the role may execute that are SECURITY DEFINER.
    static let executableDefinerFunctions = """
        SELECT p.proname FROM pg_proc p
         WHERE p.pronamespace = 'ledger'::regnamespace AND p.prosecdef AND has_function_privilege($1, p.oid, 'EXECUTE')
         ORDER BY 1
        """

    static let hash = [UInt8](repeating: 0xAB, count: 32)

    func writable(_ roles: DocumentedRoles, by role: String) throws -> [String] {
        let admin = try PostgresConnection(url: try roles.url(as: "owner"))
        // Sorted here: the database's collation may order punctuation differently.
        return try admin.query(Self.writableTables, ["\(roles.prefix)_\(role)"]).map { try $0.decode(at: 0) }.sorted()
    }

    func head(_ connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT position FROM ledger.head")[0].decode(at: 0)
    }

    @Test func theAppenderAppendsThroughTheEventStoreAndWritesNothingElse() async throws {
        try await DocumentedRoles.with { roles in
            let store = EventStore(connection: try roles.connect(as: "ingest"))
            let outcomes = try store.append(
                AppendBatch(events: [makeEvent(stream: "s:a"), makeEvent(stream: "s:b")]), recordedAt: testTime)
            #expect(outcomes == [.appended(position: 1, streamVersion: 1), .appended(position: 2, streamVersion: 1)])
            #expect(try store.head().position == 2)
            #expect(try store.head().hash == (try store.hash(at: 2)))
            #expect(try writable(roles, by: "ingest") == ["ledger.events INSERT", "ledger.rejected_inputs INSERT"])
            let admin = try roles.connect(as: "owner")
            let functions = try admin.query(Self.executableDefinerFunctions, ["\(roles.prefix)_ingest"])
            #expect(try functions.map { try $0.decode(String.self, at: 0) } == ["lock_head"])
        }
    }

    @Test func theAppenderCannotUpdateDeleteTruncateOrDisableTriggers() async throws {
        try await DocumentedRoles.with { roles in
            let appender = try roles.connect(as: "ingest")
            try EventStore(connection: appender).append(
                AppendBatch(events: [makeEvent(stream: "s:a")]), recordedAt: testTime)
            for statement in [
                "UPDATE ledger.events SET type = 'changed'", "DELETE FROM ledger.events", "TRUNCATE ledger.events",
                "ALTER TABLE ledger.events DISABLE TRIGGER USER",
                "ALTER TABLE ledger.events DISABLE TRIGGER events_reject_update_delete",
                "ALTER TABLE ledger.head DISABLE TRIGGER head_follows_log",
                "DROP TRIGGER events_advance_head ON ledger.events", "SET session_replication_role = replica",
                "UPDATE ledger.rejected_inputs SET reason = 'changed'", "DELETE FROM ledger.rejected_inputs",
                "DELETE FROM ledger.head", "UPDATE public.subscriptions SET status = 'active'",
                "DELETE FROM ledger.checkpoints",
            ] {
                let error = try #require(throws: PostgresError.self, "\(statement)") { try appender.execute(statement) }
                #expect(error.sqlState == "42501", "\(statement): \(error)")
            }
            #expect(try appender.query("SELECT count(*) FROM ledger.events")[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func theAppenderCannotMoveTheHead() async throws {
        try await DocumentedRoles.with { roles in
            let appender = try roles.connect(as: "ingest")
            let store = EventStore(connection: appender)
            try store.append(AppendBatch(events: [makeEvent(stream: "s:a")]), recordedAt: testTime)

            // The function of issue 13 is gone; the head row is not writable, not even lockable directly.
            let call = try #require(throws: PostgresError.self) {
                try appender.query("SELECT ledger.advance_head($1, $2)", [Int64(99_999_999), Self.hash])
            }
            #expect(call.sqlState == "42883", "\(call)")
            for statement in [
                "UPDATE ledger.head SET position = 99999999", "SELECT position FROM ledger.head FOR UPDATE",
            ] {
                let error = try #require(throws: PostgresError.self, "\(statement)") { try appender.execute(statement) }
                #expect(error.sqlState == "42501", "\(statement): \(error)")
            }
            // An event far beyond the head, or one leaving a gap, fails its own statement.
            for position: Int64 in [100_000_000, 3] {
                let error = try #require(throws: PostgresError.self) {
                    try appender.query(Self.insertEventAt, [position, "s:forged", Self.hash])
                }
                if position == 100_000_000 {
                    // Beyond every partition made ahead (migration 018): PostgreSQL refuses the row itself.
                    #expect(error.sqlState == "23514", "\(error)")
                    #expect(error.message.contains("no partition of relation"), "\(error)")
                } else {
                    #expect(error.sqlState == "23001", "\(error)")
                    #expect(error.message.contains("ledger.head cannot move from 1 to \(position)"), "\(error)")
                }
            }
            #expect(try head(appender) == 1)
            let next = try store.append(AppendBatch(events: [makeEvent(stream: "s:a")]), recordedAt: testTime)
            #expect(next == [.appended(position: 2, streamVersion: 2)])
        }
    }

    @Test func theReaderCannotWriteAnything() async throws {
        try await DocumentedRoles.with { roles in
            try EventStore(connection: try roles.connect(as: "ingest")).append(
                AppendBatch(events: [makeEvent(stream: "s:a")]), recordedAt: testTime)
            #expect(try writable(roles, by: "api") == [])
            let admin = try roles.connect(as: "owner")
            #expect(try admin.query(Self.executableDefinerFunctions, ["\(roles.prefix)_api"]).isEmpty)
            let reader = try roles.connect(as: "api")
            #expect(try reader.query("SELECT count(*) FROM ledger.events")[0].decode(Int.self, at: 0) == 1)
            for statement in [
                "INSERT INTO ledger.rejected_inputs (received_at, source, origin, reason, body) "
                    + "VALUES (now(), 'stripe', 'test', 'test', '\\x00')",
                "INSERT INTO ledger.consumers (group_name) VALUES ('reader')",
                "INSERT INTO ledger.checkpoints VALUES ('billing', 1, 0, now())",
                "UPDATE public.subscriptions SET status = 'active'", "DELETE FROM public.payment_transactions",
                "UPDATE ledger.head SET position = position", "SELECT * FROM ledger.lock_head()",
                "SELECT nextval('ledger.parked_id_seq')",
            ] {
                let error = try #require(throws: PostgresError.self, "\(statement)") { try reader.execute(statement) }
                #expect(error.sqlState == "42501", "\(statement): \(error)")
            }
            let forged = try #require(throws: PostgresError.self) {
                try reader.query(Self.insertEventAt, [Int64(2), "s:forged", Self.hash])
            }
            #expect(forged.sqlState == "42501", "\(forged)")
        }
    }

    @Test func theProjectorWritesOnlyTheProjection() async throws {
        try await DocumentedRoles.with { roles in
            let projection = [
                "ledger.checkpoints", "ledger.parked", "public.mrr_daily", "public.mrr_movements",
                "public.payment_transactions", "public.subscriptions",
            ]
            let expected = projection.flatMap { table in ["DELETE", "INSERT", "UPDATE"].map { "\(table) \($0)" } }
                .sorted()
            #expect(try writable(roles, by: "worker") == expected)
            // serve: both, and still nothing in the log but inserts.
            let serve = try writable(roles, by: "serve")
            #expect(serve == (expected + ["ledger.events INSERT", "ledger.rejected_inputs INSERT"]).sorted())
        }
    }
}

/// Migration 010 holds for the owner and superusers too: only the trigger-disabling tamperer gets past it.
@Suite("head follows the log")
struct HeadFollowsLogTests {
    @Test func theOwnerCannotMoveTheHeadToAnArbitraryPositionEither() async throws {
        try await TestDatabase.withMigrated { database in
            let superuser = try database.connect()
            let store = EventStore(connection: superuser)
            try store.append(
                AppendBatch(events: (0..<3).map { _ in makeEvent(stream: "s:a") }), recordedAt: testTime)
            let stored = try #require(try store.hash(at: 3))
            let attempts: [(String, [any PostgresEncodable])] = [
                ("UPDATE ledger.head SET position = 99999999", []),
                ("UPDATE ledger.head SET position = 4, hash = $1", [stored]),
                ("UPDATE ledger.head SET position = 2, hash = $1", [try #require(try store.hash(at: 2))]),
                ("UPDATE ledger.head SET hash = $1", [LeastPrivilegeTests.hash]),
                (LeastPrivilegeTests.insertEventAt, [Int64(100_000_000), "s:forged", LeastPrivilegeTests.hash]),
                (LeastPrivilegeTests.insertEventAt, [Int64(5), "s:forged", LeastPrivilegeTests.hash]),
                ("SELECT ledger.advance_head(99999999, $1)", [stored]),
            ]
            for (statement, parameters) in attempts {
                let error = try #require(throws: PostgresError.self, "\(statement)") {
                    try superuser.query(statement, parameters)
                }
                // 23514: an event beyond every partition made ahead is refused by PostgreSQL itself (migration 018).
                #expect(["23001", "42883", "23514"].contains(error.sqlState), "\(statement): \(error)")
            }
            #expect(try store.head() == ChainHead(position: 3, hash: stored))
            // Restating the head as stored is no move and is allowed; the next append lands right after it.
            try superuser.query("UPDATE ledger.head SET position = 3, hash = $1", [stored])
            let next = try store.append(AppendBatch(events: [makeEvent(stream: "s:b")]), recordedAt: testTime)
            #expect(next == [.appended(position: 4, streamVersion: 1)])
            #expect(try store.head() == ChainHead(position: 4, hash: try #require(try store.hash(at: 4))))
        }
    }

    @Test func anInsertOutsideTheEventStoreMovesTheHeadAndNotifies() async throws {
        try await TestDatabase.withMigrated { database in
            let listener = try database.connect()
            try listener.listen(EventStore.notificationChannel)
            let superuser = try database.connect()
            try superuser.query(LeastPrivilegeTests.insertEventAt, [Int64(1), "s:raw", LeastPrivilegeTests.hash])
            #expect(
                try EventStore(connection: superuser).head() == ChainHead(position: 1, hash: LeastPrivilegeTests.hash))
            let notification = try #require(try listener.nextNotification(timeout: .seconds(5)))
            #expect(notification.payload == "1")
        }
    }
}
