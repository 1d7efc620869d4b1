import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("Stripe ingest")
struct StripeIngestorTests {
    static let fixtures = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27")

    func ingest(_ text: String, into database: TestDatabase, chunkSize: Int = 1 << 20) throws -> IngestReport {
        let ingestor = StripeIngestor(connection: try database.connect())
        var remaining = ArraySlice(Array(text.utf8))
        try ingestor.ingest(origin: "input.jsonl") {
            guard !remaining.isEmpty else { return nil }
            let chunk = Array(remaining.prefix(chunkSize))
            remaining = remaining.dropFirst(chunkSize)
            return chunk
        }
        return try ingestor.finish()
    }

    func line(_ id: String, type: String = "customer.subscription.updated", object: String = "sub_1") -> String {
        #"{"id":"\#(id)","object":"event","type":"\#(type)","created":1700000000,"data":{"object":{"id":"\#(object)","object":"subscription","customer":"cus_1"}}}"#
    }

    @Test func everyFixtureIsStoredVerbatimInItsObjectsStream() async throws {
        try await TestDatabase.withMigrated { database in
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter {
                $0.hasSuffix(".json")
            }
            .sorted()
            #expect(files.count >= 20)
            // Stripe's recorded fixtures share one zeroed evt_ id; give each its own, as real deliveries have.
            var expected: [(String, [UInt8])] = []
            let ingestor = StripeIngestor(connection: try database.connect())
            for (index, file) in files.enumerated() {
                let original = try String(contentsOf: Self.fixtures.appendingPathComponent(file), encoding: .utf8)
                let unique = original.replacingOccurrences(
                    of: #""evt_0+""#, with: "\"evt_fixture\(index)\"", options: .regularExpression)
                expected.append((file, Array(unique.utf8)))
                var sent = false
                try ingestor.ingest(origin: file) {
                    defer { sent = true }
                    return sent ? nil : Array(unique.utf8)
                }
            }
            let report = try ingestor.finish()
            #expect(report.appended == files.count)
            #expect(report.rejected == 0)
            let events = try EventStore(connection: try database.connect()).read(after: 0)
            #expect(events.count == files.count)
            for (event, (file, bytes)) in zip(events, expected) {
                let trimmed = Array(
                    String(decoding: bytes, as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines).utf8)
                #expect(event.body.elementsEqual(trimmed), "\(file) not stored verbatim")
                let json = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
                #expect(event.type == json?["type"] as? String, "\(file)")
                #expect(event.source == "stripe")
                let expectedPrefix =
                    file.hasPrefix("customer.subscription")
                    ? "subscription:su"
                    : file.hasPrefix("payment_intent")
                        ? "payment:pi_"
                        : file.hasPrefix("invoice")
                            ? "invoice:in_"
                            : file.hasPrefix("charge.refund.") ? "refund:re_" : "charge:ch_"
                #expect(event.streamID.hasPrefix(expectedPrefix), "\(file) went to \(event.streamID)")
            }
        }
    }

    @Test func theRecordedFixturesAsTheyAreShareOneEventIDAndCountAsDuplicates() async throws {
        try await TestDatabase.withMigrated { database in
            let ingestor = StripeIngestor(connection: try database.connect())
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter {
                $0.hasSuffix(".json")
            }
            for file in files {
                let handle = try FileHandle(forReadingFrom: Self.fixtures.appendingPathComponent(file))
                try ingestor.ingest(origin: file) {
                    let data = try handle.read(upToCount: 4096) ?? Data()
                    return data.isEmpty ? nil : [UInt8](data)
                }
            }
            let report = try ingestor.finish()
            let distinctIDs = try Set(
                files.map { file -> String in
                    let object =
                        try JSONSerialization.jsonObject(
                            with: Data(contentsOf: Self.fixtures.appendingPathComponent(file))) as? [String: Any]
                    return object?["id"] as? String ?? ""
                })
            #expect(report.appended == distinctIDs.count)
            #expect(report.duplicates == files.count - distinctIDs.count)
        }
    }

    @Test func mixedFileGivesTheRightCountsAndRecordsEachRejection() async throws {
        try await TestDatabase.withMigrated { database in
            let longID = "evt_" + String(repeating: "a", count: 296)
            let lines = [
                line("evt_1"),  // 1 appended
                line("evt_2", object: "sub_2"),  // 2 appended
                line("evt_1"),  // 3 duplicate
                "this is not json",  // 4 rejected
                line("evt_3"),  // 5 appended
                // 6 no id
                #"{"type":"customer.subscription.updated","created":1700000000,"data":{"object":{"id":"sub_1"}}}"#,
                line(longID),  // 7 id too long
                // 8 created not an integer
                #"{"id":"evt_4","type":"x.y","created":"yesterday","data":{"object":{"id":"sub_1"}}}"#,
                // 9 appended in event:evt_5: an object without id is still an event
                #"{"id":"evt_5","type":"x.y","created":1700000000,"data":{"object":{"name":"no id"}}}"#,
                line("evt_6", type: "customer.created", object: "cus_1"),  // 10 appended: unprojected types are kept
                #"{"id": "evt_7", "type": "x.y", "created": 17"#,  // 11 truncated at end of input
            ]
            for chunkSize in [7, 1 << 20] {
                try await TestDatabase.withMigrated { database in
                    let report = try ingest(lines.joined(separator: "\n"), into: database, chunkSize: chunkSize)
                    #expect(report.appended == 5)
                    #expect(report.duplicates == 1)
                    #expect(report.rejected == 5)
                    #expect(report.rejections.map(\.origin) == [4, 6, 7, 8, 11].map { "input.jsonl:\($0)" })
                    let reasons = report.rejections.map(\.reason)
                    #expect(reasons[1].contains("id"))
                    #expect(reasons[2].contains("255"))
                    #expect(reasons[3].contains("created"))
                    #expect(reasons[4].contains("truncated"))
                    let connection = try database.connect()
                    let stored = try connection.query(
                        "SELECT origin, reason, convert_from(body, 'UTF8') FROM ledger.rejected_inputs ORDER BY id")
                    #expect(stored.count == 5)
                    #expect(try stored[0].decode(String.self, at: 2) == "this is not json")
                    #expect(try stored[0].decode(String.self, at: 0) == "input.jsonl:4")
                    #expect(try stored[2].decode(String.self, at: 2) == lines[6])
                    #expect(try EventStore(connection: connection).head().position == 5)
                    #expect(try EventStore(connection: connection).readStream("event:evt_5").count == 1)
                }
            }
            _ = database
        }
    }

    @Test func jsonArrayAndPrettyObjectsAreFramedAsEvents() async throws {
        try await TestDatabase.withMigrated { database in
            let array = "[\n  " + [line("evt_a"), line("evt_b"), line("evt_c")].joined(separator: ",\n  ") + "\n]\n"
            let report = try ingest(array, into: database, chunkSize: 5)
            #expect(report.appended == 3)
            #expect(report.rejected == 0)
            let stream = try EventStore(connection: try database.connect()).readStream("subscription:sub_1")
            #expect(stream.map(\.sourceEventID) == ["evt_a", "evt_b", "evt_c"])
            #expect(stream.map(\.streamVersion) == [1, 2, 3])
            #expect(stream[0].customerID == "cus_1")
            #expect(stream[0].occurredAt == EventTime(secondsSinceEpoch: 1_700_000_000))
        }
    }
}
