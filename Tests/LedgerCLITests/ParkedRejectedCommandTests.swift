import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// Stripe events for the parked and rejected tests: subscriptions a projection parks for a known reason.
enum ParkingEvents {
    /// A monthly `pro` subscription at 19.00 USD whose metadata holds `metadata` (JSON object members).
    static func subscription(
        _ event: String, _ subscription: String, metadata: String, interval: String = "month",
        created: Int = 1_700_000_000
    ) -> String {
        #"{"id":"\#(event)","object":"event","type":"customer.subscription.created","created":\#(created),"data":{"object":{"id":"\#(subscription)","object":"subscription","customer":"cus_\#(subscription)","status":"active","currency":"usd","cancel_at_period_end":false,"current_period_start":\#(created),"current_period_end":\#(created + 2_592_000),"items":{"data":[{"price":{"id":"price_pro","unit_amount":1900,"currency":"usd","recurring":{"interval":"\#(interval)","interval_count":1}},"quantity":1}]},"metadata":{\#(metadata)}}}}"#
    }

    /// `license_id` and `plan_type` metadata naming `license`.
    static func licensed(_ license: UUID) -> String {
        #""license_id":"\#(license.uuidString.lowercased())","plan_type":"pro""#
    }

    /// Reads what `LedgerJSON.encoder` printed, `…_id` keys back to `…ID` properties (`object_id` → `objectID`).
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let words = (path.last?.stringValue ?? "").split(separator: "_").map(String.init)
            let camel = words.enumerated().map { index, word in
                index == 0 ? word : word == "id" ? "ID" : word.prefix(1).uppercased() + word.dropFirst()
            }
            return AnyCodingKey(camel.joined())
        }
        return decoder
    }

    struct AnyCodingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

}

@Suite("ledger parked, ledger rejected")
struct ParkedRejectedCommandTests {
    @Test func parkedGroupsByReasonWithTheFixAndRejectedListsInvalidInput() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 15_5))
        let orphans = 1 + random.below(5)
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parked-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let missing = UUID()
            var lines = (0..<orphans).map {
                ParkingEvents.subscription(
                    "evt_orphan_\($0)", "sub_orphan_\($0)", metadata: ParkingEvents.licensed(missing))
            }
            lines.append(
                ParkingEvents.subscription("evt_noplan", "sub_noplan", metadata: #""license_id":"\#(missing)""#))
            lines.append(
                ParkingEvents.subscription(
                    "evt_weekly", "sub_weekly", metadata: ParkingEvents.licensed(missing), interval: "week"))
            lines.insert("this line is not an event", at: random.below(lines.count + 1))
            let file = directory.appendingPathComponent("events.jsonl")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            let ingested = try runLedger(["ingest", "stripe", file.path], environment: environment)
            #expect(ingested.status == 1, "one line is not an event: \(ingested)")
            let projected = try runLedger(["project"], environment: environment)
            #expect(projected.status == 0, "\(projected.standardError)")

            let json = try runLedger(["parked", "--json"], environment: environment)
            #expect(json.status == 0, "\(json.standardError)")
            let report = try ParkingEvents.decoder.decode(ParkedReport.self, from: Data(json.standardOutput.utf8))
            #expect(report.total == orphans + 2)
            #expect(report.groups.map(\.kind) == [.missingLicense, .missingPlanType, .unsupportedInterval])
            #expect(report.groups.map(\.count) == [orphans, 1, 1])
            #expect(report.groups.allSatisfy { !$0.fix.isEmpty && $0.fix == $0.kind.fix })
            #expect(report.groups[0].objects.map(\.objectID) == (0..<orphans).map { "sub_orphan_\($0)" })
            #expect(report.groups[0].objects.allSatisfy { $0.reason.contains(missing.uuidString.lowercased()) })

            let licenseOnly = try runLedger(["parked", "--reason", "missing_license"], environment: environment)
            #expect(licenseOnly.status == 0, "\(licenseOnly.standardError)")
            #expect(licenseOnly.standardOutput.contains("missing_license: \(orphans) parked"), "\(licenseOnly)")
            #expect(licenseOnly.standardOutput.contains("fix: insert the missing row into licenses"))
            #expect(!licenseOnly.standardOutput.contains("sub_weekly"))
            let bySubstring = try runLedger(
                ["parked", "--reason", "NOT A BILLING_CYCLE", "--json"], environment: environment)
            let weekly = try ParkingEvents.decoder.decode(
                ParkedReport.self, from: Data(bySubstring.standardOutput.utf8))
            #expect(weekly.groups.map(\.kind) == [.unsupportedInterval] && weekly.total == 1)

            let rejected = try runLedger(["rejected", "--json"], environment: environment)
            #expect(rejected.status == 0, "\(rejected.standardError)")
            let list = try ParkingEvents.decoder.decode(
                RejectedInputList.self, from: Data(rejected.standardOutput.utf8))
            #expect(list.total == 1 && list.inputs.count == 1)
            #expect(list.inputs.first?.origin.hasPrefix(file.path + ":") == true, "\(list)")
            #expect(list.inputs.first?.bodyBytes == Int64("this line is not an event".utf8.count))
            let text = try runLedger(["rejected"], environment: environment)
            #expect(text.standardOutput.contains("total: 1 rejected"), "\(text.standardOutput)")
            let later = try runLedger(["rejected", "--since", "9999-01-01", "--json"], environment: environment)
            let none = try ParkingEvents.decoder.decode(RejectedInputList.self, from: Data(later.standardOutput.utf8))
            #expect(none.total == 0 && none.inputs.isEmpty && none.since != nil)
            let unzoned = try runLedger(["rejected", "--since", "2025-03-01T12:00:00"], environment: environment)
            #expect(unzoned.status == 2, "a time without a zone is a usage error: \(unzoned)")

            // The fix the report names works: the license inserted, the next run projects the subscriptions.
            try insertLicense(missing, into: try database.connect())
            #expect(try runLedger(["project"], environment: environment).status == 0)
            let after = try runLedger(["parked", "--reason", "missing_license"], environment: environment)
            #expect(after.standardOutput.contains("nothing parked matches 'missing_license'"), "\(after)")
        }
    }
}

/// Hostile events (every mutation the hostile-input suites make) park for real reasons: `ledger parked`
/// recognises each one, and its totals agree with `ledger status`.
@Suite("ledger parked on hostile input")
struct ParkedHostileInputTests {
    @Test func everyReasonHostileEventsParkWithIsRecognisedAndCounted() async throws {
        let seed = TestSeed.value(default: 15_53)
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        let cases = generator.cases(seed: seed, count: 120)
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            try database.connect().execute(HostileFixtures.licenseSQL)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-parked-\(UUID()).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(cases.flatMap { $0.poison + [0x0A] }).write(to: file)
            _ = try runLedger(["ingest", "stripe", file.path], environment: environment)
            let projected = try runLedger(["project"], environment: environment)
            #expect(projected.status == 0, "seed \(seed): \(projected.standardError)")

            let report = try ParkingEvents.decoder.decode(
                ParkedReport.self,
                from: Data(try runLedger(["parked", "--json"], environment: environment).standardOutput.utf8))
            let status = try LedgerStatus.read(try database.connect())
            #expect(report.total > 0, "seed \(seed): hostile events park")
            #expect(report.total == status.parkedEvents, "seed \(seed)")
            #expect(report.groups.reduce(0) { $0 + $1.count } == report.total)
            let unrecognised = report.groups.filter { $0.kind == .unrecognised }.flatMap(\.objects).map(\.reason)
            #expect(
                unrecognised.isEmpty, "seed \(seed): reasons not recognised:\n\(unrecognised.joined(separator: "\n"))")
            for group in report.groups {
                let only = try ParkingEvents.decoder.decode(
                    ParkedReport.self,
                    from: Data(
                        try runLedger(["parked", "--reason", group.kind.rawValue, "--json"], environment: environment)
                            .standardOutput.utf8))
                #expect(only.groups == [group], "seed \(seed): --reason \(group.kind.rawValue)")
            }
            let rejected = try ParkingEvents.decoder.decode(
                RejectedInputList.self,
                from: Data(try runLedger(["rejected", "--json"], environment: environment).standardOutput.utf8))
            #expect(rejected.total == status.rejectedInputs, "seed \(seed)")
        }
    }
}

/// Every reason the reducer can park with comes back from its stored text as its own kind, so the
/// grouping and the fix cannot silently fall to `unrecognised` when a reason's words change.
@Suite("parked reason kinds")
struct ParkedReasonKindTests {
    @Test func everyParkReasonIsRecognisedFromItsStoredText() {
        var random = SeededGenerator(seed: TestSeed.value(default: 15_51))
        for _ in 0..<200 {
            let reason = Self.sample(&random)
            let kind = ParkedReasonKind(eventType: "customer.subscription.updated", reason: reason.description)
            #expect(kind == reason.kind, "'\(reason.description)' read back as \(kind)")
        }
        #expect(
            ParkedReasonKind(eventType: "license", reason: "license x does not exist in licenses") == .missingLicense)
        #expect(
            ParkedReasonKind(eventType: "refused:payment", reason: "PostgreSQL refused the row: …")
                == .refusedByDatabase)
        #expect(ParkedReasonKind(eventType: "x", reason: "a reason from another version") == .unrecognised)
    }

    /// A reason of a random case with random values (quotes, digits, the other reasons' words).
    static func sample(_ random: inout SeededGenerator) -> ParkReason {
        let words = ["week", "' is not a UUID", "amount 5", "plan_type 'x'", "", "é\u{1}", " is missing", "usd"]
        func text() -> String { (0..<random.below(4)).map { _ in random.pick(words) }.joined() }
        let number = Int64(random.below(1_000_000)) - 500_000
        // One of each case: a new case fails to compile here until it is sampled.
        let all: [ParkReason] = [
            .malformedBody(text()), .missingField(text()), .missingLicenseID(keys: [text()]),
            .invalidLicenseID(key: random.pick(["license_id", "account"]), text()),
            .unknownLicenseKey(key: random.pick(["license_key", "account"]), text()), .licensesUnavailable,
            .missingPlanType(rules: [random.pick(["metadata:plan_type", "price (2 entries)", "license"])]),
            .invalidPlanType(rule: random.pick(["metadata:plan_type", "license"]), text()),
            .unsupportedInterval(text()), .mixedIntervals,
            .mixedCurrencies, .missingUnitAmount, .negativeAmount(number), .amountOutOfRange(number),
            .invalidCurrency(text()), .invalidStatus(text()),
            .valueDoesNotFit(column: random.pick(["metadata", "status", "currency"]), random.pick(valueProblems)),
            .timeOutOfRange(field: random.pick(["created", "current_period_end"]), number),
            .notAnInteger(field: random.pick(["amount", "quantity"]), text()),
            .createdInTheFuture(created: number, recordedAt: EventTime(secondsSinceEpoch: 1_700_000_000)),
        ]
        let reason = random.pick(all)
        switch reason {
        case .malformedBody, .missingField, .missingLicenseID, .invalidLicenseID, .unknownLicenseKey,
            .licensesUnavailable, .missingPlanType, .invalidPlanType,
            .unsupportedInterval, .mixedIntervals, .mixedCurrencies, .missingUnitAmount, .negativeAmount,
            .amountOutOfRange, .invalidCurrency, .invalidStatus, .valueDoesNotFit, .timeOutOfRange, .notAnInteger,
            .createdInTheFuture:
            return reason
        }
    }

    /// The problems ``ParkReason/valueDoesNotFit(column:_:)`` is made with (ProjectedTable, the metadata readers).
    static let valueProblems = [
        "contains U+0000, which PostgreSQL text cannot hold", "is 300 characters long; the column holds 255",
        "is missing", "holds a string with U+0000, which jsonb cannot hold",
    ]
}
