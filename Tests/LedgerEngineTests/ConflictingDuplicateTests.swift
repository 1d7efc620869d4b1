import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Logging
import Testing

/// A delivery of a stored event id with other bytes is kept in `ledger.rejected_inputs` on every append
/// path; a byte-identical redelivery stays a silent duplicate.
@Suite("conflicting duplicates")
struct ConflictingDuplicateTests {
    /// A Stripe event as a webhook or `ledger ingest` receives it; `amount` varies its bytes, not its id.
    static func stripeEvent(_ id: String, amount: Int) -> [UInt8] {
        Array(
            #"{"id":"\#(id)","object":"event","type":"charge.succeeded","created":1700000000,"data":{"object":{"id":"ch_\#(id)","object":"charge","amount":\#(amount)}}}"#
                .utf8)
    }

    static func ingest(_ body: [UInt8], origin: String, into database: TestDatabase) throws -> IngestReport {
        let ingestor = StripeIngestor(connection: try database.connect())
        var pending = [body + [0x0A]]
        try ingestor.ingest(origin: origin) { pending.popLast() }
        return try ingestor.finish()
    }

    /// `(origin, reason, conflicts_with_position, body)` of every conflicting duplicate, in insertion order.
    static func conflicts(_ database: TestDatabase) throws -> [(String, String, Int64, [UInt8])] {
        try database.connect().query(
            """
            SELECT origin, reason, conflicts_with_position, body FROM ledger.rejected_inputs
             WHERE conflicts_with_position IS NOT NULL ORDER BY id
            """, resultFormat: .binary
        ).map { row in (try row.decode(at: 0), try row.decode(at: 1), try row.decode(at: 2), try row.decode(at: 3)) }
    }

    static func rejectedCount(_ database: TestDatabase) throws -> Int64 {
        try database.connect().query("SELECT count(*) FROM ledger.rejected_inputs")[0].decode(at: 0)
    }

    @Test func ingestKeepsAConflictingRedeliveryAndStatusCountsIt() async throws {
        try await TestDatabase.withMigrated { database in
            let original = Self.stripeEvent("evt_conflict_ingest", amount: 100)
            #expect(try Self.ingest(original, origin: "first.jsonl", into: database).appended == 1)
            // The same bytes again: a duplicate, and no trace.
            let again = try Self.ingest(original, origin: "again.jsonl", into: database)
            #expect(again.duplicates == 1 && again.appended == 0)
            #expect(try Self.rejectedCount(database) == 0)

            let changed = Self.stripeEvent("evt_conflict_ingest", amount: 999)
            let report = try Self.ingest(changed, origin: "changed.jsonl", into: database)
            #expect(report.appended == 0 && report.duplicates == 1)
            let rows = try Self.conflicts(database)
            #expect(rows.count == 1)
            #expect(rows.first?.0 == "changed.jsonl:1")
            #expect(rows.first?.1.contains("evt_conflict_ingest") == true)
            #expect(rows.first?.1.contains("conflicting duplicate") == true)
            #expect(rows.first?.2 == 1)
            #expect(rows.first?.3 == changed)
            // The stored event is untouched, and still the only one.
            let stored = try EventStore(connection: try database.connect()).read(after: 0)
            #expect(stored.count == 1 && stored.first?.body == original)

            // A retried conflicting delivery (same bytes as the kept one) is kept once.
            _ = try Self.ingest(changed, origin: "changed-again.jsonl", into: database)
            #expect(try Self.conflicts(database).count == 1)

            let status = try LedgerStatus.read(try database.connect())
            #expect(status.conflictingDuplicates == 1)
            #expect(status.rejectedInputs == 1)
        }
    }

    @Test func aNativeAppendWithAStoredIdAndOtherDataIsKeptNotAppended() async throws {
        try await TestDatabase.withMigrated { database in
            let store = EventStore(connection: try database.connect())
            let id = UUID()
            func note(_ body: String) -> NewEvent {
                NewEvent(
                    eventID: id, streamID: "note:conflict", type: "note.recorded", source: "ledger",
                    occurredAt: EventTime(secondsSinceEpoch: 1_700_000_000), body: Array(body.utf8))
            }
            let now = EventTime(secondsSinceEpoch: 1_700_000_100)
            #expect(try store.append(AppendBatch(events: [note(#"{"n":1}"#)]), recordedAt: now)[0].position == 1)
            let same = try store.append(
                AppendBatch(events: [note(#"{"n":1}"#)], origins: ["ledger append"]), recordedAt: now)
            #expect(same == [.duplicate(position: 1, conflicting: false)])
            #expect(try Self.rejectedCount(database) == 0)

            let other = try store.append(
                AppendBatch(events: [note(#"{"n":2}"#)], origins: ["ledger append"]), recordedAt: now)
            #expect(other == [.duplicate(position: 1, conflicting: true)])
            let rows = try Self.conflicts(database)
            #expect(rows.count == 1)
            #expect(rows.first?.0 == "ledger append")
            #expect(rows.first?.1.contains(id.uuidString.lowercased()) == true)
            #expect(rows.first?.2 == 1)
            #expect(rows.first?.3 == Array(#"{"n":2}"#.utf8))
            #expect(try store.head().position == 1)

            // Two copies in one batch: the second is judged against the first, which is being written.
            let fresh = UUID()
            let pair = [#"{"n":3}"#, #"{"n":4}"#].map { body in
                NewEvent(
                    eventID: fresh, streamID: "note:conflict", type: "note.recorded", source: "ledger",
                    occurredAt: now, body: Array(body.utf8))
            }
            let outcomes = try store.append(AppendBatch(events: pair), recordedAt: now)
            #expect(outcomes == [.appended(position: 2, streamVersion: 2), .duplicate(position: 2, conflicting: true)])
            #expect(try Self.conflicts(database).count == 2)
            #expect(try LedgerStatus.read(try database.connect()).conflictingDuplicates == 2)
        }
    }

    @Test func groupCommitKeepsAConflictingWebhookDeliveryOnce() async throws {
        try await TestDatabase.withMigrated { database in
            let appender = GroupCommitAppender(connect: database.connect, logger: Logger.quiet)
            defer { appender.shutdown() }
            func delivery(_ amount: Int) throws -> NewEvent {
                let body = Self.stripeEvent("evt_conflict_webhook", amount: amount)
                guard case .success(let envelope) = StripeEventEnvelope.scan(body) else {
                    throw TestSupportError("the crafted event does not scan")
                }
                return NewEvent(stripe: envelope, body: body)
            }
            let first = try await appender.append(AppendBatch(events: [try delivery(100)], origins: ["webhook"]))
            #expect(first == [.appended(position: 1, streamVersion: 1)])
            // Concurrent redeliveries, identical and not: they may share one transaction.
            async let identical = appender.append(AppendBatch(events: [try delivery(100)], origins: ["webhook"]))
            async let changed = appender.append(AppendBatch(events: [try delivery(250)], origins: ["webhook"]))
            #expect(try await identical == [.duplicate(position: 1, conflicting: false)])
            #expect(try await changed == [.duplicate(position: 1, conflicting: true)])
            let rows = try Self.conflicts(database)
            #expect(rows.count == 1)
            #expect(rows.first?.0 == "webhook")
            #expect(rows.first?.2 == 1)
            #expect(rows.first?.3 == Self.stripeEvent("evt_conflict_webhook", amount: 250))
            #expect(try LedgerStatus.read(try database.connect()).conflictingDuplicates == 1)
            #expect(try EventStore(connection: try database.connect()).head().position == 1)
        }
    }
}
