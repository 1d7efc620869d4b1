import Foundation
import LedgerCore
import LedgerSnapshots

/// A small projection state with a row of every kind (a subscription with its MRR movement, a payment,
/// a parked event), written to snapshot files in a throwaway directory.
enum SnapshotFixture {
    static let databaseID = UUID(uuidString: "0b5e1c1e-7a0d-4c55-9b2a-3f1e2d4c5b6a") ?? UUID()
    static let createdAt = EventTime(secondsSinceEpoch: 1_700_000_000)
    static let licenseID = "6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0f"

    /// Stripe events as delivered, in log order.
    static let events: [String] = [
        subscription(id: "sub_monthly", event: "evt_1", type: "created", created: 1_600_000_000, interval: "month"),
        #"""
        {"id":"evt_2","object":"event","type":"payment_intent.succeeded","created":1600000100,"data":{"object":{"id":"pi_1","object":"payment_intent","amount":2900,"currency":"usd","status":"succeeded","customer":"cus_sub_monthly","metadata":{}}}}
        """#,
        // A price that recurs weekly: the projection parks it (no billing cycle for it).
        subscription(id: "sub_weekly", event: "evt_3", type: "created", created: 1_600_000_200, interval: "week"),
        subscription(id: "sub_monthly", event: "evt_4", type: "updated", created: 1_600_000_300, interval: "month"),
    ]

    static func subscription(id: String, event: String, type: String, created: Int64, interval: String) -> String {
        """
        {"id":"\(event)","object":"event","type":"customer.subscription.\(type)","created":\(created),"data":{"object":\
        {"id":"\(id)","object":"subscription","customer":"cus_\(id)","status":"active","currency":"usd",\
        "cancel_at_period_end":false,"current_period_start":\(created),"current_period_end":\(created + 2_592_000),\
        "items":{"data":[{"price":{"id":"price_\(interval)","unit_amount":\(created % 1000 + 1000),"currency":"usd",\
        "recurring":{"interval":"\(interval)","interval_count":1}},"quantity":1}]},\
        "metadata":{"license_id":"\(licenseID)","plan_type":"pro"}}}}
        """
    }

    /// The event at `position` (1-based) as the log holds it.
    static func recorded(_ position: Int) -> RecordedEvent {
        let body = Array(events[position - 1].utf8)
        let created = Int64(1_600_000_000 + 100 * (position - 1))
        let type =
            (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["type"] as? String ?? ""
        return RecordedEvent(
            position: Int64(position), eventID: UUID(version5Name: "snapshot-fixture-\(position)"), streamID: "stripe",
            streamVersion: Int64(position), type: type, source: "stripe", sourceEventID: nil,
            occurredAt: EventTime(secondsSinceEpoch: created), recordedAt: EventTime(secondsSinceEpoch: created),
            customerID: nil, body: body, metadata: "{}", hash: [])
    }

    /// The projections after the first `count` events.
    static func state(through count: Int = events.count) -> LedgerProjections {
        var projections = LedgerProjections()
        for position in 1...count { _ = projections.apply(recorded(position)) }
        return projections
    }

    /// A stand-in for the log's chain hash at `position` (32 bytes).
    static func chainHash(_ position: Int64) -> [UInt8] {
        (0..<32).map { UInt8(truncatingIfNeeded: Int64($0) &* 31 &+ position) }
    }

    static func origin(_ position: Int64) -> SnapshotWriter.Origin {
        SnapshotWriter.Origin(databaseID: databaseID, position: position, chainHash: chainHash(position))
    }

    /// Writes the state after `position` events into `directory`.
    @discardableResult
    static func write(_ directory: SnapshotDirectory, position: Int = events.count) throws -> SnapshotFile {
        try SnapshotWriter(directory: directory).write(
            state(through: position), origin: origin(Int64(position)), createdAt: createdAt)
    }

    /// A fresh directory (not created yet), removed after `body`.
    static func withDirectory<T>(_ body: (SnapshotDirectory) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-tests-\(UUID())")
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(SnapshotDirectory(url: url))
    }

    /// Runs one SQL script against a written file (to damage it the way an editor would).
    static func edit(_ file: SnapshotFile, _ sql: String) throws {
        let database = try SQLiteDatabase(path: file.url.path)
        defer { database.close() }
        try database.execute(sql)
    }

    /// The names of every file in the directory, dot files included.
    static func names(_ directory: SnapshotDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()
    }
}
