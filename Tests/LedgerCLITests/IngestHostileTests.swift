import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Issue 13 points 5 and 6 through the real `ledger ingest stripe` binary.
///
/// The inputs mirror `Tests/LedgerEngineTests/IngestHostileSupport.swift` (test targets cannot share
/// it): real Stripe shapes from `Tests/Fixtures/stripe`, one line per numbered failure.
@Suite("ledger ingest of hostile input")
struct IngestHostileCommandTests {
    static let events = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27")
    static let openAPI = Repository.stripeFixtures.appendingPathComponent("openapi/fixtures3-2026-07-29.json")

    /// The recorded event `file` as one compact line with `id` (and `type`), its object's `id` replaced
    /// (removed with ""), and a `metadata.note` when given.
    static func line(
        _ file: String, id: String, type: String? = nil, objectID: String? = nil, metadata: String? = nil
    ) throws -> String {
        var event = try object(Data(contentsOf: events.appendingPathComponent(file)))
        event["id"] = id
        if let type { event["type"] = type }
        var data = event["data"] as? [String: Any] ?? [:]
        var inner = data["object"] as? [String: Any] ?? [:]
        if let objectID { inner["id"] = objectID.isEmpty ? nil : objectID }
        if let metadata { inner["metadata"] = ["note": metadata] }
        data["object"] = inner
        event["data"] = data
        return String(
            decoding: try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]), as: UTF8.self)
    }

    /// `balance.available` around Stripe's own example balance object, which has no `id`.
    static func balanceAvailable(_ id: String) throws -> String {
        let resources = try object(Data(contentsOf: openAPI))["resources"] as? [String: Any]
        let event: [String: Any] = [
            "id": id, "object": "event", "api_version": "2025-02-24.acacia", "created": 1_700_000_000,
            "livemode": false, "type": "balance.available", "data": ["object": resources?["balance"] ?? [:]],
        ]
        return String(
            decoding: try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]), as: UTF8.self)
    }

    static func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestSupportError("fixture is not a JSON object")
        }
        return object
    }

    func migrated(_ database: TestDatabase) throws -> [String: String] {
        let environment = ["DATABASE_URL": database.url]
        let up = try runLedger(["migrate", "up"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        return environment
    }

    @Test func aMixedFileStoresEachValidEventRejectsEachInvalidOneWithItsLineAndExitsOne() async throws {
        let longObjectID = "sub_" + String(repeating: "\u{20AC}", count: 198) + "ab"  // 600 bytes, 204 characters
        let lines = [
            "\u{FEFF}" + (try Self.line("customer.subscription.created.json", id: "evt_bom1")),  // 1
            try Self.balanceAvailable("evt_balance1"),  // 2
            try Self.line("invoice.created.json", id: "evt_upcoming1", type: "invoice.upcoming", objectID: ""),  // 3
            try Self.line("customer.subscription.updated.json", id: "evt_long1", objectID: longObjectID),  // 4
            "this is not json",  // 5
            try Self.line("payment_intent.succeeded.json", id: "evt_pi1"),  // 6
            try Self.line(
                "customer.subscription.updated.json", id: "evt_huge1",
                metadata: String(repeating: "x", count: Limits.ingestDocumentBytesMax)),  // 7
            try Self.line("invoice.paid.json", id: "evt_after1"),  // 8
        ]
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID()).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            let output = try runLedger(["ingest", "stripe", file.path, "--json"], environment: environment)
            #expect(output.status == 1, "\(output.standardError)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
            #expect(report["appended"] as? Int == 6)
            #expect(report["rejected"] as? Int == 2)

            let connection = try database.connect()
            let stored = try EventStore(connection: connection).read(after: 0)
            #expect(
                stored.map { "\($0.sourceEventID ?? "") \($0.streamID)" } == [
                    "evt_bom1 subscription:sub_000000000000000000000000",
                    "evt_balance1 event:evt_balance1",
                    "evt_upcoming1 event:evt_upcoming1",
                    "evt_long1 event:evt_long1",
                    "evt_pi1 payment:pi_000000000000000000000000",
                    "evt_after1 invoice:in_000000000000000000000000",
                ])
            let rejected = try connection.query(
                "SELECT origin, reason, length(body) FROM ledger.rejected_inputs ORDER BY id")
            #expect(try rejected.map { try $0.decode(String.self, at: 0) } == ["\(file.path):5", "\(file.path):7"])
            let oversize = try rejected[1].decode(String.self, at: 1)
            #expect(
                oversize.hasSuffix(
                    "only its first \(Limits.ingestDocumentBytesMax) of \(lines[6].utf8.count) bytes are kept"))
            #expect(try rejected[1].decode(Int64.self, at: 2) == Int64(Limits.ingestDocumentBytesMax))
        }
    }

    @Test func validEventsWithoutUsableObjectIDsExitZeroFromStandardInputWithABOM() async throws {
        try await TestDatabase.with { database in
            let environment = try migrated(database)
            let lines = [
                try Self.balanceAvailable("evt_b1"),
                try Self.line("invoice.created.json", id: "evt_u1", type: "invoice.upcoming", objectID: ""),
                try Self.line(
                    "payment_intent.succeeded.json", id: "evt_l1",
                    objectID: "pi_" + String(repeating: "\u{20AC}", count: 170)),
            ]
            let input = Data([0xEF, 0xBB, 0xBF]) + Data(lines.joined(separator: "\n").utf8)
            let output = try runLedger(["ingest", "stripe", "-"], environment: environment, input: input)
            #expect(output.status == 0, "\(output.standardOutput) \(output.standardError)")
            #expect(output.standardOutput.contains("appended 3, duplicate 0, rejected 0"))
            let streams = try EventStore(connection: try database.connect()).read(after: 0).map(\.streamID)
            #expect(streams == ["event:evt_b1", "event:evt_u1", "event:evt_l1"])
        }
    }
}
