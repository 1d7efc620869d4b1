import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

func makeEvent(
    stream: String, type: String = "test.happened", source: String = "ledger", sourceID: String? = nil,
    body: String = #"{"n":1}"#, seconds: Int64 = 1_700_000_000
) -> NewEvent {
    NewEvent(
        eventID: UUID(), streamID: stream, type: type, source: source, sourceEventID: sourceID,
        occurredAt: EventTime(secondsSinceEpoch: seconds), customerID: "cus_test", body: Array(body.utf8),
        metadata: #"{"by":"test"}"#)
}

let testTime = EventTime(microsecondsSinceEpoch: 1_732_000_000_123_456)

/// The event log's conformance suite, against PostgreSQL.
@Suite("event log")
struct EventStoreTests {
    @Test func appendedEventsReadBackExactlyInPositionAndStreamOrder() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let body = "{\"emoji\":\"💸\",\"nul\":\"\\u0000\",\"raw\":\"tab\there\"}"
            let events = [makeEvent(stream: "s:a", body: body), makeEvent(stream: "s:b"), makeEvent(stream: "s:a")]
            let outcomes = try store.append(AppendBatch(events: events), recordedAt: testTime)
            #expect(
                outcomes == [
                    .appended(position: 1, streamVersion: 1), .appended(position: 2, streamVersion: 1),
                    .appended(position: 3, streamVersion: 2),
                ])
            let read = try store.read(after: 0)
            #expect(read.map(\.position) == [1, 2, 3])
            #expect(read[0].body == Array(body.utf8))
            #expect(read[0].eventID == events[0].eventID)
            #expect(read[0].recordedAt == testTime)
            #expect(read[0].occurredAt == events[0].occurredAt)
            #expect(read[0].metadata == events[0].metadata)
            #expect(read[0].customerID == "cus_test")
            #expect(try store.readStream("s:a").map(\.streamVersion) == [1, 2])
            #expect(try store.readStream("s:a", from: 2).map(\.position) == [3])
            #expect(try store.read(after: 1, limit: 1).map(\.position) == [2])
            #expect(try store.read(after: 0, through: 2).map(\.position) == [1, 2])
            #expect(try store.head() == ChainHead(position: 3, hash: read[2].hash))
        }
    }

    @Test func hashesChainEveryEventToThePreviousOne() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            for index in 0..<5 {
                try store.append(AppendBatch(events: [makeEvent(stream: "s:\(index % 2)")]), recordedAt: testTime)
            }
            var previous = ChainHead.genesis.hash
            for event in try store.read(after: 0) {
                #expect(EventHash.compute(previous: previous, event: event) == event.hash)
                previous = event.hash
            }
        }
    }

    @Test func expectedVersionRulesAndConflictsWriteNothing() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            try store.append(
                AppendBatch(events: [makeEvent(stream: "s:x")], expectations: ["s:x": .noStream]), recordedAt: testTime)
            try store.append(
                AppendBatch(events: [makeEvent(stream: "s:x")], expectations: ["s:x": .exact(1)]), recordedAt: testTime)
            try store.append(
                AppendBatch(events: [makeEvent(stream: "s:x")], expectations: ["s:x": .any]), recordedAt: testTime)

            let conflicts: [(ExpectedVersion, Int64)] = [(.noStream, 3), (.exact(1), 3), (.exact(4), 3)]
            for (expected, actual) in conflicts {
                let batch = try AppendBatch(
                    events: [makeEvent(stream: "s:other"), makeEvent(stream: "s:x")], expectations: ["s:x": expected])
                let error = try #require(throws: VersionConflict.self) { try store.append(batch, recordedAt: testTime) }
                #expect(error == VersionConflict(streamID: "s:x", expected: expected, actual: actual))
                #expect(error.description.contains("s:x"))
            }
            let fresh = try #require(throws: VersionConflict.self) {
                try store.append(
                    AppendBatch(events: [makeEvent(stream: "s:new")], expectations: ["s:new": .exact(2)]),
                    recordedAt: testTime)
            }
            #expect(fresh.actual == 0)
            #expect(try store.head().position == 3)
            #expect(try store.readStream("s:other").isEmpty)
        }
    }

    @Test func duplicatesByEventIDOrSourceIDAreAnsweredWithTheOriginalPosition() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let first = makeEvent(stream: "subscription:sub_1", source: "stripe", sourceID: "evt_1")
            try store.append(AppendBatch(events: [makeEvent(stream: "s:filler"), first]), recordedAt: testTime)
            var sameSourceID = makeEvent(stream: "subscription:sub_1", source: "stripe", sourceID: "evt_1")
            sameSourceID.body = Array("different bytes".utf8)
            // A retried batch whose events are all stored is answered, not checked against its expectation.
            let retried = try store.append(
                AppendBatch(events: [first, sameSourceID], expectations: ["subscription:sub_1": .noStream]),
                recordedAt: testTime)
            // The copy with other bytes is still not appended; it is kept as a conflicting duplicate.
            #expect(retried == [.duplicate(position: 2), .duplicate(position: 2, conflicting: true)])

            // Duplicates inside one new batch: the second copy gets the first one's new position.
            let twinA = makeEvent(stream: "subscription:sub_2", source: "stripe", sourceID: "evt_2")
            let twinB = makeEvent(stream: "subscription:sub_2", source: "stripe", sourceID: "evt_2")
            let twins = try store.append(AppendBatch(events: [twinA, twinB, twinA]), recordedAt: testTime)
            #expect(
                twins == [.appended(position: 3, streamVersion: 1), .duplicate(position: 3), .duplicate(position: 3)])

            // The same source id from another source is a different event.
            let otherSource = makeEvent(stream: "subscription:sub_1", source: "import", sourceID: "evt_1")
            #expect(
                try store.append(AppendBatch(events: [otherSource]), recordedAt: testTime)
                    == [.appended(position: 4, streamVersion: 2)])
            #expect(try store.head().position == 4)
            #expect(try store.read(after: 0).count == 4)

            // Ids travel inside array literals: quotes, backslashes and commas must survive.
            let odd = makeEvent(stream: #"odd:"a",\b{}"#, source: "import", sourceID: #"x"y\z,{}"#)
            #expect(
                try store.append(AppendBatch(events: [odd]), recordedAt: testTime) == [
                    .appended(position: 5, streamVersion: 1)
                ])
            #expect(try store.append(AppendBatch(events: [odd]), recordedAt: testTime) == [.duplicate(position: 5)])
        }
    }

    @Test func aBatchWithOneInvalidEventWritesNothing() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let bad = [
                makeEvent(stream: ""), makeEvent(stream: "s", type: String(repeating: "t", count: 256)),
                makeEvent(stream: "s", source: "Not A Source"),
                makeEvent(stream: "s", sourceID: String(repeating: "e", count: 300)),
                makeEvent(stream: "s\u{0}x"),
            ]
            for event in bad {
                #expect(throws: InvalidEvent.self) {
                    try store.append(AppendBatch(events: [makeEvent(stream: "s:ok"), event]), recordedAt: testTime)
                }
            }
            #expect(try store.head() == .genesis)
            #expect(try store.read(after: 0).isEmpty)
        }
    }

    @Test func groupCommitFailsOnlyTheConflictingBatch() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let results = try store.appendGroups(
                [
                    AppendBatch(events: [makeEvent(stream: "s:a")], expectations: ["s:a": .noStream]),
                    AppendBatch(events: [makeEvent(stream: "s:a")], expectations: ["s:a": .noStream]),
                    AppendBatch(events: [makeEvent(stream: "s:a")], expectations: ["s:a": .exact(1)]),
                ], recordedAt: testTime)
            #expect(try results[0].get() == [.appended(position: 1, streamVersion: 1)])
            #expect(throws: VersionConflict(streamID: "s:a", expected: .noStream, actual: 1)) { try results[1].get() }
            #expect(try results[2].get() == [.appended(position: 2, streamVersion: 2)])
        }
    }

    @Test func everyAppendNotifiesTheNewHeadPosition() async throws {
        try await TestDatabase.withMigrated { database in
            let listener = try database.connect()
            try listener.listen(EventStore.notificationChannel)
            let store = EventStore(connection: try database.connect())
            try store.append(
                AppendBatch(events: [makeEvent(stream: "s:a"), makeEvent(stream: "s:b")]), recordedAt: testTime)
            let notification = try #require(try listener.nextNotification(timeout: .seconds(5)))
            #expect(notification.payload == "2")
        }
    }

    @Test func updateDeleteAndTruncateAreRejectedByTheDatabase() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            try EventStore(connection: connection).append(
                AppendBatch(events: [makeEvent(stream: "s:a")]), recordedAt: testTime)
            for statement in [
                "UPDATE ledger.events SET type = 'changed'", "DELETE FROM ledger.events", "TRUNCATE ledger.events",
                "UPDATE ledger.head SET position = 0", "DELETE FROM ledger.head",
            ] {
                let error = try #require(throws: PostgresError.self, "\(statement)") {
                    try connection.execute(statement)
                }
                #expect(error.message.contains("ledger."), "\(statement): \(error)")
            }
            #expect(try connection.query("SELECT count(*) FROM ledger.events")[0].decode(Int.self, at: 0) == 1)
        }
    }
}
