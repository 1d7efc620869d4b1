import Foundation
import LedgerCore
import LedgerGenerator
import LedgerTestSupport

/// Test helpers: generate a history and decode each line with Foundation, independently of the generator's writer.
enum GeneratedHistory {
    static func events(_ configuration: HistoryGenerator.Configuration) throws -> [GeneratedEvent] {
        Array(try HistoryGenerator(configuration).events())
    }

    static func bytes(_ configuration: HistoryGenerator.Configuration) throws -> [UInt8] {
        var output: [UInt8] = []
        for event in try HistoryGenerator(configuration).events() {
            output += event.json
            output.append(0x0A)
        }
        return output
    }

    /// FNV-1a 64, enough to compare two runs' bytes in a failure message.
    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func decode(_ event: GeneratedEvent) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(event.json))
        guard let object = value as? [String: Any] else { throw DecodingFailure.notAnObject }
        return object
    }

    static func dataObject(_ envelope: [String: Any]) -> [String: Any] {
        (envelope["data"] as? [String: Any])?["object"] as? [String: Any] ?? [:]
    }

    enum DecodingFailure: Error {
        case notAnObject
        case fixtureMissing(String)
    }

    static func fixtureJSON(_ relativePath: String) throws -> [String: Any] {
        let url = Repository.stripeFixtures.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DecodingFailure.fixtureMissing(url.path)
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DecodingFailure.notAnObject
        }
        return object
    }
}

extension GeneratedHistory {
    /// A generated event as the log records a Stripe delivery at `position`.
    static func recorded(_ event: GeneratedEvent, position: Int64) -> RecordedEvent {
        RecordedEvent(
            position: position, eventID: UUID(version5Name: "event-\(position)"), streamID: "stripe",
            streamVersion: position, type: event.type, source: EventSource.stripe, sourceEventID: event.eventID,
            occurredAt: EventTime(secondsSinceEpoch: event.created),
            recordedAt: EventTime(secondsSinceEpoch: event.created), customerID: nil, body: event.json,
            metadata: "{}", hash: [])
    }
}
