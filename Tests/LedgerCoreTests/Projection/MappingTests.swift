import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

/// The mapping (`ledger mapping set`): a native event from whose position on subscriptions are mapped by it.
@Suite struct MappingTests {
    typealias F = ProjectionFixtures
    typealias L = LifecycleProjectionTests

    static let sub = L.sub
    static let otherLicense = "0b8e5a4c-3d2f-4e1a-9b7c-6d5e4f3a2b1c"

    /// A `ledger mapping set` event at `position`.
    static func setting(_ mapping: ProjectionMapping, position: Int64) throws -> RecordedEvent {
        let body = try MappingSetting(mapping: mapping, reason: "test", actor: "tester").body()
        return RecordedEvent(
            position: position, eventID: UUID(version5Name: "mapping-\(position)"), streamID: MappingSetting.streamID,
            streamVersion: position, type: MappingSetting.type, source: EventSource.ledger, sourceEventID: nil,
            occurredAt: F.time(1_700_000_000), recordedAt: F.time(1_700_000_000), customerID: nil, body: body,
            metadata: "{}", hash: [])
    }

    /// A subscription event whose metadata is `metadata` (no license_id/plan_type unless given).
    static func subscription(at created: Int64, metadata: [String: String], _ changes: [String: Any] = [:]) throws
        -> [String: Any]
    {
        var envelope = try L.subscription(at: created, changes)
        envelope = F.setting(envelope, ["metadata": metadata])
        return envelope
    }

    /// A directory of licenses by key, for the rules that read `licenses`.
    struct Directory: LicenseDirectory {
        var byKey: [String: LicenseFacts]
        func license(key: String) -> LicenseFacts? { byKey[key] }
        func license(id: UUID) -> LicenseFacts? { byKey.values.first { $0.id == id } }
    }

    @Test func theDefaultIsTheConventionLedgersAlwaysRead() throws {
        #expect(ProjectionMapping.default.license == [.metadataID(key: "license_id")])
        #expect(ProjectionMapping.default.planType == [.metadata(key: "plan_type")])
        let json = String(decoding: try LedgerJSON.encoder().encode(ProjectionMapping.default), as: UTF8.self)
        #expect(json == #"{"license":[{"metadata_id":"license_id"}],"plan_type":[{"metadata":"plan_type"}]}"#)
        #expect(!ProjectionMapping.default.readsLicenses)
        // An explicit setting of the default changes no row.
        let event = try F.recorded(try L.subscription(at: 1_700_000_000), position: 1)
        let plain = F.project([event])
        let explicit = F.project([try Self.setting(.default, position: 1), event.at(position: 2)])
        #expect(plain.subscriptionRows() == explicit.subscriptionRows())
    }

    @Test func aMappingAppliesFromItsPositionOn() throws {
        let t0: Int64 = 1_700_000_000
        let created = try F.recorded(
            try Self.subscription(at: t0, metadata: ["account_license": F.licenseID, "tier": "pro"]), position: 1)
        var state = ProjectionState()
        #expect(state.apply(created) == .parked(.missingLicenseID(keys: ["license_id"])))
        let mapping = ProjectionMapping(
            license: [.metadataID(key: "account_license")], planType: [.metadata(key: "tier")])
        #expect(state.apply(try Self.setting(mapping, position: 2)) == .applied)
        #expect(state.parked.isEmpty)
        #expect(state.subscriptionsChangedByLastEvent == [Self.sub])
        let row = try #require(state.subscriptionRow(stripeID: Self.sub))
        #expect(row.planType == .pro && row.licenseID == UUID(uuidString: F.licenseID))
        #expect(state.mapping == mapping && state.mappingPosition == 2)
        // Events after it are mapped by it; the old keys no longer count.
        let later = try Self.subscription(
            at: t0 + 10, metadata: ["license_id": F.licenseID, "plan_type": "starter", "tier": "enterprise"])
        #expect(
            state.apply(try F.recorded(later, position: 3)) == .parked(.missingLicenseID(keys: ["account_license"])))
        // The last row valid under the mapping stays.
        #expect(state.subscriptionRow(stripeID: Self.sub)?.planType == .pro)
    }

    @Test func rulesAreTriedInOrderAndAFoundInvalidValueParks() throws {
        let t0: Int64 = 1_700_000_000
        let mapping = ProjectionMapping(
            license: [.metadataID(key: "license_id")],
            planType: [
                .metadata(key: "tier"), .priceID(["price_nomatch": .free]), .lookupKey(["team_monthly": .enterprise]),
                .productID(["prod_pro": .pro]),
            ])
        func plan(_ metadata: [String: String], price: [String: Any]) throws -> ApplyOutcome {
            var envelope = try Self.subscription(
                at: t0, metadata: metadata.merging(["license_id": F.licenseID]) { a, _ in a })
            var object = F.object(envelope)
            var items = object["items"] as? [String: Any] ?? [:]
            var item = (items["data"] as? [[String: Any]])?.first ?? [:]
            var priceObject = item["price"] as? [String: Any] ?? [:]
            for (key, value) in price { priceObject[key] = value }
            item["price"] = priceObject
            items["data"] = [item]
            object["items"] = items
            envelope = F.setting(envelope, object)
            var state = ProjectionState(configuration: .init(mapping: mapping))
            let outcome = state.apply(try F.recorded(envelope, position: 1))
            if let row = state.subscriptionRow(stripeID: Self.sub) {
                return .ignored(.notProjected(row.planType.rawValue))
            }
            return outcome
        }
        // First rule with a value wins.
        #expect(
            try plan(["tier": "starter"], price: ["lookup_key": "team_monthly"]) == .ignored(.notProjected("starter")))
        #expect(
            try plan([:], price: ["lookup_key": "team_monthly", "product": "prod_pro"])
                == .ignored(.notProjected("enterprise")))
        #expect(try plan([:], price: ["product": ["id": "prod_pro"]]) == .ignored(.notProjected("pro")))
        // A value found but invalid parks with the rule's name; it does not fall through to a table.
        #expect(
            try plan(["tier": "gold"], price: ["product": "prod_pro"])
                == .parked(.invalidPlanType(rule: "metadata:tier", "gold")))
        #expect(
            try plan([:], price: ["product": "prod_other"])
                == .parked(
                    .missingPlanType(rules: [
                        "metadata:tier", "price (1 entry)", "lookup-key (1 entry)", "product (1 entry)",
                    ])))
    }

    @Test func licensesAreLookedUpByKeyAndLendTheirPlanType() throws {
        let t0: Int64 = 1_700_000_000
        let mapping = ProjectionMapping(
            license: [.metadataID(key: "license_id"), .metadataLicenseKey(key: "account")],
            planType: [.metadata(key: "plan_type"), .license])
        let event = try F.recorded(try Self.subscription(at: t0, metadata: ["account": "acme-7"]), position: 1)
        // Without the table the replay says so; with it, an unknown key parks with the key.
        var blind = ProjectionState(configuration: .init(mapping: mapping))
        #expect(blind.apply(event) == .parked(.licensesUnavailable))
        var state = ProjectionState(configuration: .init(mapping: mapping))
        state.licenses = Directory(byKey: [:])
        #expect(state.apply(event) == .parked(.unknownLicenseKey(key: "account", "acme-7")))
        // The license appears: a refresh re-maps, and the plan type comes from the license.
        let license = try #require(UUID(uuidString: Self.otherLicense))
        let changed = state.refreshLicenses(
            Directory(byKey: ["acme-7": LicenseFacts(id: license, planType: .enterprise)]))
        #expect(changed)
        let row = try #require(state.subscriptionRow(stripeID: Self.sub))
        #expect(row.licenseID == license && row.planType == .enterprise)
        #expect(state.parked.isEmpty)
        // metadata.plan_type comes first when present.
        let withPlan = try F.recorded(
            try Self.subscription(at: t0 + 1, metadata: ["account": "acme-7", "plan_type": "starter"]), position: 2)
        #expect(state.apply(withPlan) == .applied)
        #expect(state.subscriptionRow(stripeID: Self.sub)?.planType == .starter)
    }

    @Test func theImpactCountsTheRowsANewMappingChanges() throws {
        let t0: Int64 = 1_700_000_000
        var events: [RecordedEvent] = []
        for index in 0..<6 {
            var metadata = ["license_id": F.licenseID, "plan_type": "starter", "tier": index < 2 ? "pro" : "starter"]
            if index == 5 { metadata["license_id"] = nil }
            var envelope = try Self.subscription(at: t0 + Int64(index), metadata: metadata)
            envelope = F.setting(envelope, ["id": "sub_impact_\(index)"])
            envelope["id"] = "evt_impact_\(index)"
            events.append(try F.recorded(envelope, position: Int64(index + 1)))
        }
        let state = F.project(events)
        let mapping = ProjectionMapping(
            license: [.metadataID(key: "license_id"), .metadataID(key: "fallback")], planType: [.metadata(key: "tier")])
        let impact = state.impact(of: mapping)
        #expect(impact.subscriptions == 6 && impact.remapped == 2 && impact.planTypeChanged == 2)
        #expect(impact.gainRow == 0 && impact.loseRow == 0 && impact.examples == ["sub_impact_0", "sub_impact_1"])
        // The state itself is unchanged.
        #expect(state.subscriptionRows() == F.project(events).subscriptionRows())
        let none = state.impact(of: .default)
        #expect(none.subscriptions == 6 && none.remapped == 0 && none.examples.isEmpty)
    }

    @Test func aRowTheMappingTakesAwayStopsCountingInMRR() throws {
        var projections = LedgerProjections()
        _ = projections.apply(try F.recorded(try L.subscription(at: 1_700_000_000, ["status": "active"]), position: 1))
        let before = projections.mrr.mrrCentsByCurrency
        #expect(before.values.reduce(0, +) > 0)
        let elsewhere = ProjectionMapping(
            license: [.metadataID(key: "account")], planType: [.metadata(key: "plan_type")])
        #expect(projections.apply(try Self.setting(elsewhere, position: 2)) == .applied)
        #expect(projections.billing.subscriptionRows().isEmpty)
        #expect(projections.mrr.mrrCentsByCurrency.values.reduce(0, +) == 0)
        // And the setting that brings it back counts it again.
        #expect(projections.apply(try Self.setting(.default, position: 3)) == .applied)
        #expect(projections.mrr.mrrCentsByCurrency == before)
    }

    @Test func aSettingThatIsNotAMappingIsIgnoredWithWhy() throws {
        var event = try Self.setting(.default, position: 1)
        for body in [
            #"{"mapping":{"license":[],"plan_type":[{"colour":"red"}]}}"#,
            #"{"mapping":{"license":[{"metadata_id":""}],"plan_type":[]}}"#, "[]",
            #"{"mapping":{"license":[],"plan_type":[{"price":{"p":"gold"}}]}}"#,
        ] {
            event.body = Array(body.utf8)
            var state = ProjectionState()
            guard case .ignored(.invalidSetting(let why)) = state.apply(event) else {
                Issue.record("\(body) was not ignored")
                continue
            }
            #expect(why.hasPrefix("the body is not a mapping"))
            #expect(state.mapping == .default && state.mappingPosition == nil)
        }
        // Each rule survives its stored form.
        let mapping = ProjectionMapping(
            license: [.metadataLicenseKey(key: "k"), .metadataID(key: "id")],
            planType: [
                .license, .priceID(["p": .pro]), .lookupKey(["l": .free]), .productID(["x": .starter]),
                .metadata(key: "m"),
            ])
        let decoded = try JSONDecoder().decode(ProjectionMapping.self, from: try LedgerJSON.encoder().encode(mapping))
        #expect(decoded == mapping)
    }

    /// Invariant: Stripe events delivered in any order on either side of a mapping setting give the same rows,
    /// and an archive taken after the setting continues exactly (the mapping is part of the reducer state).
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func stripeEventsAroundASettingCommute(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let t0: Int64 = 1_700_000_000
        var stripe: [[String: Any]] = []
        for index in 0..<8 {
            var metadata = ["account_license": F.licenseID, "tier": random.pick(["pro", "starter", "free"])]
            if random.below(4) == 0 { metadata["plan_type"] = "enterprise" }
            var envelope = try Self.subscription(
                at: t0 + Int64(index), metadata: metadata, ["status": random.pick(["active", "past_due"])])
            envelope = F.setting(envelope, ["id": "sub_commute_\(random.below(3))"])
            envelope["id"] = "evt_commute_\(index)"
            stripe.append(envelope)
        }
        let mapping = ProjectionMapping(
            license: [.metadataID(key: "account_license")],
            planType: [.metadata(key: "plan_type"), .metadata(key: "tier")])
        let split = random.below(stripe.count + 1)
        func replay(_ before: [[String: Any]], _ after: [[String: Any]]) throws -> ProjectionState {
            var events: [RecordedEvent] = []
            for envelope in before { events.append(try F.recorded(envelope, position: Int64(events.count + 1))) }
            events.append(try Self.setting(mapping, position: Int64(events.count + 1)))
            for envelope in after { events.append(try F.recorded(envelope, position: Int64(events.count + 1))) }
            return F.project(events)
        }
        let reference = try replay(Array(stripe[..<split]), Array(stripe[split...]))
        let shuffled = try replay(
            Array(stripe[..<split]).shuffled(using: &random), Array(stripe[split...]).shuffled(using: &random))
        #expect(shuffled.subscriptionRows() == reference.subscriptionRows())
        let restored = try ProjectionState(configuration: .init(), reducerRecords: reference.reducerRecords())
        #expect(restored.mapping == mapping && restored.subscriptionRows() == reference.subscriptionRows())
        #expect(restored.reducerRecords() == reference.reducerRecords())
    }
}

extension RecordedEvent {
    /// The same event at another position.
    func at(position: Int64) -> RecordedEvent {
        var event = self
        event.position = position
        return event
    }
}
