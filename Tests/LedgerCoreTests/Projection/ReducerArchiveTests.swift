import Foundation
import LedgerCore
import LedgerGenerator
import LedgerTestRandom
import Testing

/// The reducer archive: a replay resumed from archived records equals one uninterrupted replay, and bad bytes throw.
@Suite struct ReducerArchiveTests {
    typealias F = ProjectionFixtures
    typealias Lifecycle = LifecycleProjectionTests

    /// A generated history with duplicate and late deliveries, plus events that park: every 997th delivery is
    /// followed by a malformed body; a payment intent at every 211th delivery comes again with an invalid currency.
    static func history(_ apiVersion: HistoryGenerator.APIVersion, customers: Int = 200) throws -> [RecordedEvent] {
        let generator = try HistoryGenerator(
            .init(
                customers: customers, months: 12, seed: 23, apiVersion: apiVersion, duplicateProbability: 0.05,
                shuffleProbability: 0.1))
        var events: [RecordedEvent] = []
        func append(_ body: [UInt8], _ type: String, _ created: Int64) {
            events.append(F.recorded(body: body, type: type, position: Int64(events.count + 1), created: created))
        }
        var subscriptionsCreated = 0
        var paymentsSucceeded = 0
        var lastPaymentIntent: GeneratedEvent?
        for (offset, event) in generator.events().enumerated() {
            append(event.json, event.type, event.created)
            // Corrections of every kind amid the deliveries (kind `correction`), as `ledger correct` appends them.
            if event.type == "customer.subscription.created", let id = objectID(event.json) {
                subscriptionsCreated += 1
                if subscriptionsCreated % 40 == 7 {
                    let facts: [Correction.Fact] = [
                        .license(UUID(version5Name: id)), .planType(.enterprise), .excluded, .licenseWithdrawn,
                    ]
                    let fact = facts[subscriptionsCreated / 40 % facts.count]
                    events.append(
                        try CorrectionTests.correction(.subscription(id), fact, position: Int64(events.count + 1)))
                }
            }
            if event.type == "payment_intent.succeeded", let id = objectID(event.json) {
                paymentsSucceeded += 1
                if paymentsSucceeded % 50 == 11 {
                    let fact: Correction.Fact = paymentsSucceeded % 100 == 11 ? .refund(amountCents: 999) : .excluded
                    events.append(try CorrectionTests.correction(.payment(id), fact, position: Int64(events.count + 1)))
                }
            }
            if offset % 997 == 500 {
                append(Array(#"{"id": "evt_broken", "data": {"object": "#.utf8), "invoice.paid", event.created)
            }
            if offset % 211 == 0, event.type.hasPrefix("payment_intent."), let body = invalidCurrency(event.json) {
                append(body, event.type, event.created)
            }
            if event.type.hasPrefix("payment_intent.") { lastPaymentIntent = event }
        }
        // One payment no later event clears: a copy of a PaymentIntent under an id of its own, every currency in it
        // invalid (in the 2020 shape its charges, whose keys sort first, carry one too).
        if let event = lastPaymentIntent, let id = objectID(event.json) {
            let renamed = String(decoding: event.json, as: UTF8.self).replacingOccurrences(
                of: id, with: "pi_parked_to_the_end"
            )
            .replacingOccurrences(
                of: #""currency":"[a-z]{3}""#, with: #""currency":"x1z""#, options: .regularExpression)
            append(Array(renamed.utf8), event.type, event.created)
        }
        // A refund naming only a charge no event ties to an intent: it waits on the charge (charge_adjustments).
        let refund =
            #"{"id":"evt_re_waiting","created":1700000000,"type":"refund.created","data":{"object":"#
            + #"{"id":"re_waiting","object":"refund","charge":"ch_waiting","amount":100,"status":"succeeded"}}}"#
        append(Array(refund.utf8), "refund.created", 1_700_000_000)
        return events
    }

    /// The id of an event body's `data.object`.
    static func objectID(_ body: [UInt8]) -> String? {
        let envelope = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        return ((envelope?["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String
    }

    /// `body` with its first currency code replaced by `x1z`, which the projection parks.
    static func invalidCurrency(_ body: [UInt8]) -> [UInt8]? {
        let field = Array(#""currency":""#.utf8)
        guard let start = body.indices.first(where: { body[$0...].starts(with: field) }) else { return nil }
        var body = body
        body.replaceSubrange((start + field.count)..<(start + field.count + 3), with: Array("x1z".utf8))
        return body
    }

    /// The first record where two archives differ, so a failure does not print whole archives.
    static func firstDifference(_ left: [ReducerRecord], _ right: [ReducerRecord]) -> String? {
        for (index, (a, b)) in zip(left, right).enumerated() where a != b {
            return
                "record \(index): \(a.kind) \(a.key) (\(a.state.count) bytes) vs \(b.kind) \(b.key) (\(b.state.count))"
        }
        return left.count == right.count ? nil : "\(left.count) records vs \(right.count)"
    }

    static func restore(_ records: some Sequence<ReducerRecord>) throws(ReducerArchiveError) -> ProjectionState {
        try ProjectionState(configuration: ProjectionConfiguration(), reducerRecords: records)
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func resumingFromArchivedRecordsEqualsOneReplay(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try Self.history(apiVersion)
        let whole = F.project(events)
        let wholeRecords = whole.reducerRecords()
        // Some injected events are cleared by later ones, some stay parked to the end.
        #expect(whole.parked.keys.contains { if case .event = $0 { true } else { false } })
        #expect(whole.parked.keys.contains { if case .payment = $0 { true } else { false } })
        let count = events.count
        var prefix = ProjectionState()
        var applied = 0
        for split in [0, count / 4, count / 2, count * 3 / 4, count - 1, count] {
            for event in events[applied..<split] { _ = prefix.apply(event) }
            applied = split
            _ = prefix.takeChangedObjects()
            var resumed = try Self.restore(prefix.reducerRecords())
            #expect(resumed.takeChangedObjects().isEmpty)
            var continued = prefix
            let differentOutcomes = events[split...].filter { resumed.apply($0) != continued.apply($0) }
            #expect(
                differentOutcomes.isEmpty, "split \(split): outcomes differ at \(differentOutcomes.map(\.position))")
            #expect(resumed.subscriptionRows() == whole.subscriptionRows(), "split \(split)")
            #expect(resumed.paymentRows() == whole.paymentRows(), "split \(split)")
            #expect(resumed.parked == whole.parked, "split \(split)")
            // The link maps show only in which objects a change marks, so compare those too.
            #expect(resumed.takeChangedObjects() == continued.takeChangedObjects(), "split \(split)")
            let difference = Self.firstDifference(resumed.reducerRecords(), wholeRecords)
            #expect(difference == nil, "split \(split): \(difference ?? "")")
        }
    }

    @Test func archivingIsDeterministicAndRestoringReproducesTheBytes() throws {
        let state = F.project(try Self.history(.v2020_08_27, customers: 100))
        let records = state.reducerRecords()
        #expect(Self.firstDifference(records, state.reducerRecords()) == nil)
        #expect(Set(records.map(\.kind)) == Set(ReducerRecord.Kind.allCases))
        let sorted = zip(records, records.dropFirst()).allSatisfy { earlier, later in
            earlier.kind == later.kind
                ? earlier.key.utf8.lexicographicallyPrecedes(later.key.utf8)
                : earlier.kind.rawValue < later.kind.rawValue
        }
        #expect(sorted, "records are not in (kind, UTF-8 key) order")
        #expect(records.allSatisfy { $0.state.first == ReducerRecord.formatVersion })
        // Restoring accepts any record order.
        let restored = try Self.restore(records.reversed())
        #expect(Self.firstDifference(restored.reducerRecords(), records) == nil)
        #expect(restored.subscriptionRows() == state.subscriptionRows())
        #expect(restored.paymentRows() == state.paymentRows())
        #expect(restored.parked == state.parked)
        #expect(restored.objectCounts == state.objectCounts)
        #expect(try Self.restore([]).reducerRecords().isEmpty)
    }

    /// One crafted event per ``ParkReason`` case, each for its own object, and a subscription whose newest
    /// event is parked while an older valid one still makes its row.
    static func parkingEvents() throws -> [RecordedEvent] {
        let t0: Int64 = 1_700_000_000
        var envelopes: [[String: Any]] = []
        // Subscription `sub_<number>` (unless `changes` names another id), updated at t0 + number.
        func subscription(
            _ number: Int, _ changes: [String: Any] = [:], unitAmount: Int = 1500,
            interval: String = "month", plan: String = "starter", license: String = F.licenseID
        ) throws {
            var changes = changes
            changes["id"] = changes["id"] ?? "sub_\(number)"
            envelopes.append(
                try Lifecycle.subscription(
                    at: t0 + Int64(number), changes, unitAmount: unitAmount, interval: interval, plan: plan,
                    license: license))
        }
        func item(amount: Any, interval: String = "month", currency: String = "usd") -> [String: Any] {
            let price: [String: Any] = [
                "id": "price_\(interval)_\(currency)", "unit_amount": amount, "currency": currency,
                "recurring": ["interval": interval, "interval_count": 1],
            ]
            return ["id": "si_\(interval)_\(currency)", "quantity": 1, "price": price]
        }
        try subscription(1, license: "")
        try subscription(2, license: "not-a-uuid")
        try subscription(3, ["metadata": ["license_id": F.licenseID]])
        try subscription(4, plan: "gold")
        try subscription(5, interval: "week")
        try subscription(6, ["items": ["data": [item(amount: 100), item(amount: 100, interval: "year")]]])
        try subscription(7, ["items": ["data": [item(amount: 100), item(amount: 100, currency: "eur")]]])
        try subscription(8, ["items": ["data": [item(amount: NSNull())]]])
        try subscription(9, unitAmount: -5)
        try subscription(10, unitAmount: 3_000_000_000)
        try subscription(11, ["currency": "dollars"])
        try subscription(12, ["status": "on_hold"])
        try subscription(13, ["status": NSNull()])
        try subscription(14, ["current_period_end": 99_999_999_999_999])
        try subscription(15, ["canceled_at": 1.5])
        try subscription(16, ["metadata": ["license_id": F.licenseID, "plan_type": "starter", "note": "a\u{0}b"]])
        try subscription(20)
        try subscription(120, ["id": "sub_20"], plan: "gold")
        envelopes.append(
            F.setting(try Lifecycle.charge("charge.succeeded", at: t0, refunded: 0, full: false), ["amount": -100]))
        var events = try Lifecycle.events(envelopes)
        events.append(
            F.recorded(
                body: Array(#"{"id": "evt_1", "data": {"#.utf8), type: "invoice.paid",
                position: Int64(events.count + 1), created: t0))
        // Created a year after it was recorded: parked on its own, it cannot pin sub_17.
        let future = try Lifecycle.subscription(at: t0 + 31_536_000, ["id": "sub_17"])
        let futureBody = try JSONSerialization.data(withJSONObject: future, options: [.sortedKeys])
        events.append(
            F.recorded(
                body: Array(futureBody), type: future["type"] as? String ?? "", position: Int64(events.count + 1),
                created: t0 + 31_536_000, recordedAt: t0))
        return events
    }

    /// The case of a reason without its value, so the test sees every case covered.
    static func caseName(_ reason: ParkReason) -> String {
        switch reason {
        case .malformedBody: "malformedBody"
        case .missingField: "missingField"
        case .missingLicenseID: "missingLicenseID"
        case .invalidLicenseID: "invalidLicenseID"
        case .missingPlanType: "missingPlanType"
        case .invalidPlanType: "invalidPlanType"
        case .unknownLicenseKey: "unknownLicenseKey"
        case .licensesUnavailable: "licensesUnavailable"
        case .unsupportedInterval: "unsupportedInterval"
        case .mixedIntervals: "mixedIntervals"
        case .mixedCurrencies: "mixedCurrencies"
        case .missingUnitAmount: "missingUnitAmount"
        case .negativeAmount: "negativeAmount"
        case .amountOutOfRange: "amountOutOfRange"
        case .invalidCurrency: "invalidCurrency"
        case .invalidStatus: "invalidStatus"
        case .valueDoesNotFit: "valueDoesNotFit"
        case .timeOutOfRange: "timeOutOfRange"
        case .notAnInteger: "notAnInteger"
        case .createdInTheFuture: "createdInTheFuture"
        }
    }

    @Test func parkedEventsOfEveryReasonRoundTrip() throws {
        let state = F.project(try Self.parkingEvents())
        #expect(Set(state.parked.values.map { Self.caseName($0.reason) }).count == 18)
        #expect(state.parked.keys.contains(.payment(Lifecycle.pi)))
        #expect(state.parked.keys.contains { if case .event = $0 { true } else { false } })
        #expect(state.parked[.subscription("sub_20")] != nil)
        #expect(state.subscriptionRows().map(\.stripeSubscriptionID) == ["sub_20"])
        let records = state.reducerRecords()
        var restored = try Self.restore(records)
        #expect(restored.parked == state.parked)
        #expect(restored.subscriptionRows() == state.subscriptionRows())
        #expect(Self.firstDifference(restored.reducerRecords(), records) == nil)
        // A later valid event clears a restored parked object as it would the original.
        var original = state
        let valid = try F.recorded(try Lifecycle.subscription(at: 1_800_000_000, ["id": "sub_4"]), position: 100)
        #expect(restored.apply(valid) == .applied && original.apply(valid) == .applied)
        #expect(restored.parked[.subscription("sub_4")] == nil)
        #expect(restored.parked == original.parked && restored.subscriptionRows() == original.subscriptionRows())
    }

    /// One archived record of each kind from a small state with parked events.
    static func sampleRecords() throws -> [ReducerRecord] {
        let events = try Self.history(.v2020_08_27, customers: 20) + (try Self.parkingEvents())
        let records = F.project(GeneratedHistoryProjectionTests.renumbered(events)).reducerRecords()
        return ReducerRecord.Kind.allCases.compactMap { kind in
            records.filter { $0.kind == kind }.max { $0.state.count < $1.state.count }
        }
    }

    @Test func truncatedStatesThrow() throws {
        let samples = try Self.sampleRecords()
        #expect(samples.count == ReducerRecord.Kind.allCases.count)
        for sample in samples {
            for length in 0..<sample.state.count {
                var record = sample
                record.state.removeLast(sample.state.count - length)
                let error = #expect(throws: ReducerArchiveError.self) { try Self.restore([record]) }
                #expect(error?.problem == .truncated, "\(sample.kind) cut to \(length) bytes")
            }
        }
    }

    @Test func anotherFormatVersionOrTrailingBytesThrow() throws {
        for sample in try Self.sampleRecords() {
            var flipped = sample
            flipped.state[0] ^= 0xFF
            let error = #expect(throws: ReducerArchiveError.self) { try Self.restore([flipped]) }
            #expect(error?.problem == .unsupportedFormatVersion(ReducerRecord.formatVersion ^ 0xFF))
            var longer = sample
            longer.state.append(0)
            let trailing = #expect(throws: ReducerArchiveError.self) { try Self.restore([longer]) }
            #expect(trailing?.problem == .trailingBytes(count: 1))
            #expect(trailing?.offset == sample.state.count)
        }
    }

    @Test func randomGarbageThrows() throws {
        var generator = SeededGenerator(seed: 5)
        let samples = try Self.sampleRecords()
        for sample in samples {
            for attempt in 0..<300 {
                var garbage = (0..<Int.random(in: 8...96, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                // Mostly past the version byte, so the garbage reaches the field decoders.
                if attempt % 10 != 0 { garbage[0] = ReducerRecord.formatVersion }
                let record = ReducerRecord(kind: sample.kind, key: sample.key, state: garbage)
                #expect(throws: ReducerArchiveError.self, "\(sample.kind) garbage \(garbage)") {
                    try Self.restore([record])
                }
            }
        }
    }

    @Test func invalidValuesThrowWithTheirPlace() throws {
        let version = ReducerRecord.formatVersion
        let cases: [(kind: ReducerRecord.Kind, key: String, state: [UInt8], problem: ReducerArchiveError.Problem)] = [
            (
                .invoicesBySubscription, "sub_1", [version, 1, 2, 0xC3, 0x28],
                .invalidValue("string is not valid UTF-8")
            ),
            (
                .invoicesBySubscription, "sub_1", [version, 2, 1, 0x62, 1, 0x61],
                .invalidValue("set items are not in ascending byte order")
            ),
            // A cut four-byte sequence: decoding repairs it to U+FFFD, which has the same length.
            (
                .invoicesBySubscription, "sub_1", [version, 1, 3, 0xF0, 0x9F, 0x98],
                .invalidValue("string is not valid UTF-8")
            ),
            (.invoicesBySubscription, "sub_1", [version, 0x80, 0x00], .invalidValue("overlong varint")),
            (.invoicesBySubscription, "sub_1", [version] + Array(repeating: 0xFF, count: 9) + [0x01], .truncated),
            (
                .invoicesBySubscription, "sub_1", [version] + Array(repeating: 0xFF, count: 10) + [0x01],
                .invalidValue("varint exceeds 64 bits")
            ),
            (.parked, "event:7", [version, 14, 0, 0], .invalidValue("park reason tag 0 is unknown")),
            (.parked, "license:7", [version, 14, 0, 1], .invalidKey),
            (.parked, "event:+7", [version, 14, 0, 8], .invalidKey),
        ]
        for (kind, key, state, problem) in cases {
            let error = #expect(throws: ReducerArchiveError.self) {
                try Self.restore([ReducerRecord(kind: kind, key: key, state: state)])
            }
            #expect(error?.problem == problem, "\(kind) \(state)")
            #expect(error?.description.contains(key) == true)
        }
        let error = #expect(throws: ReducerArchiveError.self) {
            try Self.restore([ReducerRecord(kind: .invoicesBySubscription, key: "sub_9", state: [version, 1, 5, 0x61])])
        }
        #expect(error?.field == "invoices" && error?.offset == 3)
        let expected = "invoices_by_subscription record 'sub_9' is truncated: the state ends while reading invoices"
        #expect(error?.description == expected + " at byte 3")
        let record = ReducerRecord(kind: .invoicesBySubscription, key: "sub_1", state: [version, 0])
        let duplicate = #expect(throws: ReducerArchiveError.self) { try Self.restore([record, record]) }
        #expect(duplicate?.problem == .duplicateRecord)
    }

    @Test func nonASCIIStringsRoundTripInByteOrder() throws {
        let keys = ["in_\u{E9}", "in_\u{1F600}", "in_z"]
        let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(sorted == ["in_z", "in_\u{E9}", "in_\u{1F600}"])
        var state: [UInt8] = [ReducerRecord.formatVersion, UInt8(sorted.count)]
        for key in sorted { state += [UInt8(key.utf8.count)] + Array(key.utf8) }
        let record = ReducerRecord(kind: .invoicesBySubscription, key: "sub_\u{E9}", state: state)
        #expect(try Self.restore([record]).reducerRecords() == [record])
    }
}
