import Foundation
import LedgerCore
import LedgerGenerator
import LedgerTestSupport
import Testing

@testable import LedgerEngine
@testable import LedgerSnapshots

/// The pipelined writer (rows computed on another thread, digested as they are bound, inserted in key
/// order) writes the same file content as the writer it replaced, which inserted rows in whatever order
/// and digested them by reading them back.
@Suite("snapshot writer: same content as the read-back writer")
struct SnapshotWriterEquivalenceTests {
    @Test(arguments: [UInt64(3), 17, 2026])
    func theFileHoldsTheRowsAndDigestOfTheReadBackWriter(seed: UInt64) throws {
        let seed = TestSeed.value(default: seed)
        let state = try Self.state(seed: seed)
        #expect(state.billing.subscriptionRows().count > 20, "seed \(seed): the history should have rows")
        #expect(!state.billing.parked.isEmpty, "seed \(seed): the history should park something")
        try Self.withDirectory { directory in
            let reference = FileManager.default.temporaryDirectory.appendingPathComponent("reference-\(UUID()).sqlite")
            defer { try? FileManager.default.removeItem(at: reference) }
            let referenceDigest = try Self.writeTheReadBackWay(state, to: reference.path, seed: seed)
            for (name, pipe) in [
                ("worker", SnapshotWorkerPipe() as any SnapshotBatchPipe), ("inline", InlineSnapshotPipe()),
            ] {
                let file = try SnapshotWriter(directory: directory).write(
                    state, origin: Self.origin(Int64(seed % 1000 + 1)), createdAt: Self.createdAt,
                    pipe: pipe)
                defer { try? FileManager.default.removeItem(at: file.url) }
                #expect(file.meta.contentDigest == referenceDigest, "seed \(seed), \(name) pipe")
                try file.verifyContent()
                for table in SnapshotSchema.digestedTables {
                    let written = try Self.rows(of: table, in: file.url.path)
                    let expected = try Self.rows(of: table, in: reference.path)
                    #expect(written == expected, "seed \(seed), \(name) pipe: table \(table.name) differs")
                }
            }
        }
    }

    /// `ledger-bench snapshot-io`'s limit inserts the same rows: its file reads back to the writer's digest.
    @Test(arguments: [UInt64(5), 2027])
    func theRawCAPIBaselineWritesTheSameRows(seed: UInt64) throws {
        let seed = TestSeed.value(default: seed)
        let state = try Self.state(seed: seed)
        var batches: [SnapshotBatch] = []
        try SnapshotContent(state).produce { batches.append($0) }
        guard case .end(let summary)? = batches.last else {
            Issue.record("seed \(seed): the batches end without their summary")
            return
        }
        let raw = SnapshotRawInsert(batches)
        #expect(raw.rowCount == summary.counts.reduce(0, +), "seed \(seed)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raw-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try raw.write(to: path)
        let database = try SQLiteDatabase(path: path, readOnly: true)
        defer { database.close() }
        #expect(try ContentDigest.compute(database) == summary.contentDigest, "seed \(seed)")
    }

    /// A producer's failure reaches the writer, which leaves no file behind.
    @Test func aFailingProducerLeavesNoFile() throws {
        struct Refused: Error {}
        struct FailingPipe: SnapshotBatchPipe {
            func run(
                _ produce: @escaping @Sendable (_ send: (SnapshotBatch) throws -> Void) throws -> Void,
                consume: (SnapshotBatch) throws -> Void
            ) throws {
                try SnapshotWorkerPipe().run(
                    { send in
                        try produce { batch in
                            if case .end = batch { throw Refused() }
                            try send(batch)
                        }
                    }, consume: consume)
            }
        }
        try Self.withDirectory { directory in
            #expect(throws: Refused.self) {
                try SnapshotWriter(directory: directory).write(
                    try Self.state(seed: 1), origin: Self.origin(4), createdAt: Self.createdAt,
                    pipe: FailingPipe())
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            #expect(left == [], "the temporary file must be removed")
        }
    }

    /// The projections after a generated history plus subscriptions whose ids sort differently by bytes than
    /// by `String` (upper case, accents), some parked (a weekly price), delivered in a seeded shuffle.
    static func state(seed: UInt64) throws -> LedgerProjections {
        let generator = try HistoryGenerator(.init(customers: 25, months: 6, seed: seed, shuffleProbability: 0.1))
        var bodies = generator.events().map(\.json)
        var random = SeededGenerator(seed: seed)
        for id in ["sub_Zeta", "sub_zeta", "sub_é", "sub_e\u{301}x", "sub_ÅB", "sub_ab"] {
            let interval = random.chance(40) ? "week" : "month"
            bodies.append(
                Array(
                    Self.subscription(
                        id: id, event: "evt_\(id)", type: "created", created: 1_600_000_000 + Int64(random.below(1000)),
                        interval: interval
                    ).utf8))
        }
        var state = LedgerProjections()
        for (offset, body) in bodies.enumerated() {
            let type = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["type"] as? String
            let time = EventTime(secondsSinceEpoch: 1_900_000_000 + Int64(offset))  // after every `created`
            _ = state.apply(
                RecordedEvent(
                    position: Int64(offset + 1), eventID: UUID(), streamID: "stripe", streamVersion: Int64(offset + 1),
                    type: type ?? "", source: "stripe", sourceEventID: nil, occurredAt: time, recordedAt: time,
                    customerID: nil, body: body, metadata: "{}", hash: []))
        }
        return state
    }

    /// The writer before the pipeline: the rows in a seeded shuffle, one statement per row, the digest read back.
    static func writeTheReadBackWay(_ state: LedgerProjections, to path: String, seed: UInt64) throws -> String {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        var random = SeededGenerator(seed: seed)
        return try database.transaction {
            try database.execute(SnapshotSchema.create)
            let billing = state.billing
            let tables: [(String, [[SQLiteValue]])] = [
                ("subscriptions", billing.subscriptionRows().map(SnapshotSchema.values)),
                ("payment_transactions", billing.paymentRows().map(SnapshotSchema.values)),
                (
                    "parked",
                    billing.parked.map { key, event in
                        [
                            .text(key.snapshotKey), .integer(event.position), .text(event.eventType),
                            .text(event.reason.description),
                        ]
                    }
                ),
                (
                    "reducer_state",
                    billing.reducerRecords().map { [.text($0.kind.rawValue), .text($0.key), .blob($0.state)] }
                ),
                ("mrr_movements", state.mrr.movements.map(SnapshotSchema.values)),
            ]
            for (table, rows) in tables {
                for row in rows.shuffled(using: &random) {
                    let placeholders = (1...row.count).map { "?\($0)" }.joined(separator: ", ")
                    try database.prepare("INSERT INTO \(table) VALUES (\(placeholders))").run(row)
                }
            }
            return try ContentDigest.compute(database)
        }
    }

    static func rows(of table: (name: String, orderBy: String), in path: String) throws -> [[SQLiteValue]] {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        defer { database.close() }
        return try database.prepare("SELECT * FROM \(table.name) ORDER BY \(table.orderBy)").rows()
    }

    static let createdAt = EventTime(secondsSinceEpoch: 1_700_000_000)

    static func origin(_ position: Int64) -> SnapshotWriter.Origin {
        SnapshotWriter.Origin(
            databaseID: UUID(uuidString: "0b5e1c1e-7a0d-4c55-9b2a-3f1e2d4c5b6a") ?? UUID(), position: position,
            chainHash: (0..<32).map { UInt8(truncatingIfNeeded: Int64($0) &* 31 &+ position) })
    }

    /// A fresh snapshot directory, removed after `body`.
    static func withDirectory<T>(_ body: (SnapshotDirectory) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-writer-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(SnapshotDirectory(url: url))
    }

    /// A subscription event whose license is the generator's first (any license: nothing here checks them).
    static func subscription(id: String, event: String, type: String, created: Int64, interval: String) -> String {
        """
        {"id":"\(event)","object":"event","type":"customer.subscription.\(type)","created":\(created),"data":{"object":\
        {"id":"\(id)","object":"subscription","customer":"cus_\(id)","status":"active","currency":"usd",\
        "cancel_at_period_end":false,"current_period_start":\(created),"current_period_end":\(created + 2_592_000),\
        "items":{"data":[{"price":{"id":"price_\(interval)","unit_amount":\(created % 1000 + 1000),"currency":"usd",\
        "recurring":{"interval":"\(interval)","interval_count":1}},"quantity":1}]},\
        "metadata":{"license_id":"6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0f","plan_type":"pro"}}}}
        """
    }
}
