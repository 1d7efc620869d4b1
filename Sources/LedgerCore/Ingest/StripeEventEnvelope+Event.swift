import Foundation

extension NewEvent {
    /// The log event for a validated Stripe event: its id derives from `evt_…`, so a
    /// redelivery is the same event by event id as well as by source id.
    public init(stripe envelope: StripeEventEnvelope, body: [UInt8]) {
        self.init(
            eventID: UUID(version5Name: "stripe:\(envelope.id)"), streamID: envelope.streamID, type: envelope.type,
            source: EventSource.stripe, sourceEventID: envelope.id,
            occurredAt: EventTime(secondsSinceEpoch: envelope.created),
            customerID: envelope.customerID, body: body)
    }
}

extension ValidatedEvent {
    /// The one validation of a Stripe event's bytes, shared by the webhook and the file ingest so
    /// both accept and refuse the same bytes for the same reason: JSON and envelope
    /// (``StripeEventEnvelope/scan(_:)``), then the schema's limits.
    ///
    /// The failure's `reason` is the envelope's or the schema's sentence, unchanged.
    public static func stripe(_ body: ArraySlice<UInt8>) -> Result<ValidatedEvent, InvalidEvent> {
        switch StripeEventEnvelope.scan(body) {
        case .failure(let rejection):
            return .failure(InvalidEvent(reason: rejection.reason))
        case .success(let envelope):
            do {
                return .success(try ValidatedEvent(NewEvent(stripe: envelope, body: Array(body))))
            } catch {
                return .failure(error)
            }
        }
    }
}
