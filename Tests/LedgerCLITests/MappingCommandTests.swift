import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger mapping` end to end (issue 15 point 1): the mapping is a native event, counted before it is
/// recorded, applied from its position on by `project`, reproduced by `rebuild`, and shown by `history`.
@Suite struct MappingCommandTests {
    func count(_ database: TestDatabase, _ sql: String) throws -> Int64 {
        try database.connect().query(sql)[0].decode(Int64.self, at: 0)
    }

    /// Subscription rows whose plan type differs from their license's.
    static let planDiffersFromLicense = """
        SELECT count(*) FROM subscriptions s JOIN licenses l ON l.id = s.license_id WHERE s.plan_type <> l.plan_type
        """

    @Test func aMappingIsCountedRecordedProjectedAndRebuilt() async throws {
        try await TestDatabase.with { database in
            let loaded = try loadGenerated(database, customers: 8, months: 6, firstPart: 0.6)
            defer { loaded.remove() }
            let environment = loaded.environment.merging([
                "LEDGER_SNAPSHOT_DIR": loaded.directory.appendingPathComponent("snapshots").path
            ]) { $1 }
            try ingest(loaded.files[0], environment)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            let rows = try count(database, "SELECT count(*) FROM subscriptions")
            let differing = try count(database, Self.planDiffersFromLicense)
            try #require(rows > 0 && differing > 0, "the history needs plan changes to test a re-mapping")

            let shown = try ledgerJSON(["mapping", "--json"], environment)
            #expect(shown["position"] == nil)
            #expect(
                try JSONSerialization.data(withJSONObject: try #require(shown["mapping"]), options: [.sortedKeys])
                    == Data(#"{"license":[{"metadata_id":"license_id"}],"plan_type":[{"metadata":"plan_type"}]}"#.utf8))

            // Usage errors: no reason, an unknown rule, a table without its rule.
            for arguments in [
                ["mapping", "set", "--plan-type", "license"],
                ["mapping", "set", "--plan-type", "colour", "--reason", "r"],
                ["mapping", "set", "--plan-type", "license", "--price", "price_1=pro", "--reason", "r"],
                ["mapping", "set", "--license", "metadata-id:", "--reason", "r"],
            ] {
                #expect(try runLedger(arguments, environment: environment).status == 2, "\(arguments)")
            }

            let remappedID = try #require(
                try database.connect().query(
                    "SELECT s.stripe_subscription_id FROM subscriptions s JOIN licenses l ON l.id = s.license_id "
                        + "WHERE s.plan_type <> l.plan_type ORDER BY 1 LIMIT 1"
                ).first?.decode(String.self, at: 0))
            let head = try positions(database).head
            let planFromLicense = ["mapping", "set", "--plan-type", "license", "--reason", "plans live on licenses"]
            let dryRun = try ledgerJSON(planFromLicense + ["--dry-run", "--json"], environment)
            let impact = try #require(dryRun["impact"] as? [String: Any])
            #expect(dryRun["appended"] as? Bool == false && dryRun["head"] as? Int == Int(head))
            #expect(
                impact["remapped"] as? Int == Int(differing) && impact["plan_type_changed"] as? Int == Int(differing))
            #expect(impact["gain_row"] as? Int == 0 && impact["lose_row"] as? Int == 0)
            #expect(try positions(database).head == head)

            let recorded = try ledgerJSON(planFromLicense + ["--json"], environment)
            #expect(recorded["appended"] as? Bool == true && recorded["position"] as? Int == Int(head + 1))
            #expect(try ledgerJSON(planFromLicense + ["--json"], environment)["appended"] as? Bool == false)
            #expect(try ledgerJSON(["mapping", "--json"], environment)["position"] as? Int == Int(head + 1))

            // The projector re-maps from the setting on; the rest of the history is mapped by it too.
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try count(database, Self.planDiffersFromLicense) == 0)
            #expect(try count(database, "SELECT count(*) FROM subscriptions") == rows)
            // `ledger history` shows the setting where it changed the subscription's row.
            let history = try runLedger(["history", remappedID, "--json"], environment: environment)
            #expect(history.status == 0, "\(history.standardError)")
            let setting = try history.standardOutput.split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.first { $0["type"] as? String == "ledger.mapping_set" }
            let changes = try #require(setting?["changes"] as? [[String: Any]])
            let columns = try #require(changes.first?["columns"] as? [[String: Any]])
            #expect(columns.map { $0["column"] as? String } == ["plan_type"])
            #expect(setting?["position"] as? Int == Int(head + 1))
            try ingest(loaded.files[1], environment)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try count(database, Self.planDiffersFromLicense) == 0)
            let caughtUp = try runLedger(["digest", "--json"], environment: environment).standardOutput
            for command in [["rebuild"], ["rebuild", "--from-scratch"]] {
                let output = try runLedger(command, environment: environment)
                #expect(output.status == 0, "\(command): \(output.standardError)")
                #expect(try runLedger(["digest", "--json"], environment: environment).standardOutput == caughtUp)
            }
            let verify = try runLedger(["verify"], environment: environment)
            #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")

            // A license whose plan changes: the next projector run writes the row again.
            let subscription = try #require(
                try database.connect().query(
                    "SELECT stripe_subscription_id, license_id::text FROM subscriptions ORDER BY 1 LIMIT 1"
                ).first)
            let (stripeID, license) = (
                try subscription.decode(String.self, at: 0), try subscription.decode(String.self, at: 1)
            )
            try database.connect().query(
                "UPDATE licenses SET plan_type = 'enterprise' WHERE id = $1::uuid", [license])
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(
                try database.connect().query(
                    "SELECT plan_type FROM subscriptions WHERE stripe_subscription_id = $1", [stripeID]
                )[0].decode(String.self, at: 0) == "enterprise")
        }
    }

    @Test func aLicenseKeyRuleFindsTheLicenseAndParksAnUnknownKey() async throws {
        try await TestDatabase.with { database in
            let environment = ["DATABASE_URL": database.url]
            #expect(try runLedger(["migrate", "up"], environment: environment).status == 0)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mapping-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let license = UUID()
            try insertLicense(license, into: try database.connect())
            let key = "key-\(license.uuidString.lowercased())"
            // Two subscriptions naming their license by key: one that exists, one not yet.
            var lines: [String] = []
            for (index, account) in [key, "key-late"].enumerated() {
                var envelope = try #require(
                    try JSONSerialization.jsonObject(
                        with: Data(
                            contentsOf: Repository.stripeFixtures.appendingPathComponent(
                                "webhook-events-2020-08-27/customer.subscription.created.json"))) as? [String: Any])
                envelope["id"] = "evt_mapping_\(index)"
                var data = try #require(envelope["data"] as? [String: Any])
                var object = try #require(data["object"] as? [String: Any])
                object["id"] = "sub_mapping_\(index)"
                object["metadata"] = ["account": account, "plan_type": "pro"]
                data["object"] = object
                envelope["data"] = data
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: envelope), as: UTF8.self))
            }
            let file = directory.appendingPathComponent("events.jsonl")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            try ingest(file, environment)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try count(database, "SELECT count(*) FROM subscriptions") == 0)

            let set = try ledgerJSON(
                [
                    "mapping", "set", "--license", "metadata-id:license_id", "--license", "license-key:account",
                    "--reason", "the app keys licenses by account", "--json",
                ], environment)
            #expect((set["impact"] as? [String: Any])?["gain_row"] as? Int == 1)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(
                try database.connect().query(
                    "SELECT license_id::text FROM subscriptions WHERE stripe_subscription_id = 'sub_mapping_0'"
                ).first?.decode(String.self, at: 0) == license.uuidString.lowercased())
            let parked = try ledgerJSON(["parked", "--json"], environment)
            let groups = try #require(parked["groups"] as? [[String: Any]])
            #expect(groups.map { $0["kind"] as? String } == ["unknown_license_key"])

            // The late license arrives: the next run projects it without another event.
            let late = UUID()
            try insertLicense(late, into: try database.connect())
            try database.connect().query(
                "UPDATE licenses SET license_key = 'key-late' WHERE id = $1::uuid", [late.uuidString])
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try count(database, "SELECT count(*) FROM subscriptions") == 2)
            #expect((try ledgerJSON(["parked", "--json"], environment)["groups"] as? [Any])?.isEmpty == true)
        }
    }
}
