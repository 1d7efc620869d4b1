import Foundation
import LedgerCore
import LedgerTestSupport

/// Builds logged events from fixture shapes for the projection tests.
enum ProjectionFixtures {
    static let licenseID = "6f1c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0f"

    static var directory: URL { Repository.stripeFixtures }

    enum Failure: Error {
        case missing(String)
        case notAnObject
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        let path = directory.appendingPathComponent(relativePath).path
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.missing(path) }
        return Array(data)
    }

    static func json(_ relativePath: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes(relativePath))) as? [String: Any] else {
            throw Failure.notAnObject
        }
        return object
    }

    /// An old-shape webhook fixture, e.g. `customer.subscription.updated`.
    static func webhook(_ type: String) throws -> [String: Any] {
        try json("webhook-events-2020-08-27/\(type).json")
    }

    /// A resource example from the 2026 OpenAPI fixtures.
    static func resource2026(_ name: String) throws -> [String: Any] {
        let all = try json("openapi/fixtures3-2026-07-29.json")
        guard let resources = all["resources"] as? [String: Any], let object = resources[name] as? [String: Any]
        else { throw Failure.missing(name) }
        return object
    }

    /// Wraps `object` in an event envelope.
    static func envelope(
        type: String, created: Int64, object: [String: Any], previous: [String: Any]? = nil, id: String? = nil
    ) -> [String: Any] {
        var data: [String: Any] = ["object": object]
        if let previous { data["previous_attributes"] = previous }
        return [
            "id": id ?? "evt_\(type)_\(created)", "object": "event", "api_version": "2026-07-29", "created": created,
            "data": data, "type": type,
        ]
    }

    static func recorded(_ envelope: [String: Any], position: Int64) throws -> RecordedEvent {
        let body = try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
        return recorded(
            body: Array(body), type: envelope["type"] as? String ?? "", position: position,
            created: (envelope["created"] as? NSNumber)?.int64Value ?? 0)
    }

    /// An event recorded at `recordedAt` seconds (by default the moment it was created).
    static func recorded(
        body: [UInt8], type: String, position: Int64, created: Int64, recordedAt: Int64? = nil
    ) -> RecordedEvent {
        RecordedEvent(
            position: position, eventID: UUID(version5Name: "event-\(position)"), streamID: "stripe",
            streamVersion: position,
            type: type, source: "stripe", sourceEventID: nil, occurredAt: EventTime(secondsSinceEpoch: created),
            recordedAt: EventTime(secondsSinceEpoch: recordedAt ?? created), customerID: nil, body: body,
            metadata: "{}", hash: [])
    }

    /// Sets `data.object[key]` of an envelope.
    static func setting(_ envelope: [String: Any], _ values: [String: Any]) -> [String: Any] {
        var envelope = envelope
        var data = envelope["data"] as? [String: Any] ?? [:]
        var object = data["object"] as? [String: Any] ?? [:]
        for (key, value) in values { object[key] = value }
        data["object"] = object
        envelope["data"] = data
        return envelope
    }

    static func object(_ envelope: [String: Any]) -> [String: Any] {
        (envelope["data"] as? [String: Any])?["object"] as? [String: Any] ?? [:]
    }

    static func time(_ seconds: Int64) -> EventTime { EventTime(secondsSinceEpoch: seconds) }

    /// The object's own `created` in the 2020 webhook fixture of `type`: a row's `created_at` is never later.
    static func objectCreated(_ type: String) throws -> Int64 {
        guard let created = object(try webhook(type))["created"] as? Int else {
            throw Failure.missing("\(type): data.object.created")
        }
        return Int64(created)
    }

    /// Applies events in order and returns the state.
    static func project(_ events: [RecordedEvent], configuration: ProjectionConfiguration = .init()) -> ProjectionState
    {
        var state = ProjectionState(configuration: configuration)
        for event in events { _ = state.apply(event) }
        return state
    }
}
