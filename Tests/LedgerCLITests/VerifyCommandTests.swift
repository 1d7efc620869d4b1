import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger verify: the audit report")
struct VerifyCommandTests {
    /// Runs `ledger verify --json` with `arguments`; returns the exit status and the report.
    func verify(_ arguments: [String] = [], _ environment: [String: String]) throws -> (
        status: Int32, report: [String: Any]
    ) {
        let output = try runLedger(["verify", "--json"] + arguments, environment: environment)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any],
            "\(output.standardOutput) \(output.standardError)")
        return (output.status, report)
    }

    /// Runs SQL as the superuser with the append-only triggers disabled, as a tamperer would.
    func tamper(_ database: TestDatabase, _ sql: String) throws {
        try database.connect().execute(
            "SET session_replication_role = replica; \(sql); SET session_replication_role = origin")
    }

    func section(_ report: [String: Any], _ name: String) throws -> [String: Any] {
        try #require(report[name] as? [String: Any], "no \(name) section in \(report)")
    }

    /// The drift section's table `name`.
    func driftTable(_ report: [String: Any], _ name: String) throws -> [String: Any] {
        let tables = try #require(try section(report, "drift")["tables"] as? [[String: Any]])
        return try #require(tables.first { $0["table"] as? String == name })
    }

    func chainFailure(_ report: [String: Any]) throws -> Int? {
        (try section(report, "chain")["failure"] as? [String: Any])?["position"] as? Int
    }

    func text(_ database: TestDatabase, _ sql: String) throws -> String {
        try database.connect().query(sql)[0].decode(String.self, at: 0)
    }

    /// A generated history in a fresh database: half ingested, projected and snapshotted, then the rest ingested.
    func projectedHalfway(_ database: TestDatabase) throws -> (loaded: Loaded, environment: [String: String]) {
        let loaded = try loadGenerated(database, customers: 25, months: 6, firstPart: 0.5)
        var environment = loaded.environment
        environment["LEDGER_SNAPSHOT_DIR"] = loaded.directory.appendingPathComponent("snapshots").path
        try ingest(loaded.files[0], environment)
        let projected = try runLedger(["project"], environment: environment)
        #expect(projected.status == 0, "\(projected.standardError)")
        let snapshot = try runLedger(["snapshot", "create"], environment: environment)
        #expect(snapshot.status == 0, "\(snapshot.standardError)")
        try ingest(loaded.files[1], environment)
        return (loaded, environment)
    }

    @Test func anUntamperedLedgerVerifiesWithZeroDriftEvenWhileTheProjectionIsBehind() async throws {
        try await TestDatabase.withMigrated { database in
            let (loaded, environment) = try projectedHalfway(database)
            defer { loaded.remove() }
            let (head, checkpoint) = try positions(database)
            let behind = try #require(checkpoint)
            #expect(behind < head)

            // The projection is behind the head: compared at its checkpoint, from the snapshot taken there.
            let (status, report) = try verify([], environment)
            #expect(status == 0, "\(report)")
            #expect(report["ok"] as? Bool == true)
            #expect(try section(report, "chain")["events_checked"] as? Int == Int(head))
            #expect(report["digest"] == nil)
            let drift = try section(report, "drift")
            #expect(drift["status"] as? String == "checked")
            #expect(drift["checkpoint"] as? Int == Int(behind))
            #expect(drift["snapshot_position"] as? Int == Int(behind))
            #expect(drift["events_replayed"] as? Int == 0)
            for table in ["subscriptions", "payment_transactions"] {
                #expect(try driftTable(report, table)["rows"] as? Int == 0)
            }
            let snapshots = try #require(try section(report, "snapshots")["files"] as? [[String: Any]])
            #expect(snapshots.count == 1 && snapshots[0]["valid"] as? Bool == true)
            #expect(try section(report, "parked")["count"] as? Int != nil)
            #expect(try section(report, "rejected")["count"] as? Int == 0)

            // Caught up, the replay starts at the older snapshot and reads the rest of the log.
            #expect(try runLedger(["project"], environment: environment).status == 0)
            let (caughtUp, after) = try verify([], environment)
            #expect(caughtUp == 0, "\(after)")
            let replayed = try section(after, "drift")
            #expect(replayed["checkpoint"] as? Int == Int(head))
            #expect(replayed["events_replayed"] as? Int == Int(head - behind))
            let human = try runLedger(["verify"], environment: environment)
            #expect(human.status == 0)
            #expect(
                human.standardOutput.contains("drift      none: the live tables equal the log at checkpoint \(head)"))
            #expect(human.standardOutput.contains("result     ok"))
        }
    }

    @Test func rowsChangedByHandAreListedByIdAndColumn() async throws {
        try await TestDatabase.withMigrated { database in
            let loaded = try loadGenerated(database, customers: 25, months: 6)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            #expect(try runLedger(["project"], environment: loaded.environment).status == 0)
            let changed = try text(database, "SELECT id::text FROM subscriptions ORDER BY id LIMIT 1")
            let deleted = try text(database, "SELECT id::text FROM payment_transactions ORDER BY id DESC LIMIT 1")
            let amount = try text(database, "SELECT amount_cents::text FROM subscriptions ORDER BY id LIMIT 1")
            let connection = try database.connect()
            try connection.query("UPDATE subscriptions SET amount_cents = amount_cents + 1 WHERE id = $1", [changed])
            try connection.query("DELETE FROM payment_transactions WHERE id = $1", [deleted])
            let extra = try text(
                database,
                """
                INSERT INTO payment_transactions (stripe_payment_intent_id, amount_cents, currency, status)
                VALUES ('pi_inserted_by_hand', 100, 'USD', 'succeeded') RETURNING id::text
                """)

            let (status, report) = try verify([], loaded.environment)
            #expect(status == 1)
            #expect(report["ok"] as? Bool == false)
            #expect(try section(report, "chain")["ok"] as? Bool == true)
            let subscriptions = try driftTable(report, "subscriptions")
            #expect(subscriptions["rows"] as? Int == 1)
            #expect(subscriptions["changed"] as? Int == 1)
            let row = try #require((subscriptions["listed"] as? [[String: Any]])?.first)
            #expect(row["id"] as? String == changed)
            #expect(row["kind"] as? String == "changed")
            #expect(row["columns"] as? [String] == ["amount_cents"])
            #expect((row["live"] as? [String: Any])?["amount_cents"] as? Int == Int(amount).map { $0 + 1 })
            #expect((row["expected"] as? [String: Any])?["amount_cents"] as? Int == Int(amount))

            let payments = try driftTable(report, "payment_transactions")
            #expect(payments["rows"] as? Int == 2)
            let listed = try #require(payments["listed"] as? [[String: Any]])
            #expect(listed.contains { $0["id"] as? String == deleted && $0["kind"] as? String == "missing" })
            #expect(listed.contains { $0["id"] as? String == extra && $0["kind"] as? String == "extra" })
            #expect(
                (listed.first { $0["kind"] as? String == "missing" }?["expected"] as? [String: Any])?["id"]
                    as? String == deleted)

            let human = try runLedger(["verify"], environment: loaded.environment)
            #expect(human.status == 1)
            #expect(human.standardOutput.contains("changed  \(changed)"))
            #expect(human.standardOutput.contains("amount_cents: live \(Int(amount).map { $0 + 1 } ?? 0)"))
            #expect(human.standardOutput.contains("result     FAILED: drift"))
            // The live tables were only read; --no-drift leaves out the comparison.
            let kept = try connection.query("SELECT count(*) FROM payment_transactions WHERE id = $1::uuid", [extra])
            #expect(try kept[0].decode(Int.self, at: 0) == 1)
            let (chainOnly, skipped) = try verify(["--no-drift"], loaded.environment)
            #expect(chainOnly == 0)
            #expect(try section(skipped, "drift")["status"] as? String == "skipped")
        }
    }

    @Test func aChangedByteADeletedEventAndTwoSwappedEventsAreNamedByPosition() async throws {
        try await TestDatabase.withMigrated { database in
            let loaded = try loadGenerated(database, customers: 10, months: 4)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try positions(database).head
            #expect(head > 60)
            #expect(try verify([], loaded.environment).status == 0)

            try tamper(
                database,
                "UPDATE ledger.events SET body = set_byte(body, 10, get_byte(body, 10) # 1) WHERE position = 50")
            var (status, report) = try verify([], loaded.environment)
            #expect(status == 1)
            #expect(report["ok"] as? Bool == false)
            #expect(try chainFailure(report) == 50)

            // Positions 20 and 30 exchange their contents (each keeps its stored hash): found at 20.
            try tamper(
                database,
                """
                UPDATE ledger.events SET position = 1000000 WHERE position = 20;
                UPDATE ledger.events SET position = 20 WHERE position = 30;
                UPDATE ledger.events SET position = 30 WHERE position = 1000000
                """)
            (status, report) = try verify(["--no-drift"], loaded.environment)
            #expect(status == 1)
            #expect(try chainFailure(report) == 20)

            try tamper(database, "DELETE FROM ledger.events WHERE position = 10")
            (status, report) = try verify([], loaded.environment)
            #expect(status == 1)
            #expect(try chainFailure(report) == 10)
            let human = try runLedger(["verify"], environment: loaded.environment)
            #expect(human.status == 1)
            #expect(human.standardOutput.contains("chain      FAILED at position 10"))
        }
    }

    @Test func anInvalidSnapshotIsListedAndFailsTheAudit() async throws {
        try await TestDatabase.withMigrated { database in
            let (loaded, environment) = try projectedHalfway(database)
            defer { loaded.remove() }
            #expect(try runLedger(["snapshot", "create"], environment: environment).status == 0)
            let (_, clean) = try verify(["--no-drift"], environment)
            let files = try #require(try section(clean, "snapshots")["files"] as? [[String: Any]])
            #expect(files.count == 2)
            // A row of the older snapshot changed after it was written: its content digest no longer matches.
            let older = try #require(files.last?["path"] as? String)
            let changed = try runSQLite(older, "UPDATE subscriptions SET amount_cents = amount_cents + 1")
            #expect(changed.status == 0, "\(changed.standardError)")

            let (status, report) = try verify([], environment)
            #expect(status == 1)
            let snapshots = try section(report, "snapshots")
            #expect(snapshots["ok"] as? Bool == false)
            let listed = try #require(snapshots["files"] as? [[String: Any]])
            let invalid = try #require(listed.first { $0["path"] as? String == older })
            #expect(invalid["valid"] as? Bool == false)
            #expect((invalid["problem"] as? String)?.contains("digest") == true)
            #expect(listed.filter { $0["valid"] as? Bool == true }.count == 1)
            // The drift check skipped the bad file and still found no drift.
            #expect(try section(report, "drift")["ok"] as? Bool == true)
            let human = try runLedger(["verify"], environment: environment)
            #expect(human.standardOutput.contains("INVALID"))
            #expect(human.standardOutput.contains("result     FAILED: snapshots"))

            // No snapshot directory at all: nothing to verify, not a failure.
            var elsewhere = environment
            elsewhere["LEDGER_SNAPSHOT_DIR"] = loaded.directory.appendingPathComponent("none").path
            let (none, empty) = try verify(["--no-drift"], elsewhere)
            #expect(none == 0)
            #expect((try section(empty, "snapshots")["files"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aDigestFromHeadStillVerifiesAfterAppendsAndFailsOnceThePrefixIsAltered() async throws {
        try await TestDatabase.withMigrated { database in
            let loaded = try loadGenerated(database, customers: 10, months: 4, firstPart: 0.5)
            defer { loaded.remove() }
            try ingest(loaded.files[0], loaded.environment)
            let head = try runLedger(["head", "--json"], environment: loaded.environment)
            #expect(head.status == 0)
            let taken = try #require(
                try JSONSerialization.jsonObject(with: Data(head.standardOutput.utf8)) as? [String: Any])
            let position = try #require(taken["position"] as? Int)
            let hash = try #require(taken["hash"] as? String)
            let digest = try #require(taken["digest"] as? String)
            #expect(digest == "\(position):\(hash)")
            #expect(taken["recorded_at"] as? String != nil)
            try ingest(loaded.files[1], loaded.environment)
            #expect(try positions(database).head > Int64(position))

            var (status, report) = try verify(["--digest", digest], loaded.environment)
            #expect(status == 0, "\(report)")
            var checked = try section(report, "digest")
            #expect(checked["outcome"] as? String == "matches")
            #expect(checked["position"] as? Int == position)
            #expect(checked["recomputed_hash"] as? String == hash)
            let human = try runLedger(["verify", "--digest", digest], environment: loaded.environment)
            #expect(human.standardOutput.contains("matches: the log up to position \(position) is unchanged"))

            // A wrong hash, and a position the log does not reach.
            let flipped = String(digest.dropLast()) + (digest.hasSuffix("0") ? "1" : "0")
            (status, report) = try verify(["--digest", flipped], loaded.environment)
            #expect(status == 1)
            checked = try section(report, "digest")
            #expect(checked["outcome"] as? String == "does-not-match")
            #expect(checked["recomputed_hash"] as? String == hash)
            (status, report) = try verify(["--digest", "999999:\(hash)"], loaded.environment)
            #expect(status == 1)
            #expect(try section(report, "digest")["outcome"] as? String == "beyond-head")
            #expect(
                try runLedger(["verify", "--from", digest, "--digest", "1:\(hash)"], environment: loaded.environment)
                    .status == 2)

            // An event before the digest's position changes.
            try tamper(
                database,
                "UPDATE ledger.events SET body = set_byte(body, 10, get_byte(body, 10) # 1) WHERE position = \(position / 2)"
            )
            (status, report) = try verify(["--digest", digest], loaded.environment)
            #expect(status == 1)
            checked = try section(report, "digest")
            #expect(checked["outcome"] as? String == "does-not-match")
            #expect((checked["message"] as? String)?.contains("the log up to \(position) was altered") == true)
            #expect(try chainFailure(report) == position / 2)
        }
    }
}
