import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger export state")
struct ExportStateCommandTests {
    /// Reads the SQLite file with Python's `sqlite3` and the JSON Lines file with `json`, and compares
    /// both with the CSV directory read with `csv`, row for row and column for column.
    static let checkScript = #"""
        import csv, json, sqlite3, sys
        csv.field_size_limit(sys.maxsize)
        sqlite_path, csv_dir, jsonl_path = sys.argv[1:4]
        def csv_rows(name):
            with open(f"{csv_dir}/{name}.csv", newline="", encoding="utf-8") as f:
                return list(csv.DictReader(f))
        def text(value, column):
            if value is None: return ""
            if isinstance(value, bool): return "true" if value else "false"
            if column == "cancel_at_period_end": return "true" if value else "false"
            if isinstance(value, dict): return json.dumps(value, sort_keys=True)
            return str(value)
        def same(csv_row, other):
            for column, value in csv_row.items():
                got = text(other[column], column)
                if column == "metadata":
                    assert json.loads(value) == json.loads(got if got else "null"), (column, value, got)
                else:
                    assert value == got, (column, value, got)
        db = sqlite3.connect(sqlite_path)
        db.row_factory = sqlite3.Row
        meta = db.execute("SELECT * FROM export_meta").fetchall()
        assert len(meta) == 1
        meta = dict(meta[0])
        lines = [json.loads(line) for line in open(jsonl_path, encoding="utf-8")]
        assert lines[0]["table"] == "export_meta" and lines[0]["position"] == meta["position"], lines[0]
        csv_meta = csv_rows("export_meta")[0]
        assert int(csv_meta["position"]) == meta["position"] and csv_meta["chain_hash"] == meta["chain_hash"]
        for table in ("subscriptions", "payment_transactions"):
            rows = csv_rows(table)
            in_sqlite = [dict(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY id")]
            in_jsonl = [line for line in lines if line["table"] == table]
            assert len(rows) == len(in_sqlite) == len(in_jsonl), (table, len(rows), len(in_sqlite), len(in_jsonl))
            for row, stored, line in zip(rows, in_sqlite, in_jsonl):
                same(row, stored)
                same(row, line)
        print("ok", meta["position"], meta["chain_hash"], meta["subscription_rows"], meta["payment_rows"])
        """#

    /// Loads each exported CSV into a table shaped like the live one with PostgreSQL's own CSV reader
    /// and counts the rows in one but not the other, both ways: 0 means equal, column for column.
    func differencesFromLive(_ directory: URL, _ connection: PostgresConnection) throws -> [String: Int] {
        var differences: [String: Int] = [:]
        for table in ["subscriptions", "payment_transactions"] {
            let file = try Data(contentsOf: directory.appendingPathComponent("\(table).csv"))
            let header = String(decoding: file.prefix { $0 != 0x0D }, as: UTF8.self)
            try connection.execute("DROP TABLE IF EXISTS exported; CREATE TEMP TABLE exported (LIKE public.\(table))")
            try connection.copyIn("COPY exported (\(header)) FROM STDIN (FORMAT csv, HEADER true)") {
                try $0.write(Array(file))
            }
            differences[table] = try connection.query(
                """
                SELECT (SELECT count(*) FROM (TABLE public.\(table) EXCEPT ALL TABLE exported) missing)
                     + (SELECT count(*) FROM (TABLE exported EXCEPT ALL TABLE public.\(table)) extra)
                """
            )[0].decode(Int.self, at: 0)
        }
        return differences
    }

    @Test func theStateAtTheCheckpointIsTheLiveProjectionInEveryFormat() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 40, months: 8, firstPart: 0.4)
            defer { loaded.remove() }
            var environment = loaded.environment
            environment["LEDGER_SNAPSHOT_DIR"] = loaded.directory.appendingPathComponent("snapshots").path
            try ingest(loaded.files[0], environment)
            // The snapshot is of the state at the head; recording it in the log moves the head one past it.
            let snapshotPosition = try positions(database).head
            #expect(try runLedger(["snapshot", "create"], environment: environment).status == 0)
            // The rest in two ingests: the projection stops after the first, the log goes on.
            let rest = try String(contentsOf: loaded.files[1], encoding: .utf8).split(separator: "\n")
            let halves = try [rest[..<(rest.count / 2)], rest[(rest.count / 2)...]].map { lines in
                let file = loaded.directory.appendingPathComponent("half-\(UUID()).jsonl")
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
                return file
            }
            try ingest(halves[0], environment)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            let checkpoint = try #require(try positions(database).checkpoint)
            try ingest(halves[1], environment)
            #expect(try positions(database).head > checkpoint)
            let connection = try database.connect()
            let store = EventStore(connection: connection)

            let csv = loaded.directory.appendingPathComponent("state-csv")
            let sqlite = loaded.directory.appendingPathComponent("state.sqlite")
            let jsonl = loaded.directory.appendingPathComponent("state.jsonl")
            let recordedAt = try store.read(after: checkpoint - 1, limit: 1)[0].recordedAt
            for arguments in [
                ["--at-position", "\(checkpoint)", "--format", "csv", "--out", csv.path],
                ["--at-position", "\(checkpoint)", "--format", "sqlite", "--out", sqlite.path],
                // The second half was ingested later: the newest position recorded by then is the checkpoint.
                ["--as-of", recordedAt.description, "--format", "jsonl", "--out", jsonl.path],
            ] {
                let exported = try runLedger(["export", "state", "--json"] + arguments, environment: environment)
                #expect(exported.status == 0, "\(exported.standardError)")
                let report = try #require(
                    try JSONSerialization.jsonObject(with: Data(exported.standardOutput.utf8)) as? [String: Any])
                #expect(report["snapshot_position"] as? Int == Int(snapshotPosition))
                #expect(report["events_replayed"] as? Int == Int(checkpoint - snapshotPosition))
                #expect((report["meta"] as? [String: Any])?["position"] as? Int == Int(checkpoint))
            }

            #expect(try differencesFromLive(csv, connection) == ["subscriptions": 0, "payment_transactions": 0])
            let live = try connection.query(
                "SELECT (SELECT count(*) FROM subscriptions), (SELECT count(*) FROM payment_transactions)")[0]
            let (subscriptions, payments) = (try live.decode(Int.self, at: 0), try live.decode(Int.self, at: 1))
            #expect(subscriptions > 10 && payments > 10)
            let hash = HexEncoding.encode(try #require(try store.hash(at: checkpoint)))
            let checked = try runPython(Self.checkScript, [sqlite.path, csv.path, jsonl.path])
            #expect(
                checked.standardOutput == "ok \(checkpoint) \(hash) \(subscriptions) \(payments)\n",
                "\(checked.standardError)")
            let shell = try runSQLite(sqlite.path, "SELECT count(*) FROM payment_transactions", readOnly: true)
            #expect(shell.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "\(payments)")

            // From event 1 the rows are the same, byte for byte.
            let scratch = loaded.directory.appendingPathComponent("state-scratch")
            let fromScratch = try runLedger(
                [
                    "export", "state", "--at-position", "\(checkpoint)", "--format", "csv", "--out", scratch.path,
                    "--from-scratch",
                ], environment: environment)
            #expect(fromScratch.standardOutput.contains("from event 1"), "\(fromScratch.standardError)")
            for file in ["subscriptions.csv", "payment_transactions.csv"] {
                #expect(
                    try Data(contentsOf: scratch.appendingPathComponent(file))
                        == Data(contentsOf: csv.appendingPathComponent(file)))
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: loaded.directory.path)
            #expect(!leftovers.contains { $0.hasPrefix(".") }, "\(leftovers)")
        }
    }

    @Test func refusalsLeaveNothingBehind() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 3, months: 2)
            defer { loaded.remove() }
            let environment = loaded.environment
            try ingest(loaded.files[0], environment)
            let head = try positions(database).head
            let out = loaded.directory.appendingPathComponent("out")
            let beyond = try runLedger(
                ["export", "state", "--at-position", "\(head + 1)", "--out", out.path], environment: environment)
            #expect(beyond.status == 2 && beyond.standardError.contains("beyond the log's head"))
            let both = try runLedger(
                ["export", "state", "--at-position", "1", "--as-of", "2025-01-01", "--out", out.path],
                environment: environment)
            #expect(both.status == 2)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
            let exists = try runLedger(
                ["export", "state", "--at-position", "1", "--format", "csv", "--out", out.path],
                environment: environment)
            #expect(exists.status == 1 && exists.standardError.contains("already exists"))
            // Before the first event: an empty state, still a valid file.
            let empty = loaded.directory.appendingPathComponent("empty.sqlite")
            let early = try runLedger(
                ["export", "state", "--as-of", "2001-01-01", "--out", empty.path], environment: environment)
            #expect(early.status == 0, "\(early.standardError)")
            let meta = try runSQLite(
                empty.path, "SELECT position, chain_hash, (SELECT count(*) FROM subscriptions) FROM export_meta")
            #expect(meta.standardOutput == "0|\(String(repeating: "0", count: 64))|0\n")
            let names = try FileManager.default.contentsOfDirectory(atPath: loaded.directory.path)
            #expect(!names.contains { $0.hasPrefix(".") }, "\(names)")
        }
    }
}
