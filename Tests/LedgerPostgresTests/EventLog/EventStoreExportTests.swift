import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The binary COPY read behind `ledger export events` and `ledger consume`.
@Suite("event log export reads")
struct EventStoreExportTests {
    func appendSample(_ store: EventStore, count: Int) throws -> [RecordedEvent] {
        for index in 0..<count {
            var event = makeEvent(stream: "s:\(index % 3)", body: #"{"n":\#(index),"s":"x,\"y\"\n"}"#)
            if index % 2 == 0 { event.customerID = nil }
            try store.append(AppendBatch(events: [event]), recordedAt: testTime)
        }
        return try store.read(after: 0)
    }

    @Test func copiedEventsAreTheStoredEventsFieldForField() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let stored = try appendSample(store, count: 12)
            var copied: [RecordedEvent] = []
            let count = try store.copyEvents(after: 2, through: 11) { fields, hash in
                copied.append(
                    RecordedEvent(
                        position: fields.position, eventID: UUID(uuid: fields.eventID.load(as: uuid_t.self)),
                        streamID: String(decoding: fields.streamID, as: UTF8.self), streamVersion: fields.streamVersion,
                        type: String(decoding: fields.type, as: UTF8.self),
                        source: String(decoding: fields.source, as: UTF8.self),
                        sourceEventID: fields.sourceEventID.map { String(decoding: $0, as: UTF8.self) },
                        occurredAt: fields.occurredAt, recordedAt: fields.recordedAt,
                        customerID: fields.customerID.map { String(decoding: $0, as: UTF8.self) },
                        body: Array(fields.body), metadata: String(decoding: fields.metadata, as: UTF8.self),
                        hash: Array(hash)))
            }
            #expect(count == 9)
            #expect(copied == Array(stored[2..<11]))
            #expect(
                try store.copyEvents(after: 5, through: 5) { _, _ in Issue.record("an empty range read a row") } == 0)
        }
    }

    @Test func aRowCutAcrossMessagesAnywhereParsesTheSame() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            _ = try appendSample(store, count: 5)
            var stream: [UInt8] = []
            try connection.copyOut(
                "COPY (SELECT position, customer_id, body FROM ledger.events ORDER BY position) TO STDOUT (FORMAT binary)"
            ) { stream.append(contentsOf: $0) }
            func rows(splitEvery size: Int) throws -> [[String?]] {
                var reader = BinaryCopyReader(columns: 3)
                var rows: [[String?]] = []
                for start in stride(from: 0, to: stream.count, by: size) {
                    try Array(stream[start..<min(start + size, stream.count)]).withUnsafeBytes { message in
                        try reader.consume(message) { fields in
                            rows.append(
                                [
                                    fields[0].flatMap(BinaryCopyReader.int64).map(String.init),
                                    fields[1].map { String(decoding: $0, as: UTF8.self) },
                                    fields[2].map { String(decoding: $0, as: UTF8.self) },
                                ])
                        }
                    }
                }
                try reader.checkComplete()
                return rows
            }
            let whole = try rows(splitEvery: stream.count)
            #expect(whole.count == 5)
            #expect(whole[0][1] == nil && whole[1][1] == "cus_test")
            for size in [1, 2, 3, 7, 19, 64] { #expect(try rows(splitEvery: size) == whole, "split every \(size)") }
            var truncated = BinaryCopyReader(columns: 3)
            try Array(stream.dropLast(2)).withUnsafeBytes { try truncated.consume($0) { _ in } }
            #expect(throws: PostgresError.self) { try truncated.checkComplete() }
            // The first row's NULL customer_id (length -1, after the 19-byte header, the field count and the
            // 12 bytes of its position) with one byte changed is no NULL: a changed archive byte went unseen.
            let nullLength = 19 + 2 + 12
            #expect(Array(stream[nullLength..<nullLength + 4]) == [0xFF, 0xFF, 0xFF, 0xFF])
            var changed = stream
            changed[nullLength + 2] = 0x1B
            var strict = BinaryCopyReader(columns: 3)
            #expect(throws: PostgresError.self) { try changed.withUnsafeBytes { try strict.consume($0) { _ in } } }
        }
    }

    @Test func aFailingConsumerCancelsTheCopyAndTheConnectionGoesOn() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            _ = try appendSample(store, count: 30)
            struct Stop: Error {}
            var seen = 0
            #expect(throws: Stop.self) {
                try store.copyEvents(after: 0, through: 30) { _, _ in
                    seen += 1
                    if seen == 3 { throw Stop() }
                }
            }
            #expect(seen == 3)
            #expect(try store.head().position == 30)
            #expect(try store.copyEvents(after: 28, through: 30) { _, _ in } == 2)
        }
    }

    @Test func aMissingPositionIsAGapNotASilentlyShorterExport() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            let store = EventStore(connection: connection)
            _ = try appendSample(store, count: 6)
            try connection.execute(
                "SET session_replication_role = replica; DELETE FROM ledger.events WHERE position IN (4, 6); "
                    + "SET session_replication_role = origin")
            #expect(throws: EventLogGap(position: 4, found: 5)) {
                try store.copyEvents(after: 0, through: 6) { _, _ in }
            }
            #expect(throws: EventLogGap(position: 6, found: nil)) {
                try store.copyEvents(after: 4, through: 6) { _, _ in }
            }
        }
    }

    @Test func theLastPositionRecordedByATimeIsFoundFromTheEnd() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            for (index, seconds) in [10, 20, 20, 30].enumerated() {
                try store.append(
                    AppendBatch(events: [makeEvent(stream: "s:\(index)")]),
                    recordedAt: EventTime(secondsSinceEpoch: 1_700_000_000 + Int64(seconds)))
            }
            func last(_ seconds: Int64) throws -> Int64 {
                try store.lastPosition(recordedAtOrBefore: EventTime(secondsSinceEpoch: 1_700_000_000 + seconds))
            }
            #expect(try last(5) == 0)
            #expect(try last(10) == 1)
            #expect(try last(25) == 3)
            #expect(try last(1000) == 4)
        }
    }
}
