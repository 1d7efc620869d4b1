/// The fields of a Stripe event the ledger needs before storing it: identity, type, time and the object it is about.
///
/// Built by `scan(_:)`, which validates the whole document
/// as JSON in the same pass, so a stored event is always well-formed.
public struct StripeEventEnvelope: Sendable, Equatable, Hashable {
    /// The event id (`evt_…`), Stripe's idempotency key for the delivery.
    public let id: String
    /// The event type, e.g. `customer.subscription.updated`.
    public let type: String
    /// When Stripe created the event, in Unix seconds.
    public let created: Int64
    /// The API version the payload is rendered in (absent on some old events).
    public let apiVersion: String?
    /// Whether the event comes from live mode; nil when the payload does not say.
    public let livemode: Bool?
    /// `data.object.id`, the id of the object the event is about.
    public let objectID: String
    /// `data.object.object`, the object's kind (`subscription`, `payment_intent`, …) when present.
    public let objectKind: String?
    /// `data.object.customer`: the customer id, whether given as a string or an expanded object.
    public let customerID: String?

    /// An envelope from already-validated parts.
    public init(
        id: String, type: String, created: Int64, apiVersion: String?, livemode: Bool?,
        objectID: String, objectKind: String?, customerID: String?
    ) {
        self.id = id
        self.type = type
        self.created = created
        self.apiVersion = apiVersion
        self.livemode = livemode
        self.objectID = objectID
        self.objectKind = objectKind
        self.customerID = customerID
    }

    /// The ledger stream the event belongs to, `<kind>:<object id>` (payment intents use `payment:`).
    ///
    /// Without `data.object.object` the kind comes from the id prefix; an unknown
    /// prefix gives `object:<id>`.
    public var streamID: String {
        "\(Self.streamCategory(kind: objectKind ?? Self.inferredKind(objectID: objectID))):\(objectID)"
    }

    static func streamCategory(kind: String?) -> String {
        switch kind {
        case nil: "object"
        case "payment_intent": "payment"
        case let kind?: kind
        }
    }

    /// The kind Stripe's id prefixes imply, for payloads that omit `object`.
    static func inferredKind(objectID: String) -> String? {
        let prefixes: [(prefix: String, kind: String)] = [
            ("sub_", "subscription"), ("pi_", "payment_intent"), ("inpay_", "invoice_payment"),
            ("in_", "invoice"), ("ch_", "charge"), ("re_", "refund"), ("cus_", "customer"),
        ]
        return prefixes.first { objectID.hasPrefix($0.prefix) }?.kind
    }

    /// Validates `bytes` as one JSON document and extracts the envelope, in one pass.
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Result<StripeEventEnvelope, EnvelopeRejection> {
        var parser = JSONEnvelopeParser(bytes)
        do {
            try parser.parseDocument()
        } catch {
            return .failure(.invalidJSON(at: error.offset, error.message))
        }
        return parser.fields.envelope(in: bytes)
    }

    /// Validates `bytes` as one JSON document and extracts the envelope, in one pass.
    public static func scan(_ bytes: some Collection<UInt8>) -> Result<StripeEventEnvelope, EnvelopeRejection> {
        if let result = bytes.withContiguousStorageIfAvailable({ scan(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { scan($0) }
    }
}
