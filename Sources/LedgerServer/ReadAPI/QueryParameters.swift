import Foundation
import Hummingbird
import HummingbirdCore
import LedgerCore
import Logging

/// The query parameters of one read API request, each checked against its accepted form.
///
/// A request's own values never cause a 500: an unparsable or out-of-range value, a time outside the
/// ledger's window (``EventTime/secondsWindow``, years 1970–9999), a parameter given twice or one the
/// route does not know is a 400 whose message names the parameter and the form it accepts, logged
/// at `notice` (the value itself is not echoed: it can be any bytes).
struct QueryParameters {
    /// Longest value read; every accepted form is far shorter.
    static let valueBytesMax = 64

    private let values: [Substring: Substring]
    private let logger: Logger
    private let path: String

    /// Reads `uri`'s query; `accepted` lists the route's parameters with their forms, for messages.
    init(_ uri: URI, accepted: KeyValuePairs<String, String>, logger: Logger) throws(APIError) {
        self.logger = logger
        self.path = uri.path
        var values: [Substring: Substring] = [:]
        let forms = accepted.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        for (name, value) in uri.queryParameters {
            guard accepted.contains(where: { $0.key == name }) else {
                throw Self.refuse(
                    "unknown query parameter '\(Self.printable(name))'; "
                        + (accepted.isEmpty ? "this endpoint takes none" : "this endpoint takes \(forms)"),
                    parameter: name, logger: logger, path: uri.path)
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw Self.refuse(
                    "query parameter \(name) is given more than once; give it once", parameter: name, logger: logger,
                    path: uri.path)
            }
        }
        self.values = values
    }

    /// An integer in `range`; nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        guard let text = values[name[...]] else { return nil }
        guard text.utf8.count <= Self.valueBytesMax, let value = Int64(text), range.contains(value) else {
            throw refuse("\(name) must be a decimal integer in \(range.lowerBound)…\(range.upperBound)", name)
        }
        return value
    }

    /// `true`/`1` or `false`/`0`; nil when absent.
    func boolean(_ name: String) throws(APIError) -> Bool? {
        switch values[name[...]] {
        case nil: return nil
        case "true", "1": return true
        case "false", "0": return false
        default: throw refuse("\(name) must be true or false", name)
        }
    }

    /// Text of at most ``valueBytesMax`` bytes; nil when absent.
    func text(_ name: String) throws(APIError) -> String? {
        guard let text = values[name[...]] else { return nil }
        guard text.utf8.count <= Self.valueBytesMax else {
            throw refuse("\(name) must be at most \(Self.valueBytesMax) bytes", name)
        }
        return String(text)
    }

    /// An instant in the ledger's window; nil when absent.
    func time(_ name: String) throws(APIError) -> EventTime? {
        guard let text = values[name[...]] else { return nil }
        let form =
            "\(name) must be an ISO 8601 time with a zone (2025-03-01T12:00:00Z) or a date (2025-03-01), "
            + "from 1970-01-01 through 9999-12-31"
        guard text.utf8.count <= Self.valueBytesMax, let time = QueryTime.parse(String(text)) else {
            throw refuse(form, name)
        }
        return time
    }

    private func refuse(_ message: String, _ parameter: String) -> APIError {
        Self.refuse(message, parameter: parameter[...], logger: logger, path: path)
    }

    private static func refuse(_ message: String, parameter: Substring, logger: Logger, path: String) -> APIError {
        logger.notice(
            "query parameter refused",
            metadata: ["parameter": "\(printable(parameter))", "path": "\(path)", "reason": "\(message)"])
        return APIError.badRequest(message)
    }

    /// A name as a log line or a message may show it: printable ASCII, at most 64 characters.
    private static func printable(_ text: Substring) -> String {
        String(
            text.unicodeScalars.prefix(64).map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
            })
    }
}

/// A time in a query string, read by the ledger's one time parser (``EventTime/init(iso8601:)``): ISO 8601
/// with a zone (fraction kept to the microsecond) or a date (midnight UTC), inside the window; nil otherwise.
enum QueryTime {
    static func parse(_ text: String) -> EventTime? { EventTime(iso8601: text) }
}
