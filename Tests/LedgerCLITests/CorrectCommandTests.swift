import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// `ledger correct` (issue 15 point 2) against a real PostgreSQL: a license correction clears a park and
/// `project` writes the row; refunds, exclusion; `rebuild` and `verify` reproduce it; `history` and `state` show it.
@Suite("ledger correct")
struct CorrectCommandTests {
    static func count(_ database: TestDatabase, _ sql: String) throws -> Int64 {
        try database.connect().query(sql)[0].decode(Int64.self, at: 0)
    }

    static func json(_ arguments: [String], _ environment: [String: String]) throws -> [String: Any] {
        let output = try runLedger(arguments, environment: environment)
        #expect(output.status == 0, "\(arguments): \(output.standardError)")
        return try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any] ?? [:]
    }

    /// A succeeded PaymentIntent of `amount` cents for the customer of `subscription`.
    static func payment(_ id: String, customer: String, amount: Int, created: Int = 1_700_000_100) -> String {
        #"{"id":"evt_\#(id)","object":"event","type":"payment_intent.succeeded","created":\#(created),"data":{"object":{"id":"\#(id)","object":"payment_intent","amount":\#(amount),"currency":"usd","status":"succeeded","customer":"\#(customer)","metadata":{}}}}"#
    }

    @Test func aLicenseCorrectionClearsTheParkAndRebuildReproducesEveryCorrection() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("correct-\(UUID())")
            let environment = [
                "DATABASE_URL": database.url,
                "LEDGER_SNAPSHOT_DIR": directory.appendingPathComponent("snapshots").path,
            ]
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let license = UUID()
            try insertLicense(license, into: try database.connect())
            let lines = [
                ParkingEvents.subscription("evt_corr_0", "sub_corr_0", metadata: #""plan_type":"pro""#),
                ParkingEvents.subscription("evt_corr_1", "sub_corr_1", metadata: ParkingEvents.licensed(license)),
                Self.payment("pi_corr", customer: "cus_sub_corr_0", amount: 1900),
            ]
            let file = directory.appendingPathComponent("events.jsonl")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            #expect(try runLedger(["ingest", "stripe", file.path], environment: environment).status == 0)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try Self.count(database, "SELECT count(*) FROM subscriptions") == 1)
            #expect(try Self.count(database, "SELECT count(*) FROM ledger.parked") == 1)

            // Usage errors: no reason, an empty one, neither --license nor --clear; an unknown object is refused.
            let noReason = try runLedger(
                ["correct", "license", "sub_corr_0", "--license", license.uuidString], environment: environment)
            #expect(noReason.status == 2 && noReason.standardError.contains("--reason"), "\(noReason)")
            let emptyReason = try runLedger(
                ["correct", "license", "sub_corr_0", "--license", license.uuidString, "--reason", " "],
                environment: environment)
            #expect(emptyReason.status == 2, "\(emptyReason)")
            let neither = try runLedger(
                ["correct", "license", "sub_corr_0", "--reason", "x"], environment: environment)
            #expect(neither.status == 2, "\(neither)")
            let unknown = try runLedger(
                ["correct", "exclude", "sub_nope", "--reason", "typo"], environment: environment)
            #expect(unknown.status == 1 && unknown.standardError.contains("sub_nope"), "\(unknown)")
            let head = try Self.json(["head", "--json"], environment)
            let dryRun = try Self.json(
                [
                    "correct", "license", "sub_corr_0", "--license", license.uuidString, "--reason", "ticket 4411",
                    "--dry-run", "--json",
                ], environment)
            #expect(dryRun["dry_run"] as? Bool == true && dryRun["position"] == nil)
            #expect(try Self.json(["head", "--json"], environment) as NSDictionary == head as NSDictionary)

            let recorded = try Self.json(
                [
                    "correct", "license", "sub_corr_0", "--license", license.uuidString, "--reason", "ticket 4411",
                    "--actor", "tester", "--json",
                ], environment)
            #expect(recorded["stream"] as? String == "subscription:sub_corr_0")
            #expect(recorded["type"] as? String == "ledger.license_corrected")
            let position = try #require(recorded["position"] as? Int)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try Self.count(database, "SELECT count(*) FROM ledger.parked") == 0)
            #expect(
                try database.connect().query(
                    "SELECT license_id::text FROM subscriptions WHERE stripe_subscription_id = 'sub_corr_0'"
                ).first?.decode(String.self, at: 0) == license.uuidString.lowercased())

            // An out-of-band refund of the whole amount, and an excluded subscription.
            #expect(
                try runLedger(
                    ["correct", "refund", "pi_corr", "--amount-cents", "1900", "--reason", "bank transfer back"],
                    environment: environment
                ).status == 0)
            #expect(
                try runLedger(
                    ["correct", "exclude", "sub_corr_1", "--reason", "test subscription"], environment: environment
                )
                .status == 0)
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(try Self.count(database, "SELECT count(*) FROM subscriptions") == 1)
            #expect(
                try Self.count(
                    database,
                    "SELECT count(*) FROM payment_transactions WHERE status = 'refunded' AND refunded_amount_cents = 1900"
                ) == 1)

            // A snapshot holds the corrections so far; more come after it, and a rebuild from it replays those.
            #expect(try runLedger(["snapshot", "create"], environment: environment).status == 0)
            for arguments in [
                ["correct", "include", "sub_corr_1", "--reason", "a real customer after all"],
                ["correct", "plan-type", "sub_corr_0", "--plan", "enterprise", "--reason", "contract"],
            ] {
                #expect(try runLedger(arguments, environment: environment).status == 0)
            }
            #expect(try runLedger(["project"], environment: environment).status == 0)
            #expect(
                try Self.count(database, "SELECT count(*) FROM subscriptions WHERE plan_type = 'enterprise'") == 1)
            #expect(try Self.count(database, "SELECT count(*) FROM subscriptions") == 2)
            let caughtUp = try Self.json(["digest", "--json"], environment)
            for command in [["rebuild"], ["rebuild", "--from-scratch"]] {
                let output = try runLedger(command, environment: environment)
                #expect(output.status == 0, "\(command): \(output.standardError)")
                #expect(
                    output.standardOutput.contains("from the snapshot at") == (command == ["rebuild"]),
                    "\(command): \(output.standardOutput)")
                #expect(try Self.json(["digest", "--json"], environment) as NSDictionary == caughtUp as NSDictionary)
            }
            let verify = try runLedger(["verify"], environment: environment)
            #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")

            // History lists the correction with who and why, and the column it changed; state lists it in effect.
            let history = try runLedger(["history", "sub_corr_0"], environment: environment)
            #expect(history.status == 0, "\(history.standardError)")
            #expect(history.standardOutput.contains("ledger.license_corrected"), "\(history.standardOutput)")
            #expect(
                history.standardOutput.contains(
                    "correction: ledger.license_corrected \(license.uuidString.lowercased()) at position \(position) "
                        + "by tester: ticket 4411"),
                "\(history.standardOutput)")
            #expect(history.standardOutput.contains("subscriptions sub_corr_0: new row"), "\(history.standardOutput)")
            let state = try Self.json(
                ["state", "sub_corr_0", "--at-position", String(position), "--json"], environment)
            let corrections = state["corrections"] as? [[String: Any]] ?? []
            #expect(corrections.map { $0["type"] as? String } == ["ledger.license_corrected"], "\(state)")
            #expect(corrections.first?["actor"] as? String == "tester")
            let text = try runLedger(["state", "pi_corr", "--at-position", "999999"], environment: environment)
            #expect(text.status == 2, "a position past the head is refused: \(text)")
            let payment = try runLedger(["state", "pi_corr", "--as-of", "9999-01-01"], environment: environment)
            #expect(
                payment.standardOutput.contains("pi_corr: ledger.refund_recorded 1900"), "\(payment.standardOutput)")
        }
    }
}
