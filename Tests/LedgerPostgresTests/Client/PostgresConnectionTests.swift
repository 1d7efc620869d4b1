import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("libpq client")
struct PostgresConnectionTests {
    @Test func bindParametersRoundTripQuotesUnicodeAndLargeText() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let tricky = "O'Brien said \"hi\"; DROP TABLE users; -- \\ $1 \u{00E9}\u{4E2D}\u{1F4B8}"
            let large = String(repeating: "ledger✓", count: 300_000)
            let row = try connection.query(
                "SELECT $1::text, $2::text, length($2::text), $3::text IS NULL",
                [
                    tricky, large, nil as String?,
                ])[0]
            #expect(try row.decode(String.self, at: 0) == tricky)
            #expect(try row.decode(String.self, at: 1) == large)
            #expect(try row.decode(Int.self, at: 2) == large.count)
            #expect(try row.decode(Bool.self, at: 3))
        }
    }

    /// Sessions start with PostgreSQL's JIT off (docs/0001), unless the URL's own `options` say otherwise.
    @Test func sessionsStartWithJITOffUnlessTheURLSaysOtherwise() async throws {
        try await TestDatabase.with { database in
            #expect(
                try database.connect().query("SELECT current_setting('jit')")[0].decode(String.self, at: 0) == "off")
            let separator = database.url.contains("?") ? "&" : "?"
            let own = try PostgresConnection(url: database.url + separator + "options=-c%20jit%3Don")
            #expect(try own.query("SELECT current_setting('jit')")[0].decode(String.self, at: 0) == "on")
        }
    }

    @Test func textWithNULByteIsRefusedBeforeReachingTheServer() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let error = try #require(throws: PostgresError.self) {
                try connection.query("SELECT $1::text", ["before\u{0}after"])
            }
            #expect(error.kind == .invalidParameter)
            #expect(error.message.contains("$1"))
            #expect(error.message.contains("NUL"))
            // The connection is still usable afterwards.
            #expect(try connection.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func bytesTravelAsBinaryByteaIncludingNUL() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let bytes: [UInt8] = [0, 1, 2, 0xFF, 0, 0x5C, 0x78]
            for format in [PostgresFormat.text, .binary] {
                let row = try connection.query("SELECT $1::bytea, length($1::bytea)", [bytes], resultFormat: format)[0]
                #expect(try row.decode([UInt8].self, at: 0) == bytes)
                #expect(try row.decode(Int.self, at: 1) == bytes.count)
            }
        }
    }

    @Test func binaryAndTextResultsDecodeTheSameValues() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            let sql = """
                SELECT 9007199254740993::int8, 42::int4, true, '2024-02-29 12:34:56.789+00'::timestamptz,
                       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"b": 1, "a": [true]}'::jsonb, NULL::text
                """
            for format in [PostgresFormat.text, .binary] {
                let row = try connection.query(sql, resultFormat: format)[0]
                #expect(try row.decode(Int64.self, at: 0) == 9_007_199_254_740_993)
                #expect(try row.decode(Int32.self, at: 1) == 42)
                #expect(try row.decode(Bool.self, at: 2))
                let date = try row.decode(Date.self, at: 3)
                #expect(abs(date.timeIntervalSince1970 - 1_709_210_096.789) < 0.000_5)
                #expect(try row.decode(UUID.self, at: 4) == UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
                #expect(try row.decode(String.self, at: 5) == #"{"a": [true], "b": 1}"#)
                #expect(try row.decode(String?.self, at: 6) == nil)
                #expect(throws: PostgresError.self) { try row.decode(String.self, at: 6) }
            }
        }
    }

    @Test func serverErrorsCarrySQLStateMessageDetailAndConstraint() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try connection.execute("CREATE TABLE items (id int CONSTRAINT items_pkey PRIMARY KEY)")
            try connection.query("INSERT INTO items VALUES ($1)", [1])
            let error = try #require(throws: PostgresError.self) {
                try connection.query("INSERT INTO items VALUES ($1)", [1])
            }
            #expect(error.kind == .server)
            #expect(error.sqlState == "23505")
            #expect(error.isUniqueViolation)
            #expect(error.constraint == "items_pkey")
            #expect(error.detail?.contains("(id)=(1)") == true)
            let syntax = try #require(throws: PostgresError.self) { try connection.query("SELEC 1") }
            #expect(syntax.sqlState == "42601")
        }
    }

    @Test func preparedStatementRunsManyTimes() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try connection.execute("CREATE TABLE numbers (n int8 NOT NULL, label text)")
            let insert = try connection.prepare("INSERT INTO numbers (n, label) VALUES ($1, $2)")
            try connection.transaction {
                for n in 1...500 { try insert.run([n, "n\(n)"]) }
            }
            let sum = try connection.query("SELECT sum(n), count(*) FROM numbers")[0]
            #expect(try sum.decode(Int.self, at: 0) == 500 * 501 / 2)
            #expect(try sum.decode(Int.self, at: 1) == 500)
        }
    }

    /// A cached statement is prepared once per connection, settles on a generic plan (the point of caching it on
    /// the partitioned log), and still sees a partition attached after it was prepared.
    @Test func aCachedStatementIsPreparedOnceRunsGenericAndSeesNewPartitions() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try connection.execute(
                """
                CREATE TABLE numbers (n int8 NOT NULL) PARTITION BY RANGE (n);
                CREATE TABLE numbers_0 PARTITION OF numbers FOR VALUES FROM (0) TO (100);
                CREATE TABLE numbers_1 PARTITION OF numbers FOR VALUES FROM (100) TO (200);
                INSERT INTO numbers SELECT generate_series(0, 199);
                """)
            // Shaped like the audit reads: a position range that covers the whole log (no partition to prune
            // while planning) and a key that changes at every call.
            let sql = "SELECT count(*) FROM numbers WHERE n > $1 AND n <= $2 AND n % 10 = $3"
            let statement = try connection.cachedStatement(sql)
            for digit in 0..<8 {
                let count = try connection.cachedStatement(sql).run([0, Int64.max, digit])[0].decode(Int.self, at: 0)
                #expect(count == (digit == 0 ? 19 : 20))
            }
            #expect(try connection.cachedStatement(sql).name == statement.name)
            let plans = try connection.query(
                "SELECT count(*), sum(generic_plans) FROM pg_prepared_statements WHERE statement = $1", [sql])[0]
            #expect(try plans.decode(Int.self, at: 0) == 1, "prepared once")
            #expect(try plans.decode(Int.self, at: 1) >= 1, "PostgreSQL settled on a generic plan")

            try connection.execute(
                """
                CREATE TABLE numbers_2 (n int8 NOT NULL);
                INSERT INTO numbers_2 SELECT generate_series(200, 299);
                ALTER TABLE numbers ATTACH PARTITION numbers_2 FOR VALUES FROM (200) TO (300);
                """)
            #expect(try connection.cachedStatement(sql).run([150, 1_000, 5])[0].decode(Int.self, at: 0) == 15)
        }
    }

    /// A connection that cached a statement still closes its session when its last owner lets it go: the
    /// cache once held the statements, and they their connection, so every such session (and any advisory
    /// lock it held, such as the projection's) lived until the process ended.
    @Test func aConnectionWithCachedStatementsClosesWhenReleased() async throws {
        try await TestDatabase.with { database in
            let observer = try database.connect()
            var pid: Int32 = 0
            do {
                let connection = try database.connect()
                pid = try connection.cachedStatement("SELECT pg_backend_pid()").run()[0].decode(Int32.self, at: 0)
                #expect(try connection.cachedStatement("SELECT pg_backend_pid()").run()[0].decode(at: 0) == pid)
            }
            var open = true
            for _ in 0..<100 where open {  // the server notices the closed socket within moments
                open = try observer.query("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", [pid])[0]
                    .decode(Bool.self, at: 0)
                if open { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(!open, "backend \(pid) still open after its connection was released")
        }
    }

    @Test func transactionRollsBackWhenBodyThrows() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try connection.execute("CREATE TABLE notes (body text)")
            struct Abort: Error {}
            #expect(throws: Abort.self) {
                try connection.transaction {
                    try connection.query("INSERT INTO notes VALUES ($1)", ["lost"])
                    throw Abort()
                }
            }
            #expect(try connection.query("SELECT count(*) FROM notes")[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func copyLoadsOneHundredThousandRowsInTextAndBinary() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try connection.execute("CREATE TABLE copied (id int8 PRIMARY KEY, body text, raw bytea)")
            let textRows = try connection.copyIn("COPY copied (id, body, raw) FROM STDIN") { writer in
                for id in 1...50_000 {
                    try writer.writeTextRow(["\(id)", "tab\there\nnewline \\ \(id)", id % 10 == 0 ? nil : "\\x0001"])
                }
            }
            let binaryRows = try connection.copyIn(
                "COPY copied (id, body, raw) FROM STDIN (FORMAT binary)", format: .binary
            ) { writer in
                for id in 50_001...100_000 {
                    try writer.writeBinaryRow([.int64(Int64(id)), .text("binary \(id)"), .bytes([0, UInt8(id % 256)])])
                }
            }
            #expect(textRows == 50_000)
            #expect(binaryRows == 50_000)
            let check = try connection.query(
                "SELECT count(*), count(raw), (SELECT body FROM copied WHERE id = 7), (SELECT raw FROM copied WHERE id = 50001) FROM copied"
            )[0]
            #expect(try check.decode(Int.self, at: 0) == 100_000)
            #expect(try check.decode(Int.self, at: 1) == 95_000)
            #expect(try check.decode(String.self, at: 2) == "tab\there\nnewline \\ 7")
            #expect(try check.decode([UInt8].self, at: 3) == [0, UInt8(50_001 % 256)])
        }
    }

    @Test func copyThatThrowsStoresNothingAndLeavesTheConnectionUsable() async throws {
        try await TestDatabase.with { database in
            let connection = try database.connect()
            try connection.execute("CREATE TABLE copied (id int8)")
            struct Abort: Error {}
            #expect(throws: Abort.self) {
                try connection.copyIn("COPY copied FROM STDIN") { writer in
                    for id in 1...10_000 { try writer.writeTextRow(["\(id)"]) }
                    throw Abort()
                }
            }
            let bad = try #require(throws: PostgresError.self) {
                try connection.copyIn("COPY copied FROM STDIN") { writer in try writer.writeTextRow(["not a number"]) }
            }
            #expect(bad.sqlState == "22P02")
            #expect(try connection.query("SELECT count(*) FROM copied")[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func listenReceivesNotifyWithPayload() async throws {
        try await TestDatabase.with { database in
            let listener = try database.connect()
            let sender = try database.connect()
            try listener.listen("ledger head")
            #expect(try listener.nextNotification(timeout: .milliseconds(50)) == nil)
            try sender.notify("ledger head", payload: "42")
            let notification = try #require(try listener.nextNotification(timeout: .seconds(5)))
            #expect(notification.channel == "ledger head")
            #expect(notification.payload == "42")
            #expect(notification.senderPID == sender.backendPID)
        }
    }

    @Test func brokenConnectionGivesTypedConnectionLostError() async throws {
        try await TestDatabase.with { database in
            let victim = try database.connect()
            let admin = try database.connect()
            try admin.query("SELECT pg_terminate_backend($1)", [Int(victim.backendPID)])
            let error = try #require(throws: PostgresError.self) { try victim.query("SELECT 1") }
            #expect(error.kind == .connectionLost)
            victim.close()
            #expect(throws: PostgresError.self) { try victim.query("SELECT 1") }
        }
    }

    @Test func unreachableServerGivesConnectionFailedWithoutLeakingThePassword() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql://someone:s3cret@127.0.0.1:1/nowhere?connect_timeout=2")
        }
        #expect(error.kind == .connectionFailed)
        #expect(!error.description.contains("s3cret"))
    }

    /// Hundreds of connections, a third closed by hand and the rest on deinit: one left open would show as a
    /// backend still on the database (more rounds would prove no more).
    @Test func hundredsOfConnectionsOpenAndCloseWithoutLeaking() async throws {
        try await TestDatabase.with { database in
            let admin = try database.connect()
            for round in 0..<600 {
                let connection = try database.connect()
                if round % 2 == 0 { _ = try connection.query("SELECT $1::int", [round]) }
                if round % 3 == 0 { connection.close() }  // the rest close on deinit
            }
            // Every connection must be gone from the server's side (tests run in parallel, so
            // the process's own descriptor count is no measure). Backends exit asynchronously
            // after a client disconnects; wait for them briefly.
            try await Poll.until("every other session on the database has ended", timeout: .seconds(5)) {
                try admin.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    [database.name])[0].decode(Int.self, at: 0) == 0
            }
        }
    }
}
