import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@testable import LedgerServer

/// The read API on a streaming standby (`readDatabaseURL`): every answer carries the standby's lag in
/// `Ledger-Replica-*` headers, and a request with `Ledger-Min-Position` waits (bounded) for the standby
/// to replay that position or is refused with 503 `replica_behind`, never answered from an older state.
@Suite("read API on a streaming standby")
struct ReadReplicaServerTests {
    /// Appends `count` native events on the primary; returns its head after them.
    func append(_ count: Int, to database: TestDatabase) throws -> Int64 {
        let store = EventStore(connection: try database.connect())
        let events = (0..<count).map { index in
            NewEvent(
                eventID: UUID(), streamID: "license:\(UUID().uuidString.prefix(8))", type: "license.reassigned",
                source: "ledger", sourceEventID: nil,
                occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000 + Int64(index)),
                customerID: nil, body: Array(#"{"to":"u2"}"#.utf8), metadata: "{}")
        }
        _ = try store.append(AppendBatch(events: events), recordedAt: EventTime(secondsSinceEpoch: 1_700_000_000))
        return try store.head().position
    }

    func onStandby(
        _ database: TestDatabase, name: String, waitSeconds: Int
    ) throws -> (inout ServerConfiguration) -> Void {
        let url = try Standby.url(of: database, applicationName: name)
        return { configuration in
            configuration.readDatabaseURL = url
            configuration.replicaWaitSeconds = waitSeconds
            configuration.projector = false
        }
    }

    func minPosition(_ position: Int64) -> [(String, String)] {
        [("Authorization", "Bearer \(ServedLedger.token)"), ("Ledger-Min-Position", "\(position)")]
    }

    @Test func answersOnTheStandbySayItsLagAndAPositionNotReplayedIsRefusedAfterTheWait() async throws {
        try await Standby.exclusive {
            try await TestDatabase.withMigrated { database in
                let replayed = try append(3, to: database)
                try await Standby.caughtUp()
                let configure = try onStandby(
                    database, name: "ledger-serve-\(UUID().uuidString.prefix(8))", waitSeconds: 1)
                try await InProcessLedger.with(database, configure: configure) { ledger in
                    let current = try await ledger.get("/v1/events")
                    #expect(current.status == 200, "\(current.text)")
                    #expect(current.json?["head"] as? Int == Int(replayed))
                    #expect(current.header("ledger-replica-position") == "\(replayed)")
                    #expect(current.header("ledger-primary-position") == "\(replayed)")
                    #expect(current.header("ledger-replica-lag-events") == "0")

                    try await Standby.pausingReplay {
                        let head = try append(2, to: database)
                        let older = try await ledger.get("/v1/events")
                        #expect(older.status == 200)
                        #expect(older.json?["head"] as? Int == Int(replayed), "an older state, and it says so:")
                        #expect(older.header("ledger-replica-position") == "\(replayed)")
                        #expect(older.header("ledger-primary-position") == "\(head)")
                        #expect(older.header("ledger-replica-lag-events") == "2")
                        #expect(Int(older.header("ledger-replica-lag-bytes") ?? "") ?? 0 > 0)

                        let refused = try await ledger.request("GET", "/v1/events", headers: minPosition(head))
                        #expect(refused.status == 503, "\(refused.text)")
                        #expect(refused.json?["code"] as? String == "replica_behind")
                        #expect((refused.json?["error"] as? String)?.contains("not \(head)") == true)

                        let notAPosition = try await ledger.request(
                            "GET", "/v1/events",
                            headers: [("Authorization", "Bearer \(ServedLedger.token)"), ("Ledger-Min-Position", "-1")])
                        #expect(notAPosition.status == 400)
                        let stranger = try await ledger.request(
                            "GET", "/v1/events", headers: [("Ledger-Min-Position", "\(head)")])
                        #expect(stranger.status == 401)
                        #expect(stranger.header("ledger-replica-position") == nil)
                    }
                }
            }
        }
    }

    @Test func aPositionNotYetReplayedWaitsAndIsAnsweredOnceReplayed() async throws {
        try await Standby.exclusive {
            try await TestDatabase.withMigrated { database in
                _ = try append(2, to: database)
                try await Standby.caughtUp()
                let name = "ledger-serve-\(UUID().uuidString.prefix(8))"
                let configure = try onStandby(database, name: name, waitSeconds: 120)
                try await InProcessLedger.with(database, configure: configure) { ledger in
                    try await Standby.pausingReplay {
                        let head = try append(1, to: database)
                        async let answered = ledger.request("GET", "/v1/events", headers: minPosition(head))
                        try await Poll.until("the request waits for position \(head)") {
                            try Standby.isLookingAtReplay(database, applicationName: name)
                        }
                        try Standby.resumeReplay()
                        let response = try await answered
                        #expect(response.status == 200, "\(response.text)")
                        #expect(response.json?["head"] as? Int == Int(head))
                        let positions = (response.json?["events"] as? [[String: Any]])?.compactMap {
                            $0["position"] as? Int
                        }
                        #expect(positions?.last == Int(head))
                        #expect(response.header("ledger-replica-position") == "\(head)")
                    }
                }
            }
        }
    }
}
