import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger history and ledger state")
struct AuditCommandTests {
    /// A projected generated history and one of its subscriptions that has payments.
    func loaded(_ database: TestDatabase) throws -> (Loaded, subscription: String, customer: String) {
        let loaded = try loadGenerated(database, customers: 12, months: 6)
        try ingest(loaded.files[0], loaded.environment)
        #expect(try runLedger(["project"], environment: loaded.environment).status == 0)
        let row = try database.connect().query(
            """
            SELECT s.stripe_subscription_id, s.stripe_customer_id FROM subscriptions s
            JOIN payment_transactions p ON p.subscription_id = s.id
            GROUP BY 1, 2 ORDER BY count(*) DESC, 1 LIMIT 1
            """)[0]
        return (loaded, try row.decode(String.self, at: 0), try row.decode(String.self, at: 1))
    }

    @Test func historyPrintsATableOfEventsWithColumnDiffsAndJSONLines() async throws {
        try await TestDatabase.withMigrated { database in
            let (loaded, subscription, customer) = try loaded(database)
            defer { loaded.remove() }
            let table = try runLedger(["history", subscription, "--include-payments"], environment: loaded.environment)
            #expect(table.status == 0, "\(table.standardError)")
            #expect(table.standardOutput.hasPrefix("history of \(subscription) (customer \(customer)): "))
            #expect(table.standardOutput.contains("customer.subscription.created"))
            #expect(table.standardOutput.contains("subscriptions \(subscription): new row"))
            #expect(table.standardOutput.contains("payment_transactions pi_"))
            #expect(table.standardOutput.contains(" → "))

            let json = try runLedger(["history", subscription, "--json"], environment: loaded.environment)
            #expect(json.status == 0, "\(json.standardError)")
            let lines = json.standardOutput.split(separator: "\n")
            let positions = try database.connect().query(
                "SELECT position FROM ledger.events WHERE stream_id = $1 ORDER BY position",
                ["subscription:\(subscription)"]
            ).map { try $0.decode(Int.self, at: 0) }
            #expect(lines.count == positions.count)
            for (line, position) in zip(lines, positions) {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                #expect(object["position"] as? Int == position)
                #expect(object["outcome"] as? String != nil)
                #expect(object["changes"] as? [Any] != nil)
            }
        }
    }

    @Test func stateShowsTheRowsAtAPositionAndRefusesBadInput() async throws {
        try await TestDatabase.withMigrated { database in
            let (loaded, subscription, _) = try loaded(database)
            defer { loaded.remove() }
            let connection = try database.connect()
            let head = try connection.query("SELECT position FROM ledger.head")[0].decode(Int.self, at: 0)
            let now = try runLedger(
                ["state", subscription, "--at-position", "\(head)", "--json"], environment: loaded.environment)
            #expect(now.status == 0, "\(now.standardError)")
            let state = try #require(
                try JSONSerialization.jsonObject(with: Data(now.standardOutput.utf8)) as? [String: Any])
            let rows = try #require(state["subscriptions"] as? [[String: Any]])
            let live = try connection.query(
                "SELECT status, amount_cents::bigint FROM subscriptions WHERE stripe_subscription_id = $1",
                [subscription]
            )[0]
            #expect(rows.first?["status"] as? String == (try live.decode(String.self, at: 0)))
            #expect(rows.first?["amount_cents"] as? Int == (try live.decode(Int.self, at: 1)), "a number, as live")

            let before = try runLedger(["state", subscription, "--at-position", "0"], environment: loaded.environment)
            #expect(before.status == 0)
            #expect(before.standardOutput.contains("subscriptions (0 rows)"))
            let asOf = try runLedger(
                ["state", subscription, "--as-of", "2999-01-01T00:00:00Z"], environment: loaded.environment)
            #expect(asOf.status == 0)
            #expect(asOf.standardOutput.contains("subscriptions (1 row)"))

            for arguments in [
                ["state", subscription], ["state", "in_123", "--at-position", "1"],
                ["state", subscription, "--as-of", "yesterday"], ["history", "nothing"],
            ] {
                let refused = try runLedger(arguments, environment: loaded.environment)
                #expect(refused.status == 2, "\(arguments): \(refused.standardError)")
            }
            let unknown = try runLedger(["history", "sub_unknown"], environment: loaded.environment)
            #expect(unknown.status == 1)
            #expect(unknown.standardError.contains("the log has no event of subscription sub_unknown"))
        }
    }
}
