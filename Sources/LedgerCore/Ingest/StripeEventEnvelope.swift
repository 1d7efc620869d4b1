/// The fields of a Stripe event the ledger needs before storing it: identity, type, time and the object it is about.
///
/// Built by `scan(_:)`, which validates the whole document
/// as JSON in the same pass, so a stored event is always well-formed.
///
/// What is checked (docs/0002-event-log.md, "Envelope rules"): the event's own
/// fields (`id`, `type`, `created`, `api_version`, `livemode`, `data.object` an
/// object). What `data.object` holds is the object's business, read by the
/// projection: an object without a usable id (`balance.available`, an
/// `invoice.upcoming` preview) is stored in the event's own stream, never refused.
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
    /// `data.object.id` when it is a non-empty string; nil for objects without one (`balance`, upcoming invoices).
    public let objectID: String?
    /// `data.object.object`, the object's kind (`subscription`, `payment_intent`, …) when present and well-formed.
    public let objectKind: String?
    /// `data.object.customer`: the customer id, whether given as a string or an expanded object, when usable.
    public let customerID: String?

    /// The category of the streams that hold one event each: `event:<evt_…>`.
    public static let eventStreamCategory = StreamID.Category.event.rawValue

    /// An envelope from already-validated parts.
    public init(
        id: String, type: String, created: Int64, apiVersion: String?, livemode: Bool?,
        objectID: String?, objectKind: String?, customerID: String?
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

    /// The ledger stream the event belongs to: `<kind>:<object id>` (payment intents use `payment:`),
    /// or `event:<evt_…>` when the object has no id that can name a stream.
    ///
    /// Without `data.object.object` the kind comes from the id prefix; an unknown
    /// prefix gives `object:<id>`. An id that is missing, longer than
    /// ``Limits/envelopeStringCharactersMax`` characters, holds a control character,
    /// or makes the stream id longer than ``Limits/streamIDBytesMax`` bytes gives the
    /// event its own stream: invariant — every accepted envelope has a stream id the
    /// `ledger.events` CHECK accepts, so one event can never fail a whole batch.
    public var streamID: String {
        guard let objectID, Self.isUsableIdentifier(objectID) else { return eventStreamID }
        let stream = "\(Self.streamCategory(kind: objectKind ?? Self.inferredKind(objectID: objectID))):\(objectID)"
        return stream.utf8.count <= Limits.streamIDBytesMax ? stream : eventStreamID
    }

    /// `event:<evt_…>`: at most 6 + 255 ASCII bytes, as `id` is checked.
    var eventStreamID: String { "\(Self.eventStreamCategory):\(id)" }

    /// Whether `id` can name a stream or a customer: 1…``Limits/envelopeStringCharactersMax`` characters, no control character.
    static func isUsableIdentifier(_ id: String) -> Bool {
        let utf8Count = id.utf8.count
        // A scalar is 1–4 UTF-8 bytes: past 4 × the bound no count can fit.
        guard utf8Count > 0, utf8Count <= 4 * Limits.envelopeStringCharactersMax else { return false }
        return !containsControlCharacter(id)
            && (utf8Count <= Limits.envelopeStringCharactersMax
                || id.unicodeScalars.count <= Limits.envelopeStringCharactersMax)
    }

    /// C0 controls and DEL, and C1 controls (U+0080…U+009F, encoded C2 80…C2 9F).
    static func containsControlCharacter(_ text: String) -> Bool {
        var previous: UInt8 = 0
        return text.utf8.contains { byte in
            defer { previous = byte }
            return byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte <= 0x9F && byte >= 0x80)
        }
    }

    static func streamCategory(kind: String?) -> String {
        switch kind {
        case nil: StreamID.Category.object.rawValue
        case "payment_intent": StreamID.Category.payment.rawValue
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
