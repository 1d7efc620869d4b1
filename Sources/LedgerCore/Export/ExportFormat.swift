import Foundation

/// How exported records are written: JSON Lines or RFC 4180 CSV.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One JSON object per line, `\n`-terminated.
    case jsonl
    /// A header line, then one record per line; CRLF line ends, fields quoted when they hold a comma,
    /// a quote, CR or LF (quotes doubled); SQL NULL is an empty unquoted field, an empty string `""`.
    case csv
}

/// The columns `ledger export events` and `ledger consume` can write, by their `ledger.events` names.
public enum EventExportField: String, Sendable, CaseIterable {
    case position
    case eventID = "event_id"
    case streamID = "stream_id"
    case streamVersion = "stream_version"
    case type
    case source
    case sourceEventID = "source_event_id"
    case occurredAt = "occurred_at"
    case recordedAt = "recorded_at"
    case customerID = "customer_id"
    case metadata
    case body
    case hash

    /// Parses a comma-separated list of names, keeping its order; refuses unknown, repeated or no names.
    public static func parseList(_ list: String) throws(InvalidFieldList) -> [EventExportField] {
        var fields: [EventExportField] = []
        for name in list.split(separator: ",", omittingEmptySubsequences: false) {
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let field = EventExportField(rawValue: name) else {
                throw InvalidFieldList(reason: name.isEmpty ? "an empty field name" : "unknown field \"\(name)\"")
            }
            guard !fields.contains(field) else { throw InvalidFieldList(reason: "field \(name) is named twice") }
            fields.append(field)
        }
        return fields
    }
}

/// A `--fields` list the export cannot use.
public struct InvalidFieldList: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String {
        "--fields: \(reason); the fields are "
            + EventExportField.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// An event whose stored bytes cannot be written in the asked format.
public struct UnexportableEvent: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: Int64
    public var reason: String

    public init(position: Int64, reason: String) {
        self.position = position
        self.reason = reason
    }

    public var description: String { "cannot export the event at position \(position): \(reason)" }
}
