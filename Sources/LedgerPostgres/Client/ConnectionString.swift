import CLibPQ
import Foundation

/// A libpq connection string as messages and logs may show it: with every secret hidden.
///
/// libpq reads three forms, and each can carry a password: a URI
/// (`postgresql://user:password@host/db?password=…`), keyword/value pairs
/// (`host=db password='a b\'c'`), and a plain database name (a URL typed without its scheme lands
/// there). Every place that prints a connection string or libpq's words about one goes through
/// here, so there is one reading of where the secret is. Where the text is malformed enough that
/// libpq may read the secret differently from how it looks (a raw `@` or `&` in a URI password, an
/// unquoted space in a keyword value), everything that could belong to it is hidden: a poorer
/// message is a small price, a password in a log is not.
public enum ConnectionString {
    /// What stands in for a hidden value.
    public static let mask = "***"

    /// Keywords whose values are secrets: the password and the passphrase of an SSL client key.
    static let secretKeywords: Set<String> = ["password", "sslpassword"]

    /// `text` with the value of every `password` and `sslpassword` replaced by ``mask``.
    public static func redacted(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var cursor = 0
        for range in merged(secretSpans(in: bytes).map(\.range)) {
            result += bytes[cursor..<range.lowerBound]
            result += Array(mask.utf8)
            cursor = range.upperBound
        }
        result += bytes[cursor...]
        return String(decoding: result, as: UTF8.self)
    }

    /// libpq's `message` about `connectionString`, with every secret it could quote removed.
    ///
    /// libpq's connection errors name the host, port and user, never the password it read; but
    /// when it misreads a malformed string, part of a password can become a "host" or a "keyword"
    /// that the error then quotes (`missing "=" after "b"` for `password=a b`). So when libpq's
    /// reading of the secrets differs from ours, or it cannot parse the string at all, every
    /// quoted value is dropped from its message; and the secrets themselves (ours, libpq's,
    /// `PGPASSWORD`) are masked wherever they appear.
    public static func scrubbed(
        _ message: String, connectionString: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        var secrets = [environment["PGPASSWORD"]].compactMap { $0 }
        var trusted = true
        if let connectionString {
            let bytes = Array(connectionString.utf8)
            let spans = secretSpans(in: bytes)
            secrets += spans.flatMap { [$0.value, String(decoding: bytes[$0.range], as: UTF8.self)] }
            if let parsed = parsedSecrets(connectionString) {
                secrets += parsed
                trusted = Set(parsed) == Set(spans.map(\.value))
            } else {
                trusted = false
            }
        }
        var text = trusted ? message : withoutQuotedValues(message)
        // Longest first, so a secret that contains another is masked whole.
        for secret in Set(secrets).sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: mask)
        }
        return text
    }

    /// The secrets libpq itself reads from `text`; nil when libpq cannot parse it.
    static func parsedSecrets(_ text: String) -> [String]? {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &error) else {
            if let error { PQfreemem(error) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var secrets: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if secretKeywords.contains(String(cString: keyword)), let value = option.pointee.val {
                secrets.append(String(cString: value))
            }
            option += 1
        }
        return secrets
    }

    /// Every keyword libpq knows (`host`, `dbname`, `sslmode`, …), asked of libpq itself: a secret
    /// value written without quotes runs until the next of these.
    static let keywords: Set<String> = {
        guard let defaults = PQconndefaults() else { return [] }
        defer { PQconninfoFree(defaults) }
        var names: Set<String> = []
        var option = defaults
        while let keyword = option.pointee.keyword {
            names.insert(String(cString: keyword))
            option += 1
        }
        return names
    }()

    /// `message` with everything from the first to the last double quote of each line replaced by
    /// `"…"`: a quoted value can itself hold a `"`, so quotes cannot be paired.
    static func withoutQuotedValues(_ message: String) -> String {
        message.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let first = line.firstIndex(of: "\""), let last = line.lastIndex(of: "\"") else {
                return String(line)
            }
            guard first < last else { return line[..<first] + "\"…" }
            return line[..<first] + "\"…\"" + line[line.index(after: last)...]
        }.joined(separator: "\n")
    }

    /// Overlapping or touching ranges joined, in order.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
