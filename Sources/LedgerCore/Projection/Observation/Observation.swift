import Foundation

/// A Stripe object as `ledger sync backfill` or `ledger sync reconcile --repair` read it from Stripe's API: a
/// native event that states the object's whole state at one instant of Stripe's clock.
///
/// Source `ledger`, type ``Resource/observedType`` (`ledger.subscription_observed`, …), on the stream the
/// object's own Stripe events use (`subscription:sub_…`, `payment:pi_…`, `invoice:in_…`, …), so `history`
/// lists it among them. The body is an envelope around the object's bytes, kept verbatim:
///
///     {"created":1733200000,"data":{"object":{…}},"object":"observation","resource":"subscriptions",
///      "type":"ledger.subscription_observed"}
///
/// `created` is the observation's time: the `Date` of the response that carried the object, so observations
/// and Stripe's events order on one clock. The projection applies an observation by the newest-fact rules of
/// events (``ProjectionState``): an event created before it and delivered after it is stale. See
/// docs/0016-observations.md.
public struct Observation: Sendable, Hashable {
    /// The Stripe list endpoints an observation can come from.
    public enum Resource: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case subscriptions
        case invoices
        case paymentIntents = "payment_intents"
        case charges
        case refunds
        case disputes

        /// Stripe's `object` value for the resource's objects.
        public var objectName: String {
            switch self {
            case .subscriptions: "subscription"
            case .invoices: "invoice"
            case .paymentIntents: "payment_intent"
            case .charges: "charge"
            case .refunds: "refund"
            case .disputes: "dispute"
            }
        }

        /// The stored type of an observation of this resource.
        public var observedType: String { "ledger.\(objectName)_observed" }

        /// The resource whose observations are stored with `type`.
        public init?(observedType type: String) {
            guard let resource = Self.allCases.first(where: { $0.observedType == type }) else { return nil }
            self = resource
        }

        /// The API path that lists the resource.
        public var listPath: String { "/v1/\(rawValue)" }

        public var description: String { rawValue }
    }

    public var resource: Resource
    /// The object's `id`.
    public var objectID: String
    /// The object exactly as Stripe sent it (one element of a list's `data`).
    public var object: [UInt8]
    /// Stripe's clock when it sent the object, in seconds.
    public var observedAt: Int64
    /// The customer the object names, for audits by customer.
    public var customerID: String?

    public init(resource: Resource, objectID: String, object: [UInt8], observedAt: Int64, customerID: String?) {
        self.resource = resource
        self.objectID = objectID
        self.object = object
        self.observedAt = observedAt
        self.customerID = customerID
    }

    /// Whether `event` is an observation, and of which resource.
    public static func resource(of event: RecordedEvent) -> Resource? {
        guard event.source == EventSource.ledger else { return nil }
        return Resource(observedType: event.type)
    }

    /// Its idempotency key: the object's id and a hash of its bytes, so observing an unchanged object again
    /// records nothing; `distinct` (reconcile's repair) adds the time, so a repair is always a new fact.
    public func sourceEventID(distinct: Bool = false) -> String {
        var named = Array("\(resource.objectName)\u{0}\(objectID)\u{0}".utf8) + object
        if distinct { named += Array("\u{0}\(observedAt)".utf8) }
        return "obs_" + HexEncoding.sha256(named)
    }

    /// The stream the object's Stripe events use.
    public var streamID: String {
        "\(StripeEventEnvelope.streamCategory(kind: resource.objectName)):\(objectID)"
    }

    /// The event to append; `distinct` as in ``sourceEventID(distinct:)``.
    public func newEvent(distinct: Bool = false) -> NewEvent {
        let sourceID = sourceEventID(distinct: distinct)
        var body = Array(#"{"created":\#(observedAt),"data":{"object":"#.utf8)
        body += object
        body += Array(
            #"},"object":"observation","resource":"\#(resource.rawValue)","type":"\#(resource.observedType)"}"#.utf8)
        return NewEvent(
            eventID: UUID(version5Name: "ledger:\(sourceID)"), streamID: streamID, type: resource.observedType,
            source: EventSource.ledger, sourceEventID: sourceID,
            occurredAt: EventTime(secondsSinceEpoch: observedAt), customerID: customerID, body: body)
    }
}
