import Foundation
import LedgerCore
import LedgerGenerator
import LedgerTestRandom
import Testing

/// Properties over generated histories: order, duplicates and replays do not change the rows.
@Suite struct GeneratedHistoryProjectionTests {
    /// Customers of the default history: 50 over 12 months is about 2,000 events, enough for every property here.
    static let customers = 50

    static func recorded(
        _ apiVersion: HistoryGenerator.APIVersion, customers: Int = Self.customers, months: Int = 12
    ) throws
        -> [RecordedEvent]
    {
        let generator = try HistoryGenerator(
            .init(customers: customers, months: months, seed: 7, apiVersion: apiVersion))
        return generator.events().enumerated().map { offset, event in
            ProjectionFixtures.recorded(
                body: event.json, type: event.type, position: Int64(offset + 1), created: event.created)
        }
    }

    struct Result: Equatable {
        var subscriptions: [SubscriptionRow]
        var payments: [PaymentTransactionRow]
        var parked: [ProjectionObjectKey: ParkedEvent]
    }

    static func project(_ events: [RecordedEvent]) -> Result {
        // A live ledger, as configured: a shuffle that puts a test-mode event first must not relabel it.
        var state = ProjectionState(mode: FixedMode(mode: .live, position: 0))
        for event in events { _ = state.apply(event) }
        return Result(subscriptions: state.subscriptionRows(), payments: state.paymentRows(), parked: state.parked)
    }

    /// Renumbers positions so a reordered history looks like a log written in that order.
    static func renumbered(_ events: [RecordedEvent]) -> [RecordedEvent] {
        events.enumerated().map { offset, event in
            var event = event
            event.position = Int64(offset + 1)
            return event
        }
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func generatedHistoryProjectsWithoutParking(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try Self.recorded(apiVersion)
        var state = ProjectionState()
        var outcomes: [String: Int] = [:]
        for event in events {
            let outcome = state.apply(event)
            outcomes["\(event.type) \(outcome)", default: 0] += 1
            if case .parked(let reason) = outcome {
                Issue.record("parked \(event.type) at \(event.position): \(reason)")
            }
        }
        #expect(state.parked.isEmpty)
        // The test-mode customers' events are ignored in this live ledger: one row per live customer.
        #expect(state.subscriptionRows().count == Self.customers - Self.testModeSubscriptions(events).count)
        #expect(!state.paymentRows().isEmpty)
        #expect(state.paymentRows().allSatisfy { $0.amountCents >= 0 && $0.currency.count == 3 })
        let unlinked = state.paymentRows().filter { $0.subscriptionID == nil }
        let notPending = unlinked.filter { $0.status != .pending && $0.status != .failed }
        #expect(notPending.isEmpty, "settled payments without a subscription: \(notPending.prefix(3))")
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func shufflingDeliveryOfDistinctTimesChangesNoRow(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try Self.recorded(apiVersion)
        let baseline = Self.project(events)
        // Only events whose (object, created) is unique are reordered freely; same-second groups keep their order.
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<3 {
            let shuffled = Self.renumbered(Self.shufflePreservingSameSecond(events, using: &generator))
            let result = Self.project(shuffled)
            #expect(result.subscriptions == baseline.subscriptions)
            #expect(result.payments == baseline.payments)
        }
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func duplicatingEveryEventChangesNothing(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try Self.recorded(apiVersion)
        let baseline = Self.project(events)
        let doubled = Self.renumbered(events.flatMap { [$0, $0] })
        #expect(Self.project(doubled) == baseline)
        let replayedTwice = Self.renumbered(events + events)
        let result = Self.project(replayedTwice)
        #expect(result.subscriptions == baseline.subscriptions && result.payments == baseline.payments)
    }

    /// The incremental writer rewrites only the objects `takeChangedObjects()` names: any other row must not move.
    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func everyRowThatChangesIsReportedAsChanged(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try Self.recorded(apiVersion, customers: 30, months: 8)
        var generator = SeededGenerator(seed: 5)
        let messy = Self.renumbered(
            Self.shufflePreservingSameSecond(events, using: &generator) + events.filter { $0.position % 3 == 0 })
        var state = ProjectionState()
        var subscriptions: [String: SubscriptionRow] = [:]
        var payments: [String: PaymentTransactionRow] = [:]
        for event in messy {
            _ = state.apply(event)
            let changed = state.takeChangedObjects()
            let nowSubscriptions = Dictionary(
                uniqueKeysWithValues: state.subscriptionRows().map { ($0.stripeSubscriptionID, $0) })
            let nowPayments = Dictionary(
                uniqueKeysWithValues: state.paymentRows().map { ($0.stripePaymentIntentID, $0) })
            for id in Set(subscriptions.keys).union(nowSubscriptions.keys)
            where subscriptions[id] != nowSubscriptions[id] && !changed.contains(.subscription(id)) {
                Issue.record("subscription \(id) changed by \(event.type) at \(event.position) unreported")
            }
            for id in Set(payments.keys).union(nowPayments.keys)
            where payments[id] != nowPayments[id] && !changed.contains(.payment(id)) {
                Issue.record("payment \(id) changed by \(event.type) at \(event.position) unreported")
            }
            (subscriptions, payments) = (nowSubscriptions, nowPayments)
        }
    }

    @Test func applyingTheSameEventsTwiceIsIdentical() throws {
        let events = try Self.recorded(.v2020_08_27, customers: 30, months: 6)
        var state = ProjectionState()
        for event in events { _ = state.apply(event) }
        let once = (state.subscriptionRows(), state.paymentRows())
        for event in events { #expect(state.apply(event) != .applied) }
        #expect(state.subscriptionRows() == once.0 && state.paymentRows() == once.1)
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func paymentIDsOfASubscriptionAreThePaymentsBilledToIt(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let state = ProjectionFixtures.project(try Self.recorded(apiVersion, customers: 30, months: 6))
        var billed: [UUID: Set<String>] = [:]
        for row in state.paymentRows() {
            if let subscription = row.subscriptionID {
                billed[subscription, default: []].insert(row.stripePaymentIntentID)
            }
        }
        #expect(!billed.isEmpty)
        for row in state.subscriptionRows() {
            #expect(state.paymentIDs(ofSubscription: row.stripeSubscriptionID) == billed[row.id] ?? [])
        }
        #expect(state.paymentIDs(ofSubscription: "sub_unknown").isEmpty)
    }

    /// The subscriptions of the history's test-mode (`"livemode": false`) events.
    static func testModeSubscriptions(_ events: [RecordedEvent]) -> Set<String> {
        Set(
            events.compactMap { event in
                let envelope = try? JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any]
                let object = (envelope?["data"] as? [String: Any])?["object"] as? [String: Any]
                guard envelope?["livemode"] as? Bool == false, object?["object"] as? String == "subscription"
                else { return nil }
                return object?["id"] as? String
            })
    }

    /// Shuffles whole one-second groups: events sharing a `created` second stay in their log order.
    static func shufflePreservingSameSecond(_ events: [RecordedEvent], using generator: inout SeededGenerator)
        -> [RecordedEvent]
    {
        var groups: [Int64: [RecordedEvent]] = [:]
        for event in events { groups[event.occurredAt.microsecondsSinceEpoch, default: []].append(event) }
        return groups.keys.sorted().shuffled(using: &generator).flatMap { groups[$0] ?? [] }
    }
}
