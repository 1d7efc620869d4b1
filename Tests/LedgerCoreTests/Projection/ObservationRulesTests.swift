import Foundation
import LedgerCore
import LedgerGenerator
import LedgerTestRandom
import Testing

/// `ObservationRules`: the row `ledger sync reconcile` says Stripe's object implies is the row a repair gives.
@Suite struct ObservationRulesTests {
    /// For subscriptions of a generated history (their newest object, some changed as Stripe might change them
    /// without an event), the implied row equals the row the state has once the object's observation is appended
    /// after every event; computing it leaves the state unchanged.
    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func impliedRowIsTheRowAppendingTheObservationGives(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let seed = TestSeed.value(default: 1_441)
        var random = SeededGenerator(seed: seed)
        let events = try GeneratedHistoryProjectionTests.recorded(apiVersion, customers: 20)
        var state = ProjectionState(mode: FixedMode(mode: .live, position: 0))
        for event in events { _ = state.apply(event) }
        let before = state.subscriptionRows()
        let observedAt = (events.map { $0.occurredAt.microsecondsSinceEpoch / 1_000_000 }.max() ?? 0) + 60
        let rules = ObservationRules(of: state)
        var compared = 0
        for (id, object) in Self.newestSubscriptionObjects(events) {
            var object = object
            // A deletion is final in the ledger as in Stripe: a canceled subscription is observed as it is.
            let canceled = object["status"] as? String == "canceled"
            if !canceled, random.chance(30) {
                object["status"] = random.pick(["past_due", "canceled", "unpaid", "active"])
            }
            if !canceled, random.chance(30) { object["cancel_at_period_end"] = random.chance(50) }
            let bytes = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            let observation = Observation(
                resource: .subscriptions, objectID: id, object: bytes, observedAt: observedAt,
                customerID: object["customer"] as? String)
            let implied = rules.subscriptionRow(observing: observation)
            var appended = state
            _ = appended.apply(Self.recorded(observation, position: Int64(events.count) + 1))
            #expect(
                implied.row == appended.subscriptionRow(stripeID: id),
                "seed \(seed), \(apiVersion): \(id) implied \(String(describing: implied.row))")
            if implied.row != nil { compared += 1 }
        }
        #expect(compared > 10, "too few subscriptions with a row to say anything")
        #expect(state.subscriptionRows() == before)
    }

    /// The newest `data.object` of each subscription's events, by `created` then position.
    static func newestSubscriptionObjects(_ events: [RecordedEvent]) -> [(String, [String: Any])] {
        var newest: [String: (Int64, [String: Any])] = [:]
        for event in events where event.type.hasPrefix("customer.subscription.") {
            guard let envelope = try? JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any],
                let object = (envelope["data"] as? [String: Any])?["object"] as? [String: Any],
                let id = object["id"] as? String
            else { continue }
            let created = event.occurredAt.microsecondsSinceEpoch
            if (newest[id]?.0 ?? .min) <= created { newest[id] = (created, object) }
        }
        return newest.keys.sorted().compactMap { id in newest[id].map { (id, $0.1) } }
    }

    /// The observation as the log would record it, at its own time.
    static func recorded(_ observation: Observation, position: Int64) -> RecordedEvent {
        let event = observation.newEvent(distinct: true)
        return RecordedEvent(
            position: position, eventID: event.eventID, streamID: event.streamID, streamVersion: 1, type: event.type,
            source: event.source, sourceEventID: event.sourceEventID, occurredAt: event.occurredAt,
            recordedAt: event.occurredAt, customerID: event.customerID, body: event.body, metadata: event.metadata,
            hash: [])
    }
}
