import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Read commands on a streaming standby (`--read-database-url`, `LEDGER_READ_DATABASE_URL`): they say the
/// standby's lag on standard error, wait (bounded) for `--at-least-position` or fail saying so, and write
/// commands keep writing to the primary whatever the environment names for reads.
@Suite("read commands on a streaming standby")
struct ReadReplicaCommandTests {
    /// Appends `count` native events with `ledger append`; returns the primary's head after them.
    func append(_ count: Int, _ environment: [String: String], _ database: TestDatabase) throws -> Int64 {
        for _ in 0..<count {
            let output = try runLedger(
                [
                    "append", "--stream", "license:\(UUID().uuidString.prefix(8))", "--type", "license.reassigned",
                    "--data", #"{"to":"u2"}"#,
                ], environment: environment)
            #expect(output.status == 0, "\(output.standardError)")
        }
        return try positions(database).head
    }

    func headPosition(_ output: ProcessOutput) throws -> Int64? {
        let json = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
        return (json?["position"] as? NSNumber)?.int64Value
    }

    @Test func readCommandsOnTheStandbySayTheirLagWaitForAPositionAndWritesStayOnThePrimary() async throws {
        try await Standby.exclusive {
            try await TestDatabase.withMigrated { database in
                let environment = [
                    "DATABASE_URL": database.url, "LEDGER_READ_DATABASE_URL": try Standby.url(of: database),
                ]
                let replayedHead = try append(3, environment, database)
                try await Standby.caughtUp()
                let caughtUp = try runLedger(["head", "--json"], environment: environment)
                #expect(caughtUp.status == 0, "\(caughtUp.standardError)")
                #expect(try headPosition(caughtUp) == replayedHead)
                #expect(caughtUp.standardError.contains("replayed through position \(replayedHead)"))
                #expect(caughtUp.standardError.contains("(0 events"))
                for arguments in [["status", "--json"], ["rejected", "--json"], ["parked", "--json"]] {
                    let output = try runLedger(arguments, environment: environment)
                    #expect(output.status == 0, "\(arguments): \(output.standardError)")
                    #expect(output.standardError.contains("read from"), "\(arguments)")
                }

                try await Standby.pausingReplay {
                    // Written with a read URL in the environment: to the primary, which the standby does not yet show.
                    let head = try append(2, environment, database)
                    #expect(head == replayedHead + 2)
                    let older = try runLedger(["head", "--json"], environment: environment)
                    #expect(try headPosition(older) == replayedHead)
                    #expect(older.standardError.contains("the primary is at \(head) (2 events"))

                    let refused = try runLedger(
                        ["head", "--at-least-position", "\(head)", "--replica-wait-seconds", "1"],
                        environment: environment)
                    #expect(refused.status != 0)
                    #expect(refused.standardOutput.isEmpty)
                    #expect(refused.standardError.contains("through position \(replayedHead), not \(head)"))

                    let name = "ledger-wait-\(UUID().uuidString.prefix(8))"
                    var named = environment
                    named["LEDGER_READ_DATABASE_URL"] = try Standby.url(of: database, applicationName: name)
                    let waiting = try LedgerProcess(
                        ["head", "--json", "--at-least-position", "\(head)", "--replica-wait-seconds", "120"],
                        environment: named)
                    try await Poll.until("ledger head waits for position \(head)") {
                        try Standby.isLookingAtReplay(database, applicationName: name)
                    }
                    try Standby.resumeReplay()
                    let answered = waiting.wait()
                    #expect(answered.status == 0, "\(answered.standardError)")
                    #expect(try headPosition(answered) == head)
                }
            }
        }
    }

    @Test func theReadURLFlagWinsOverTheEnvironmentAndWaitBoundsAreChecked() async throws {
        try await Standby.exclusive {
            try await TestDatabase.withMigrated { database in
                let environment = [
                    "DATABASE_URL": database.url, "LEDGER_READ_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                ]
                let head = try append(1, environment, database)
                try await Standby.caughtUp()
                let output = try runLedger(
                    ["head", "--json", "--read-database-url", try Standby.url(of: database)], environment: environment)
                #expect(output.status == 0, "\(output.standardError)")
                #expect(try headPosition(output) == head)
                let tooLong = try runLedger(["head", "--replica-wait-seconds", "100000"], environment: environment)
                #expect(tooLong.status != 0)
                #expect(tooLong.standardError.contains("--replica-wait-seconds must be"))
            }
        }
    }
}
