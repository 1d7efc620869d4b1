import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres

/// `ledger append`: records one native event (a correction, an import, …).
struct AppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append one native event (source `ledger`) to a stream.",
        discussion: """
            For native facts of your own (imports, notes). The projection reads only the \
            native events its own commands record: correct rows with `ledger correct` \
            (docs/0015-corrections.md), not with an event appended here. \
            The --data JSON is stored byte for byte. With --expected-version the append \
            happens only if the stream is at that version (or has no events, for \
            `no-stream`); otherwise nothing is written and the exit code is 3. \
            Appending the same --event-id again is answered with the original position; if \
            its --data differs from what is stored, nothing is appended, the attempt is kept \
            in ledger.rejected_inputs as a conflicting duplicate and the exit code is 1.

            Examples:
              ledger append --stream subscription:sub_123 \\
                    --type subscription.note_added \\
                    --data '{"note":"…"}' --expected-version 4
              ledger append --stream import:2024 --type import.completed --data '{}' --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(help: "Stream id, e.g. subscription:sub_123.") var stream: String
    @Option(help: "Event type, a stable name such as subscription.license_reassigned.") var type: String
    @Option(help: "Event body: a JSON object.") var data: String
    @Option(help: ArgumentHelp("Metadata: a JSON object (default {}).")) var metadata = "{}"
    @Option(help: ArgumentHelp("Required stream version: a number, `no-stream` or `any`.", valueName: "version"))
    var expectedVersion: String = "any"
    @Option(help: "Event id (UUID); give one to make retries idempotent. Default: a new random id.")
    var eventID: String?
    @Option(help: "When the fact happened: ISO 8601 with a zone, or a date (default: now).")
    var occurredAt: Timestamp?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func validate() throws {
        _ = try parsedExpectation()
        for (name, text) in [("--data", data), ("--metadata", metadata)] {
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
                throw ValidationError("\(name) must be a JSON object")
            }
        }
        if let eventID, UUID(uuidString: eventID) == nil { throw ValidationError("--event-id must be a UUID") }
    }

    func parsedExpectation() throws -> ExpectedVersion {
        switch expectedVersion {
        case "any": return .any
        case "no-stream": return .noStream
        default:
            guard let version = Int64(expectedVersion), version >= 0 else {
                throw ValidationError("--expected-version must be a number ≥ 0, `no-stream` or `any`")
            }
            return version == 0 ? .noStream : .exact(version)
        }
    }

    struct Output: Encodable {
        var outcome: String
        var position: Int64
        var streamVersion: Int64?
    }

    func run() throws {
        let now = EventTime(Date())
        let event = NewEvent(
            eventID: eventID.flatMap(UUID.init(uuidString:)) ?? UUID(), streamID: stream, type: type,
            source: EventSource.ledger,
            occurredAt: occurredAt?.time ?? now,
            body: Array(data.utf8), metadata: metadata)
        let store = EventStore(connection: try database.connect())
        let outcome = try store.append(
            AppendBatch(events: [event], expectations: [stream: try parsedExpectation()], origins: ["ledger append"]),
            recordedAt: now)[0]
        let output: Output
        switch outcome {
        case .appended(let position, let version):
            output = Output(outcome: "appended", position: position, streamVersion: version)
            if !json { print("appended at position \(position) (\(stream) version \(version))") }
        case .duplicate(let position, conflicting: false):
            output = Output(outcome: "duplicate", position: position)
            if !json {
                print("duplicate: event \(event.eventID.uuidString.lowercased()) is already at position \(position)")
            }
        case .duplicate(let position, conflicting: true):
            output = Output(outcome: "conflicting_duplicate", position: position)
            logging.makeLogger(label: "ledger.append").info(
                "\(output.outcome)", metadata: ["stream": "\(stream)", "position": "\(output.position)"])
            if json { try printJSON(output) }
            throw ConflictingAppend(eventID: event.eventID, position: position)
        }
        if json { try printJSON(output) }
    }
}

/// `ledger append` of a stored event id with other data: refused, and kept as a conflicting duplicate.
struct ConflictingAppend: Error, CustomStringConvertible {
    var eventID: UUID
    var position: Int64

    var description: String {
        "event \(eventID.uuidString.lowercased()) is already stored at position \(position) with other data: "
            + "nothing was appended and the attempt is kept in ledger.rejected_inputs; give a new fact a new --event-id"
    }
}
