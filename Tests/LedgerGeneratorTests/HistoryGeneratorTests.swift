import Foundation
import LedgerCore
import LedgerGenerator
import Testing

@Suite("History generator")
struct HistoryGeneratorTests {
    typealias Configuration = HistoryGenerator.Configuration

    @Test func sameSeedGivesSameBytes() throws {
        let configuration = Configuration(
            customers: 60, months: 6, seed: 7, duplicateProbability: 0.05, shuffleProbability: 0.05)
        let first = try GeneratedHistory.bytes(configuration)
        let second = try GeneratedHistory.bytes(configuration)
        #expect(!first.isEmpty)
        #expect(GeneratedHistory.fingerprint(first) == GeneratedHistory.fingerprint(second))
        #expect(first == second)
    }

    @Test func differentSeedGivesDifferentBytes() throws {
        let first = try GeneratedHistory.bytes(Configuration(customers: 20, months: 3, seed: 1))
        let second = try GeneratedHistory.bytes(Configuration(customers: 20, months: 3, seed: 2))
        #expect(GeneratedHistory.fingerprint(first) != GeneratedHistory.fingerprint(second))
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func everyLineIsAValidEnvelope(apiVersion: HistoryGenerator.APIVersion) throws {
        let events = try GeneratedHistory.events(
            Configuration(customers: 40, months: 6, seed: 3, apiVersion: apiVersion))
        #expect(events.count > 200)
        for event in events {
            #expect(!event.json.contains(0x0A), "a JSONL line must not contain a newline")
            let envelope = try GeneratedHistory.decode(event)
            let id = try #require(envelope["id"] as? String)
            #expect(id.hasPrefix("evt_") && id.count == 28)
            #expect(id == event.eventID)
            #expect(envelope["object"] as? String == "event")
            #expect(envelope["api_version"] as? String == apiVersion.rawValue)
            #expect((envelope["created"] as? NSNumber)?.int64Value == event.created)
            #expect(envelope["type"] as? String == event.type)
            // A test-mode customer's events state test mode in the envelope and in every object they carry.
            let livemode = try #require(envelope["livemode"] as? Bool)
            #expect(
                Self.nestedLivemodes(envelope["data"]).allSatisfy { $0 == livemode },
                "\(event.type) mixes modes")
            #expect(envelope["pending_webhooks"] is NSNumber)
            #expect(envelope["request"] is [String: Any])
            let object = GeneratedHistory.dataObject(envelope)
            #expect((object["id"] as? String)?.isEmpty == false)
            let data = try #require(envelope["data"] as? [String: Any])
            if event.type.hasSuffix(".updated") {
                #expect(data["previous_attributes"] is [String: Any], "\(event.type) needs previous_attributes")
            }
        }
    }

    /// Every `livemode` value anywhere in `value`.
    static func nestedLivemodes(_ value: Any?) -> [Bool] {
        if let object = value as? [String: Any] {
            return (object["livemode"] as? Bool).map { [$0] }.map { $0 } ?? []
                + object.filter { $0.key != "livemode" }.values.flatMap { nestedLivemodes($0) }
        }
        if let array = value as? [Any] { return array.flatMap { nestedLivemodes($0) } }
        return []
    }

    @Test func eventIDsAreUniqueWithoutDuplicates() throws {
        let events = try GeneratedHistory.events(Configuration(customers: 100, months: 6, seed: 4))
        #expect(Set(events.map(\.eventID)).count == events.count)
    }

    @Test func zeroShuffleGivesNondecreasingCreated() throws {
        let events = try GeneratedHistory.events(Configuration(customers: 100, months: 6, seed: 5))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.created <= $1.created })
    }

    @Test func shuffleDeliversRoughlyThatFractionLate() throws {
        let probability = 0.1
        let events = try GeneratedHistory.events(
            Configuration(customers: 200, months: 6, seed: 6, shuffleProbability: probability))
        let descents = zip(events, events.dropFirst()).filter { $0.created > $1.created }.count
        let rate = Double(descents) / Double(events.count)
        #expect(rate > probability * 0.5 && rate < probability * 1.5, "out-of-order rate \(rate)")
        // Shuffling only reorders: the same events are delivered exactly once.
        let ordered = try GeneratedHistory.events(Configuration(customers: 200, months: 6, seed: 6))
        #expect(Set(events.map(\.eventID)) == Set(ordered.map(\.eventID)))
        #expect(events.count == ordered.count)
    }

    @Test func duplicatesRepeatRoughlyThatFractionByteForByte() throws {
        let probability = 0.08
        let events = try GeneratedHistory.events(
            Configuration(customers: 200, months: 6, seed: 8, duplicateProbability: probability))
        var firstSeen: [String: (index: Int, json: [UInt8])] = [:]
        var repeats = 0
        for (index, event) in events.enumerated() {
            if let original = firstSeen[event.eventID] {
                repeats += 1
                #expect(original.json == event.json)
                #expect(index - original.index <= Limits.generateDuplicateDistanceEventsMax + 8)
            } else {
                firstSeen[event.eventID] = (index, event.json)
            }
        }
        let rate = Double(repeats) / Double(firstSeen.count)
        #expect(rate > probability * 0.7 && rate < probability * 1.3, "duplicate rate \(rate)")
    }

    @Test func invalidConfigurationsAreRejectedWithClearErrors() throws {
        #expect(throws: HistoryGenerator.ConfigurationError.customersOutOfRange(0)) {
            try HistoryGenerator(Configuration(customers: 0, months: 1, seed: 1))
        }
        #expect(throws: HistoryGenerator.ConfigurationError.monthsOutOfRange(121)) {
            try HistoryGenerator(Configuration(customers: 1, months: 121, seed: 1))
        }
        #expect(throws: HistoryGenerator.ConfigurationError.probabilityOutOfRange(name: "shuffle", value: 1.5)) {
            try HistoryGenerator(Configuration(customers: 1, months: 1, seed: 1, shuffleProbability: 1.5))
        }
        #expect(throws: HistoryGenerator.ConfigurationError.probabilityOutOfRange(name: "duplicates", value: -0.1)) {
            try HistoryGenerator(Configuration(customers: 1, months: 1, seed: 1, duplicateProbability: -0.1))
        }
        do {
            _ = try HistoryGenerator.apiVersion("2023-10-16")
            Issue.record("an unknown API version must be rejected")
        } catch {
            #expect(error.description.contains("2020-08-27") && error.description.contains("2026-07-29"))
        }
        #expect(try HistoryGenerator.Configuration.startSeconds(day: "2025-01-01") == 1_735_689_600)
        #expect(throws: HistoryGenerator.ConfigurationError.invalidStartDay("2025-02-30")) {
            try HistoryGenerator.Configuration.startSeconds(day: "2025-02-30")
        }
    }

    @Test func fixturesSQLNamesEveryLicenseInTheEvents() throws {
        let configuration = Configuration(customers: 150, months: 3, seed: 9)
        let generator = try HistoryGenerator(configuration)
        let statements = Array(generator.fixturesSQL())
        let sql = statements.joined()
        #expect(statements.first?.contains("BEGIN;") == true)
        #expect(statements.last == "COMMIT;\n")
        #expect(sql.contains("INSERT INTO users (id, email, password_hash) VALUES"))
        #expect(sql.contains("INSERT INTO licenses (id, user_id, license_key, plan_type, status) VALUES"))
        #expect(statements.filter { $0.hasPrefix("INSERT") }.allSatisfy { $0.hasSuffix("ON CONFLICT DO NOTHING;\n") })
        var licenses = Set<String>()
        for event in generator.events() where event.type.hasPrefix("customer.subscription.") {
            let object = GeneratedHistory.dataObject(try GeneratedHistory.decode(event))
            let metadata = try #require(object["metadata"] as? [String: Any])
            licenses.insert(try #require(metadata["license_id"] as? String))
        }
        #expect(!licenses.isEmpty)
        for license in licenses {
            #expect(sql.contains("('\(license)', '"), "license \(license) missing from fixtures SQL")
        }
    }

    @Test func fixturesSQLBatchesAtMostAThousandRows() throws {
        let generator = try HistoryGenerator(Configuration(customers: 2500, months: 1, seed: 10))
        let inserts = Array(generator.fixturesSQL()).filter { $0.hasPrefix("INSERT") }
        #expect(inserts.count == 6)
        for insert in inserts {
            let rows = insert.split(separator: "\n").filter { $0.hasPrefix("  (") }.count
            #expect(rows <= Limits.generateSQLInsertRowsMax)
        }
    }
}
