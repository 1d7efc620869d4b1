import Foundation
import LedgerCore

/// A Stripe secret or restricted key (`sk_…`, `rk_…`), read from `STRIPE_API_KEY` only.
///
/// Invariant: the key's text leaves this type only as the `Authorization` header. Its
/// `description` (what a log line, an error or `print` would show) names the kind and the mode,
/// never a character of the secret part.
public struct StripeAPIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The name of the environment variable the key is read from (never a flag: flags show in `ps`).
    public static let environmentVariable = "STRIPE_API_KEY"

    /// The mode the key's prefix states: `sk_test_`/`rk_test_` or `sk_live_`/`rk_live_`.
    public let mode: LedgerMode
    let secret: String

    /// Why a key was refused; says which prefixes are accepted, never the key.
    public struct Refused: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a key, refusing one whose prefix states no mode.
    public init(_ text: String) throws(Refused) {
        let trimmed = text.trimmingWhitespace
        guard !trimmed.isEmpty else {
            throw Refused(description: "\(Self.environmentVariable) is empty; set it to a secret or restricted key")
        }
        let prefixes: [(String, LedgerMode)] = [
            ("sk_test_", .test), ("rk_test_", .test), ("sk_live_", .live), ("rk_live_", .live),
        ]
        guard let (_, mode) = prefixes.first(where: { trimmed.hasPrefix($0.0) && trimmed.count > $0.0.count }) else {
            throw Refused(
                description: "\(Self.environmentVariable) is not a Stripe secret or restricted key (expected a key "
                    + "starting with sk_test_, rk_test_, sk_live_ or rk_live_)")
        }
        guard trimmed.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Refused(description: "\(Self.environmentVariable) holds characters a Stripe key never has")
        }
        self.mode = mode
        self.secret = trimmed
    }

    /// `sk_test_…` without the secret part.
    public var description: String {
        let kind = secret.hasPrefix("rk_") ? "restricted" : "secret"
        return "a \(mode) \(kind) key"
    }

    public var debugDescription: String { description }
    /// `dump` and debuggers see the description only.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

    /// `text` with every occurrence of the key replaced, for messages that quote a server's answer.
    func redacting(_ text: String) -> String {
        text.replacingAll(secret, with: "[STRIPE_API_KEY]")
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
