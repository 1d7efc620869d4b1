/// Why a document is not an acceptable Stripe event, in words a user can act on.
public struct EnvelopeRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which check failed.
    public enum Kind: Sendable, Equatable {
        /// The bytes are not valid JSON (RFC 8259, UTF-8); `byteOffset` is 0-based.
        case invalidJSON(byteOffset: Int)
        /// The JSON is valid but an envelope field is missing or out of bounds (`field` is its dotted path).
        case invalidField(String)
    }

    /// Which check failed.
    public let kind: Kind
    /// A sentence naming the field or byte offset, e.g. `id must start with evt_ (got "abc")`.
    public let reason: String

    /// A rejection of kind `kind` explained by `reason`.
    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The reason, as a user reads it.
    public var description: String { reason }

    static func invalidJSON(at offset: Int, _ message: String) -> EnvelopeRejection {
        EnvelopeRejection(kind: .invalidJSON(byteOffset: offset), reason: "invalid JSON at byte \(offset): \(message)")
    }

    static func field(_ path: String, _ message: String) -> EnvelopeRejection {
        EnvelopeRejection(kind: .invalidField(path), reason: "\(path) \(message)")
    }
}
