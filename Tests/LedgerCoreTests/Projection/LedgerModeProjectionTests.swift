import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

/// One mode per ledger (issue 15 point 4): the first event that states a mode fixes it, events of the
/// other mode are kept and never counted, in both API shapes, through a snapshot's records.
@Suite struct LedgerModeProjectionTests {
    typealias F = ProjectionFixtures
    typealias L = LifecycleProjectionTests

    /// An old-shape (2020-08-27) subscription event of `mode`, for subscription `id`.
    static func subscription(_ id: String, _ mode: LedgerMode, at created: Int64) throws -> [String: Any] {
        var envelope = try L.subscription("customer.subscription.created", at: created, ["id": id])
        envelope["livemode"] = mode == .live
        envelope["id"] = "evt_\(id)_\(mode)_\(created)"
        return envelope
    }

    /// A 2026-shape PaymentIntent event of `mode` (`livemode` at the envelope's root, as Stripe sends it).
    static func paymentIntent(_ id: String, _ mode: LedgerMode, at created: Int64) throws -> [String: Any] {
        var object = try F.resource2026("payment_intent")
        object["id"] = id
        object["status"] = "succeeded"
        var envelope = F.envelope(
            type: "payment_intent.succeeded", created: created, object: object, id: "evt_\(id)_\(mode)")
        envelope["livemode"] = mode == .live
        return envelope
    }

    static func setting(_ mode: LedgerMode, position: Int64) throws -> RecordedEvent {
        let body = try ModeSetting(mode: mode, reason: "test", actor: "tests").body()
        return RecordedEvent(
            position: position, eventID: UUID(version5Name: "mode-\(position)"), streamID: ModeSetting.streamID,
            streamVersion: 1, type: ModeSetting.type, source: EventSource.ledger, sourceEventID: nil,
            occurredAt: F.time(1_700_000_000), recordedAt: F.time(1_700_000_000), customerID: nil, body: body,
            metadata: "{}", hash: [])
    }

    @Test func theFirstStripeEventFixesTheModeAndTheOtherModeIsNeverCounted() throws {
        let t0: Int64 = 1_700_000_000
        let events = try L.events([
            try Self.subscription("sub_live1", .live, at: t0),
            try Self.subscription("sub_test1", .test, at: t0 + 1),
            try Self.paymentIntent("pi_test1", .test, at: t0 + 2),
            try Self.paymentIntent("pi_live1", .live, at: t0 + 3),
        ])
        var state = ProjectionState()
        let outcomes = events.map { state.apply($0) }
        #expect(state.mode == FixedMode(mode: .live, position: 1))
        #expect(outcomes[0] == .applied && outcomes[3] == .applied)
        #expect(outcomes[1] == .ignored(.otherMode(event: .test, ledger: .live)))
        #expect(outcomes[2] == .ignored(.otherMode(event: .test, ledger: .live)))
        #expect(state.subscriptionRows().map(\.stripeSubscriptionID) == ["sub_live1"])
        #expect(state.paymentRows().map(\.stripePaymentIntentID) == ["pi_live1"])
        #expect(state.parked.isEmpty)
        #expect(
            IgnoreReason.otherMode(event: .test, ledger: .live).description
                == "a test-mode event in a live ledger: kept in the log, never counted")
    }

    @Test func aModeSettingFixesTheModeBeforeStripeAndALaterOneIsIgnored() throws {
        var state = ProjectionState()
        #expect(state.apply(try Self.setting(.live, position: 1)) == .applied)
        let test = try F.recorded(try Self.subscription("sub_test1", .test, at: 1_700_000_000), position: 2)
        #expect(state.apply(test) == .ignored(.otherMode(event: .test, ledger: .live)))
        let fixed = FixedMode(mode: .live, position: 1)
        #expect(state.apply(try Self.setting(.test, position: 3)) == .ignored(.modeFixed(fixed)))
        #expect(state.apply(try Self.setting(.live, position: 4)) == .ignored(.modeFixed(fixed)))
        #expect(state.mode == fixed)
        #expect(state.subscriptionRows().isEmpty)
    }

    @Test func onlyTheNativeStreamTypeAndSourceTogetherMakeASetting() throws {
        var forged = try Self.setting(.live, position: 1)
        forged.source = EventSource.stripe
        #expect(!ModeSetting.isSetting(forged))
        var state = ProjectionState()
        #expect(state.apply(forged) == .ignored(.notProjected(ModeSetting.type)))
        #expect(state.mode == nil)

        var wrongStream = try Self.setting(.live, position: 1)
        wrongStream.streamID = "ledger:other"
        #expect(!ModeSetting.isSetting(wrongStream))

        var unreadable = try Self.setting(.live, position: 1)
        unreadable.body = Array(#"{"mode":"LIVE"}"#.utf8)
        #expect(state.apply(unreadable) == .ignored(.invalidSetting("the body names no mode (live or test)")))
        #expect(state.mode == nil)
    }

    @Test func anEventTheProjectionDoesNotReadStillFixesTheMode() throws {
        var envelope = F.envelope(
            type: "customer.created", created: 1_700_000_000, object: ["id": "cus_1", "object": "customer"])
        envelope["livemode"] = false
        var state = ProjectionState()
        #expect(state.apply(try F.recorded(envelope, position: 7)) == .ignored(.notProjected("customer.created")))
        #expect(state.mode == FixedMode(mode: .test, position: 7))
    }

    @Test func eventsThatStateNoModeAreAppliedAndFixNothing() throws {
        var envelope = try Self.subscription("sub_1", .live, at: 1_700_000_000)
        envelope["livemode"] = "true"  // not a boolean: states no mode
        var state = ProjectionState()
        #expect(state.apply(try F.recorded(envelope, position: 1)) == .applied)
        #expect(state.mode == nil)
    }

    @Test func aSnapshotsRecordsCarryTheMode() throws {
        var state = ProjectionState()
        _ = state.apply(try F.recorded(try Self.subscription("sub_live1", .live, at: 1_700_000_000), position: 1))
        let records = state.reducerRecords()
        #expect(records.contains { $0.kind == .ledger && $0.key == "mode" })
        var restored = try ProjectionState(configuration: .init(), reducerRecords: records)
        #expect(restored.mode == FixedMode(mode: .live, position: 1))
        let test = try F.recorded(try Self.subscription("sub_test1", .test, at: 1_700_000_001), position: 2)
        #expect(restored.apply(test) == .ignored(.otherMode(event: .test, ledger: .live)))
        #expect(restored.reducerRecords() == records)
        #expect(ProjectionState().reducerRecords().allSatisfy { $0.kind != .ledger })
    }

    /// The rule the log lookup uses (``FixedMode/stated(by:)``) finds the event the reducer fixed the
    /// mode at, and the rows are those of the ledger's mode alone, in any delivery order.
    @Test func seededMixedLogsCountOnlyTheLedgersMode() throws {
        let seed = TestSeed.value(default: 15)
        var random = SeededGenerator(seed: seed)
        for round in 0..<40 {
            var envelopes: [[String: Any]] = []
            for index in 0..<Int.random(in: 2...12, using: &random) {
                let mode: LedgerMode = Bool.random(using: &random) ? .live : .test
                let created = 1_700_000_000 + Int64(index)
                envelopes.append(
                    Bool.random(using: &random)
                        ? try Self.subscription("sub_\(index)", mode, at: created)
                        : try Self.paymentIntent("pi_\(index)", mode, at: created))
            }
            let settingFirst = Bool.random(using: &random)
            var events = try L.events(envelopes)
            if settingFirst {
                events =
                    [try Self.setting(.test, position: 1)]
                    + events.map { event in
                        var event = event
                        event.position += 1
                        return event
                    }
            }
            let state = F.project(events)
            let expected = events.first { FixedMode.stated(by: $0) != nil }
            #expect(state.mode?.position == expected?.position, "seed \(seed) round \(round)")
            let ledgerMode = try #require(state.mode?.mode, "seed \(seed) round \(round)")
            // The same events in another order, the mode fixed first: same rows.
            let kept = events.filter { FixedMode.stated(by: $0) == ledgerMode || FixedMode.stated(by: $0) == nil }
            var shuffled = Array(kept.dropFirst())
            shuffled.shuffle(using: &random)
            let reordered = F.project([kept[0]] + shuffled)
            #expect(reordered.subscriptionRows() == state.subscriptionRows(), "seed \(seed) round \(round)")
            #expect(reordered.paymentRows() == state.paymentRows(), "seed \(seed) round \(round)")
            let liveIDs = Set(
                events.filter { FixedMode.stated(by: $0) == ledgerMode }.compactMap { event -> String? in
                    let object = F.object(
                        (try? JSONSerialization.jsonObject(with: Data(event.body))) as? [String: Any] ?? [:])
                    return object["id"] as? String
                })
            let counted = Set(
                state.subscriptionRows().map(\.stripeSubscriptionID) + state.paymentRows().map(\.stripePaymentIntentID))
            #expect(counted.isSubset(of: liveIDs), "seed \(seed) round \(round)")
        }
    }
}
