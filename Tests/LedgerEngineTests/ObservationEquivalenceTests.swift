import Foundation
import LedgerCore
import LedgerGenerator
import LedgerTestRandom
import Testing

/// The invariant `ledger sync backfill` rests on (docs/0016-observations.md): the objects as Stripe lists them at
/// an instant T, recorded as observations dated T, followed by every event created after T, give the same
/// `subscriptions` and `payment_transactions` rows as every event of the history.
///
/// Over generated histories (deliveries shuffled) cut at a seeded instant. Excepted, by
/// definition: `updated_at` of a row whose newest fact is an observation is the observation's time (the ledger
/// cannot know when Stripe last changed the object); the MRR tables, whose history before T no object tells.
@Suite struct ObservationEquivalenceTests {
    @Test(arguments: [UInt64(3), 11, 29, 47, 101, 233])
    func observationsAtAnInstantThenLaterEventsGiveTheRowsOfTheWholeHistory(seed: UInt64) throws {
        // Backfill lists objects in the pinned Stripe-Version 2024-06-20, whose invoices name their PaymentIntent:
        // the pre-2025 shape. (The 2025+ shape links them only through `invoice_payment` objects.)
        for apiVersion in ["2020-08-27"] {
            let generator = try HistoryGenerator(
                .init(
                    customers: 30, months: 8, seed: seed, apiVersion: try HistoryGenerator.apiVersion(apiVersion),
                    shuffleProbability: 0.2))
            let events = generator.events().map { Self.parse($0.json) }
            let times = events.map(\.created).sorted()
            var random = SeededGenerator(seed: seed)
            let cut = times[times.count / 4 + random.below(times.count / 2)]

            var whole = ProjectionState()
            for (index, event) in events.enumerated() {
                _ = whole.apply(Self.recorded(event.body, type: event.type, position: index + 1))
            }

            var observed = ProjectionState()
            var position = 0
            for observation in Self.objects(of: events, through: cut) {
                position += 1
                _ = observed.apply(
                    Self.recorded(
                        observation.newEvent().body, type: observation.resource.observedType, position: position,
                        source: EventSource.ledger))
            }
            for event in events where event.created > cut {
                position += 1
                _ = observed.apply(Self.recorded(event.body, type: event.type, position: position))
            }

            let context = "seed \(seed), \(apiVersion), cut \(cut)"
            let expectedSubscriptions = whole.subscriptionRows().map(Self.withoutUpdatedAt)
            let gotSubscriptions = observed.subscriptionRows().map(Self.withoutUpdatedAt)
            #expect(gotSubscriptions.count == expectedSubscriptions.count, "\(context): subscription rows")
            for (got, expected) in zip(gotSubscriptions, expectedSubscriptions) where got != expected {
                Issue.record("\(context): \(got.stripeSubscriptionID) differs: \(Self.differences(got, expected))")
            }
            let expectedPayments = whole.paymentRows().map(Self.withoutUpdatedAt)
            let gotPayments = observed.paymentRows().map(Self.withoutUpdatedAt)
            #expect(gotPayments.count == expectedPayments.count, "\(context): payment rows")
            for (got, expected) in zip(gotPayments, expectedPayments) where got != expected {
                Issue.record("\(context): \(got.stripePaymentIntentID) differs: \(Self.differences(got, expected))")
            }
        }
    }

    struct Listed {
        var type: String
        var created: Int64
        var body: [UInt8]
    }

    static func parse(_ body: [UInt8]) -> Listed {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        return Listed(
            type: object["type"] as? String ?? "", created: (object["created"] as? Int).map(Int64.init) ?? 0, body: body
        )
    }

    /// The resource whose objects an event of `type` carries, as Stripe's list endpoints return them.
    static func resource(ofType type: String) -> Observation.Resource? {
        if type.hasPrefix("customer.subscription.") { return .subscriptions }
        if type.hasPrefix("invoice.") { return .invoices }
        if type.hasPrefix("payment_intent.") { return .paymentIntents }
        if type.hasPrefix("charge.dispute.") { return .disputes }
        if type.hasPrefix("refund.") || type.hasPrefix("charge.refund.") { return .refunds }
        if type.hasPrefix("charge.") { return .charges }
        return nil
    }

    /// Every object as of `cut`, as backfill lists it: per object, the one the newest event created at or before
    /// `cut` carries; a PaymentIntent's `latest_charge` expanded (backfill asks for it) when a charge is known.
    static func objects(of events: [Listed], through cut: Int64) -> [Observation] {
        var newest: [String: (created: Int64, index: Int, resource: Observation.Resource, object: [String: Any])] = [:]
        for (index, event) in events.enumerated() where event.created <= cut {
            guard let resource = resource(ofType: event.type),
                let envelope = (try? JSONSerialization.jsonObject(with: Data(event.body))) as? [String: Any],
                let object = (envelope["data"] as? [String: Any])?["object"] as? [String: Any],
                let id = object["id"] as? String
            else { continue }
            let key = "\(resource.rawValue)/\(id)"
            if let known = newest[key], (known.created, known.index) > (event.created, index) { continue }
            newest[key] = (event.created, index, resource, object)
        }
        return newest.keys.sorted().compactMap { key -> Observation? in
            guard let (_, _, resource, listed) = newest[key], let id = listed["id"] as? String else { return nil }
            var object = listed
            if resource == .paymentIntents, let charge = object["latest_charge"] as? String,
                let expanded = newest["charges/\(charge)"]?.object
            {
                object["latest_charge"] = expanded
            }
            guard let bytes = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
                return nil
            }
            return Observation(resource: resource, objectID: id, object: Array(bytes), observedAt: cut, customerID: nil)
        }
    }

    static func recorded(_ body: [UInt8], type: String, position: Int, source: String = EventSource.stripe)
        -> RecordedEvent
    {
        // Recorded after every `created`, as a backfill and late deliveries are.
        let time = EventTime(secondsSinceEpoch: 1_900_000_000 + Int64(position))
        return RecordedEvent(
            position: Int64(position), eventID: UUID(), streamID: "stream", streamVersion: Int64(position), type: type,
            source: source, sourceEventID: source == EventSource.ledger ? "obs_\(position)" : nil, occurredAt: time,
            recordedAt: time, customerID: nil, body: body, metadata: "{}", hash: [])
    }

    /// The fields of two rows that differ, as `name: got vs expected`.
    static func differences<Row>(_ got: Row, _ expected: Row) -> String {
        zip(Mirror(reflecting: got).children, Mirror(reflecting: expected).children)
            .filter { "\($0.0.value)" != "\($0.1.value)" }
            .map { "\($0.0.label ?? "?"): \($0.0.value) vs \($0.1.value)" }.joined(separator: "; ")
    }

    static func withoutUpdatedAt(_ row: SubscriptionRow) -> SubscriptionRow {
        var row = row
        row.updatedAt = EventTime(secondsSinceEpoch: 0)
        return row
    }

    static func withoutUpdatedAt(_ row: PaymentTransactionRow) -> PaymentTransactionRow {
        var row = row
        row.updatedAt = EventTime(secondsSinceEpoch: 0)
        return row
    }
}
