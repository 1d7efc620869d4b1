import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger ingest, append, head, verify")
struct EventLogCommandTests {
    func migrated(_ database: TestDatabase) throws -> [String: String] {
        let environment = ["DATABASE_URL": database.url]
        let up = try runLedger(["migrate", "up"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        return environment
    }

    func event(_ id: String, object: String = "sub_1") -> String {
        #"{"id":"\#(id)","object":"event","type":"customer.subscription.updated","created":1700000000,"data":{"object":{"id":"\#(object)","object":"subscription"}}}"#
    }

    @Test func ingestCountsAndExitsOneWhenAnythingIsRejected() async throws {
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let input = [event("evt_1"), event("evt_2"), event("evt_1"), "{not json", event("evt_3")].joined(
                separator: "\n")
            let output = try runLedger(
                ["ingest", "stripe", "-", "--json"], environment: environment, input: Data(input.utf8))
            #expect(output.status == 1)
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
            #expect(report["appended"] as? Int == 3)
            #expect(report["duplicates"] as? Int == 1)
            #expect(report["rejected"] as? Int == 1)
            #expect(report["head_position"] as? Int == 3)

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID()).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data((event("evt_4") + "\n").utf8).write(to: file)
            let clean = try runLedger(["ingest", "stripe", file.path], environment: environment)
            #expect(clean.status == 0, "\(clean.standardError)")
            #expect(clean.standardOutput.contains("appended 1, duplicate 0, rejected 0"))
            let missing = try runLedger(["ingest", "stripe", "/no/such/file.jsonl"], environment: environment)
            #expect(missing.status == 2)
        }
    }

    @Test func appendExitsThreeOnAVersionConflictAndHeadVerifyAgree() async throws {
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let arguments = [
                "append", "--stream", "license:1", "--type", "license.reassigned", "--data", #"{"to":"u2"}"#,
            ]
            #expect(
                try runLedger(arguments + ["--expected-version", "no-stream"], environment: environment).status == 0)
            let conflict = try runLedger(arguments + ["--expected-version", "no-stream"], environment: environment)
            #expect(conflict.status == 3)
            #expect(conflict.standardError.contains("license:1"))
            #expect(try runLedger(arguments + ["--expected-version", "1"], environment: environment).status == 0)
            let eventID = UUID().uuidString
            let first = try runLedger(arguments + ["--event-id", eventID], environment: environment)
            let retry = try runLedger(arguments + ["--event-id", eventID, "--json"], environment: environment)
            #expect(first.status == 0)
            #expect(retry.standardOutput.contains("duplicate"))
            #expect(try runLedger(arguments.dropLast(2) + ["--data", "[1]"], environment: environment).status == 2)

            let head = try runLedger(["head"], environment: environment)
            #expect(head.standardOutput.hasPrefix("3:"))
            let verify = try runLedger(
                ["verify", "--from", head.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)],
                environment: environment)
            #expect(verify.status == 0, "\(verify.standardOutput)")
        }
    }

    @Test func verifyNamesTheTamperedPositionAndExitsNonZero() async throws {
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let input = (1...12).map { event("evt_\($0)", object: "sub_\($0 % 4)") }.joined(separator: "\n")
            #expect(
                try runLedger(["ingest", "stripe", "-"], environment: environment, input: Data(input.utf8)).status == 0)
            #expect(try runLedger(["verify"], environment: environment).status == 0)
            // A superuser with the append-only triggers disabled changes one byte of event 7.
            try database.connect().execute(
                """
                SET session_replication_role = replica;
                UPDATE ledger.events SET body = set_byte(body, 10, get_byte(body, 10) # 1) WHERE position = 7;
                """)
            let verify = try runLedger(["verify"], environment: environment)
            #expect(verify.status == 1)
            #expect(verify.standardOutput.contains("position 7"))
            let json = try runLedger(["verify", "--json"], environment: environment)
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            #expect(((report["chain"] as? [String: Any])?["failure"] as? [String: Any])?["position"] as? Int == 7)
        }
    }

    @Test func digestPrintsBothProjectedTables() async throws {
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let output = try runLedger(["digest", "--json"], environment: environment)
            #expect(output.status == 0, "\(output.standardError)")
            let digests = try #require(
                try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [[String: Any]])
            #expect(digests.map { $0["table"] as? String } == ["subscriptions", "payment_transactions"])
            #expect(digests.allSatisfy { $0["rows"] as? Int == 0 && ($0["sha256"] as? String)?.count == 64 })
        }
    }

    @Test func statusCountsHeadParkedAndRejectedInputs() async throws {
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let input = [event("evt_1"), event("evt_2"), "garbage"].joined(separator: "\n")
            _ = try runLedger(["ingest", "stripe", "-"], environment: environment, input: Data(input.utf8))
            let connection = try database.connect()
            try connection.execute(
                """
                INSERT INTO ledger.checkpoints VALUES ('subscriptions', 1, 1, now());
                INSERT INTO ledger.parked (projection, position, object_id, event_type, reason)
                  VALUES ('subscriptions', 2, 'sub_1', 'customer.subscription.updated', 'no license');
                """)
            let output = try runLedger(["status", "--json"], environment: environment)
            #expect(output.status == 0, "\(output.standardError)")
            let status = try #require(
                try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
            #expect(status["head_position"] as? Int == 2)
            #expect(status["rejected_inputs"] as? Int == 1)
            #expect(status["parked_events"] as? Int == 1)
            let projections = try #require(status["projections"] as? [[String: Any]])
            #expect(projections.first?["lag"] as? Int == 1)
            #expect(projections.first?["parked"] as? Int == 1)
            #expect(try runLedger(["status"], environment: environment).standardOutput.contains("rejected inputs  1"))
        }
    }
}
