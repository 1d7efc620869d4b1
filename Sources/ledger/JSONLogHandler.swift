import Foundation
import LedgerCore
import LedgerPostgres
import Logging

/// A swift-log handler writing one JSON object per line to standard error, for log collectors:
/// `{"label":…,"level":…,"message":…,"metadata":{…},"timestamp":"2025-03-01T12:00:00.123Z"}`.
///
/// swift-log ships only a text handler. Each line is written with one `write` call under a lock, so lines
/// from several threads never interleave.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// One line's fields, keys in the order a reader scans them (the encoder sorts them anyway).
    struct Line: Encodable {
        var timestamp: String
        var level: String
        var label: String
        var message: String
        var metadata: [String: JSONTree]
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        let line = Line(
            timestamp: Self.timestamp(Date()), level: event.level.rawValue, label: label,
            message: event.message.description, metadata: merged.mapValues(Self.tree))
        guard var data = try? LedgerJSON.encoder().encode(line) else { return }
        data.append(0x0A)
        Self.lock.lock()
        defer { Self.lock.unlock() }
        FileHandle.standardError.write(data)
    }

    private static let lock = NSLock()

    /// ISO 8601 UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func tree(_ value: Logger.Metadata.Value) -> JSONTree {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value): .string(value.description)
        case .array(let values): .array(values.map(tree))
        case .dictionary(let members): .object(members.mapValues(tree))
        }
    }
}
