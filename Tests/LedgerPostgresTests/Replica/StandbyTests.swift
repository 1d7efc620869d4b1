import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// ``ReplicaLag`` and ``ReplicaWait`` against the physical streaming standby `tools/test` starts: what the
/// standby has replayed, measured against the primary, and a bounded wait that refuses rather than answer
/// from an older state.
@Suite("streaming standby")
struct StandbyTests {
    /// Appends `count` events on `store`; returns the head position after them.
    func append(_ count: Int, to store: EventStore) throws -> Int64 {
        let events = (0..<count).map { _ in makeEvent(stream: "replica:\(UUID().uuidString.prefix(8))") }
        _ = try store.append(AppendBatch(events: events), recordedAt: testTime)
        return try store.head().position
    }

    @Test func lagCountsTheEventsTheStandbyHasNotReplayedWhileReplayIsPaused() async throws {
        try await Standby.exclusive {
            try await TestDatabase.withMigrated { database in
                let primary = try database.connect()
                let store = EventStore(connection: primary)
                var head = try append(3, to: store)
                try await Standby.caughtUp()
                let standby = try Standby.connect(database)
                let replayed = try ReplicaLag.measure(ReplicaLag.readReplicaSide(standby), primary: primary)
                #expect(replayed.isStandby)
                #expect(replayed.replicaPosition == head && replayed.events == 0)
                for unreplayed in [1, 4, 9] {
                    let before = head
                    try await Standby.pausingReplay {
                        head = try append(unreplayed, to: store)
                        let lag = try ReplicaLag.measure(ReplicaLag.readReplicaSide(standby), primary: primary)
                        #expect(lag.replicaPosition == before)
                        #expect(lag.primaryPosition == head)
                        #expect(lag.events == Int64(unreplayed))
                        #expect((lag.walBytes ?? 0) > 0, "the primary wrote WAL the paused standby has not replayed")
                        #expect(lag.summary.contains("\(unreplayed) event"))
                    }
                    let caughtUp = try ReplicaWait(position: head, timeout: .seconds(60)).wait {
                        try ReplicaLag.readReplicaSide(standby)
                    }
                    #expect(caughtUp.position == head)
                }
            }
        }
    }

    @Test func waitForAPositionNotReplayedRefusesWhenTheWaitRunsOut() async throws {
        try await Standby.exclusive {
            try await TestDatabase.withMigrated { database in
                let store = EventStore(connection: try database.connect())
                let replayedHead = try append(2, to: store)
                try await Standby.caughtUp()
                let standby = try Standby.connect(database)
                try await Standby.pausingReplay {
                    let head = try append(1, to: store)
                    let wait = ReplicaWait(position: head, timeout: .milliseconds(300))
                    let refusal = #expect(throws: ReplicaBehind.self) {
                        try wait.wait { try ReplicaLag.readReplicaSide(standby) }
                    }
                    #expect(refusal?.position == head)
                    #expect(refusal?.replayed == replayedHead)
                    #expect(refusal?.description.contains("not \(head)") == true)
                }
            }
        }
    }

    @Test func waitStepsAnswerAtThePositionPollWithinTheBoundAndRefuseAfterIt() {
        let wait = ReplicaWait(position: 10, timeout: .seconds(2))
        #expect(wait.step(replayed: 10, waited: .seconds(5)) == .ready)
        #expect(wait.step(replayed: 11, waited: .zero) == .ready)
        guard case .poll(let pause) = wait.step(replayed: 9, waited: .zero) else {
            Issue.record("a wait inside its bound polls")
            return
        }
        #expect(pause > .zero && pause <= .seconds(2))
        #expect(wait.step(replayed: 9, waited: .milliseconds(1_999)) == .poll(after: .milliseconds(1)))
        #expect(
            wait.step(replayed: 9, waited: .seconds(2))
                == .refuse(ReplicaBehind(position: 10, replayed: 9, waitedSeconds: 2)))
    }
}
