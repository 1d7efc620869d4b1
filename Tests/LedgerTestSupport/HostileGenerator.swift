import Foundation
import LedgerTestRandom

/// Turns templates into hostile logs: each case is a mutated poison event with a fresh `evt_` id and the
/// fixture's object ids, followed by a genuine event for the same object that must still be projected.
public struct HostileGenerator: Sendable {
    public let templates: [HostileTemplate]
    /// Stripe's `created` of the first case; each case is 10 s after the previous one.
    public static let firstCreated: Int64 = 1_700_000_000

    public init(templates: [HostileTemplate]) { self.templates = templates }

    /// Keys worth aiming at: what the projection reads and what the issue names.
    static let interestingKeys: Set<String> = [
        "id", "object", "type", "created", "data", "customer", "currency", "status", "metadata", "message",
        "failure_message", "payment_method", "payment_method_types", "payment_method_details", "invoice",
        "payment_intent", "subscription", "parent", "subscription_details", "current_period_end",
        "current_period_start", "canceled_at", "cancel_at", "ended_at", "trial_start", "trial_end", "amount",
        "amount_due", "amount_paid", "unit_amount", "quantity", "amount_refunded", "refunded", "interval",
        "interval_count", "license_id", "plan_type", "cancel_at_period_end", "items", "price", "plan", "recurring",
        "last_payment_error", "payment", "api_version", "livemode", "previous_attributes", "latest_invoice",
        "cancellation_reason", "amount_requested",
    ]
    static let timeKeys: Set<String> = [
        "created", "current_period_end", "current_period_start", "canceled_at", "cancel_at", "ended_at",
        "trial_start", "trial_end", "start_date", "billing_cycle_anchor", "period_end", "period_start",
    ]
    /// Keys whose values the projection writes to a column (texts, times, amounts, ids).
    static let projectedKeys: Set<String> = [
        "license_id", "plan_type", "note", "message", "failure_message", "type", "currency", "status", "customer",
        "invoice", "payment_intent", "subscription", "cancellation_reason", "current_period_end",
        "current_period_start", "canceled_at", "trial_start", "trial_end", "created", "amount", "amount_due",
        "amount_paid", "unit_amount", "quantity", "amount_refunded", "amount_requested", "interval", "id",
    ]
    static let amountKeys: Set<String> = [
        "amount", "amount_due", "amount_paid", "unit_amount", "quantity", "amount_refunded", "amount_requested",
    ]
    static let dangerousStrings: Set<String> = [
        "NUL", "NUL inside", "lone high surrogate", "60 characters", "256 characters", "303 characters", "600 bytes",
        "171 euro signs (513 bytes)", "raw 0xFF",
    ]
    static let idKeys: Set<String> = [
        "id", "customer", "invoice", "payment_intent", "subscription", "latest_invoice", "charge", "latest_charge",
    ]

    /// `count` cases from `seed`, numbered from `firstIndex`.
    public func cases(seed: UInt64, count: Int, firstIndex: Int = 0) -> [HostileCase] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { offset in
            let template = random.pick(templates)
            var event = template.event
            var mutations: [HostileMutation] = []
            let rounds = random.chance(25) ? 2 + random.below(2) : 1
            let index = firstIndex + offset
            event.set("created", .number(String(Self.firstCreated + Int64(index) * 10)))
            event.set("id", .text("evt_hostile_\(seed)_\(index)_poison"))
            for _ in 0..<rounds { mutations.append(Self.mutate(&event, &random)) }
            return makeCase(index: index, template: template, poison: event, mutations: mutations, tag: "\(seed)")
        }
    }

    /// A case from a poison event built by hand (the issue's named failures).
    public func makeCase(
        index: Int, template: HostileTemplate, poison: HostileJSON, mutations: [HostileMutation], tag: String
    ) -> HostileCase {
        let poisonID = poison["id"]?.plainString ?? "(mutated)"
        var followUp = template.event
        let followUpID = "evt_hostile_\(tag)_\(index)_valid"
        let marker = "case-\(tag)-\(index)"
        followUp.set("id", .text(followUpID))
        followUp.set("created", .number(String(Self.firstCreated + Int64(index) * 10 + 5)))
        if template.kind == .subscription || template.kind == .paymentIntent {
            var metadata = template.event["data"]?["object"]?["metadata"] ?? .object([])
            if case .null = metadata { metadata = .object([]) }
            metadata.set("hostile_case", .text(marker))
            HostileFixtures.setObjectMember(&followUp, "metadata", metadata)
        }
        return HostileCase(
            index: index, template: template, mutations: mutations, poison: poison.bytes, poisonEventID: poisonID,
            followUp: followUp.bytes, followUpEventID: followUpID, marker: marker)
    }

    /// The template named `name` (e.g. `2020-08-27/charge.failed`).
    public func template(_ name: String) throws -> HostileTemplate {
        guard let template = templates.first(where: { $0.name == name }) else {
            throw TestSupportError("no hostile template \(name)")
        }
        return template
    }

    /// Positions whose key is in `keys` (any position when `keys` is nil), as (path, name, key).
    static func positions(_ event: HostileJSON, keys: Set<String>?) -> [(path: [HostilePathStep], name: String)] {
        event.positions().filter { position in
            guard let keys else { return true }
            let last = position.name.split(separator: ".").last.map(String.init) ?? ""
            return keys.contains(last)
        }
    }

    /// Applies one random mutation and says what it did.
    static func mutate(_ event: inout HostileJSON, _ random: inout SeededGenerator) -> HostileMutation {
        let all = event.positions()
        func aim(_ keys: Set<String>, where accept: (HostileJSON) -> Bool = { _ in true }) -> (
            path: [HostilePathStep], name: String
        )? {
            let wanted = positions(event, keys: random.chance(75) ? keys : nil).filter {
                event.value(at: $0.path[...]).map(accept) ?? false
            }
            let fallback = all.filter { event.value(at: $0.path[...]).map(accept) ?? false }
            let pool = wanted.isEmpty ? fallback : wanted
            return pool.isEmpty ? nil : random.pick(pool)
        }
        func isNumber(_ value: HostileJSON) -> Bool { if case .number = value { true } else { false } }
        func isString(_ value: HostileJSON) -> Bool { if case .string = value { true } else { false } }
        func isMember(_ path: [HostilePathStep]) -> Bool { if case .member? = path.last { true } else { false } }
        func isContainer(_ value: HostileJSON) -> Bool {
            switch value {
            case .object, .array: true
            case .null, .bool, .number, .string: false
            }
        }

        switch random.below(14) {
        case 10...13:
            // Aimed at what the projection writes to a column: the classes of value the issue found fatal.
            guard let target = aim(projectedKeys, where: { !isContainer($0) }) else { break }
            let key = target.name.split(separator: ".").last.map(String.init) ?? ""
            let value: (name: String, json: HostileJSON)
            if timeKeys.contains(key) {
                let literal = random.pick([
                    "99999999999999", "1e13", "9223372036854775807", "99999999999", "-62135596801",
                ])
                value = (literal, .number(literal))
            } else if amountKeys.contains(key) {
                let literal = random.pick(["-500", "2147483648", "9223372036854775808", "1.5", "1E400"])
                value = (literal, .number(literal))
            } else {
                let poison = random.pick(HostileValues.strings.filter { dangerousStrings.contains($0.name) })
                value = (poison.name, .string(poison.bytes))
            }
            event.modify(at: target.path[...]) { _ in value.json }
            return HostileMutation(kind: "column poison", target: target.name, value: value.name)
        case 0:
            guard let target = aim(interestingKeys, where: isNumber) else { break }
            let literal = random.pick(HostileValues.boundaryNumbers)
            event.modify(at: target.path[...]) { _ in .number(literal) }
            return HostileMutation(kind: "boundary number", target: target.name, value: literal)
        case 1:
            guard let target = aim(timeKeys) else { break }
            let literal = random.pick(HostileValues.times)
            event.modify(at: target.path[...]) { _ in .number(literal) }
            return HostileMutation(kind: "time", target: target.name, value: literal)
        case 2, 3:
            guard let target = aim(interestingKeys, where: isString) else { break }
            let poison = random.pick(HostileValues.strings)
            event.modify(at: target.path[...]) { _ in .string(poison.bytes) }
            return HostileMutation(kind: "string", target: target.name, value: poison.name)
        case 4:
            guard let target = aim(interestingKeys) else { break }
            let replacement = random.pick(swaps)
            event.modify(at: target.path[...]) { _ in replacement.value }
            return HostileMutation(kind: "type swap", target: target.name, value: replacement.name)
        case 5:
            guard let target = aim(interestingKeys), isMember(target.path) else { break }
            event.modify(at: target.path[...]) { _ in nil }
            return HostileMutation(kind: "missing key", target: target.name, value: "removed")
        case 6:
            guard let target = aim(interestingKeys), isMember(target.path) else { break }
            let replacement = random.pick(swaps + [("poison string", .string(Array(#"\u0000"#.utf8)))])
            let before = random.chance(50)
            event.modifyParent(of: target.path) { members, index in
                let copy = HostileMember(key: members[index].key, value: replacement.value)
                members.insert(copy, at: before ? index : index + 1)
            }
            return HostileMutation(
                kind: "duplicated key", target: target.name, value: "\(replacement.name) \(before ? "before" : "after")"
            )
        case 7:
            guard let target = aim(interestingKeys) else { break }
            let depth = random.pick([64, 300, 1000, 5000])
            let useObjects = random.chance(50)
            var nested: HostileJSON = .number("1")
            for _ in 0..<depth {
                nested = useObjects ? .object([HostileMember(key: Array("a".utf8), value: nested)]) : .array([nested])
            }
            event.modify(at: target.path[...]) { _ in nested }
            return HostileMutation(
                kind: "deep nesting", target: target.name, value: "\(depth) \(useObjects ? "objects" : "arrays")")
        case 8:
            guard let target = aim(["metadata"], where: { if case .object = $0 { true } else { false } }) else { break }
            let poison = random.pick(HostileValues.strings)
            let inKey = random.chance(40)
            event.modify(at: target.path[...]) { value in
                guard case .object(var members) = value else { return value }
                members.append(
                    inKey
                        ? HostileMember(key: poison.bytes, value: .text("v"))
                        : HostileMember(key: Array("note".utf8), value: .string(poison.bytes)))
                return .object(members)
            }
            return HostileMutation(
                kind: "metadata \(inKey ? "key" : "value")", target: target.name, value: poison.name)
        default:
            guard let target = aim(idKeys, where: isString) else { break }
            let prefix = String((event.value(at: target.path[...])?.plainString ?? "x_").prefix(3))
            let id = HostileValues.longID(prefix: prefix, &random)
            event.modify(at: target.path[...]) { _ in .text(id) }
            return HostileMutation(
                kind: "long id", target: target.name, value: "\(id.utf8.count) bytes, \(id.count) characters")
        }
        // The aimed-at kind of position does not exist in this event: swap a random position's type instead.
        let target = random.pick(all)
        let replacement = random.pick(swaps)
        event.modify(at: target.path[...]) { _ in replacement.value }
        return HostileMutation(kind: "type swap", target: target.name, value: replacement.name)
    }

    static let swaps: [(name: String, value: HostileJSON)] = [
        ("null", .null), ("true", .bool(true)), ("number 0", .number("0")), ("number -1", .number("-1")),
        ("string \"1\"", .text("1")), ("empty string", .text("")), ("empty object", .object([])),
        ("empty array", .array([])), ("array of null", .array([.null])),
        ("object with NUL key", .object([HostileMember(key: Array(#"\u0000"#.utf8), value: .null)])),
        ("exponent", .number("1E400")),
    ]
}

/// The seed and budget of a hostile run: `LEDGER_FUZZ_SEED` fixes the seed (default: a fixed one, so CI is
/// reproducible); `LEDGER_FUZZ_SECONDS` runs further rounds, with seeds derived from it, until that many
/// seconds have passed.
public struct HostileBudget: Sendable, CustomStringConvertible {
    public static let defaultSeed: UInt64 = 20_261_202
    public var seed: UInt64
    public var seconds: Double?

    public static var fromEnvironment: HostileBudget {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["LEDGER_FUZZ_SEED"].flatMap { UInt64($0) } ?? defaultSeed
        let seconds = environment["LEDGER_FUZZ_SECONDS"].flatMap { Double($0) }.flatMap { $0 > 0 ? $0 : nil }
        return HostileBudget(seed: seed, seconds: seconds)
    }

    /// The seed of round `round` (round 0 is the seed itself).
    public func seed(round: Int) -> UInt64 {
        guard round > 0 else { return seed }
        var random = SeededGenerator(seed: seed ^ UInt64(round) &* 0x2545_F491_4F6C_DD1D)
        return random.next() % 1_000_000_000_000
    }

    /// Runs `body(round, seed)` for `rounds` rounds, or until the extended budget is spent (at least `rounds`).
    public func forEachRound(rounds: Int, _ body: (Int, UInt64) async throws -> Void) async rethrows {
        let start = ContinuousClock.now
        var round = 0
        while round < rounds || (seconds.map { ContinuousClock.now - start < .seconds($0) } ?? false) {
            try await body(round, seed(round: round))
            round += 1
        }
    }

    public var description: String {
        "LEDGER_FUZZ_SEED=\(seed)" + (seconds.map { " LEDGER_FUZZ_SECONDS=\(Int($0))" } ?? "")
    }
}

extension HostileBudget {
    /// A hostile suite's property run: `rounds` logs of `casesPerRound` cases (more under
    /// `LEDGER_FUZZ_SECONDS`), each given to `check`, which returns what failed. Returns one report per failing
    /// log, minimised, naming the seed that replays it alone, for the suite to record as an issue.
    ///
    /// `seedOffset` gives each suite logs of its own; `unit` names what a case is delivered as (2 per case).
    public func failures(
        _ suite: String, seedOffset: UInt64, rounds: Int, casesPerRound: Int, unit: String = "events",
        check: ([HostileCase]) async throws -> [String]
    ) async throws -> [String] {
        let generator = HostileGenerator(templates: try HostileFixtures.templates())
        var executed = 0
        var failures: [String] = []
        print("\(suite): \(self)")
        try await forEachRound(rounds: rounds) { round, roundSeed in
            let seed = roundSeed &+ seedOffset
            let cases = generator.cases(seed: seed, count: casesPerRound)
            // Printed before the run: a trap ends the test process, and the seed must survive it.
            print("\(suite): round \(round), seed \(seed), \(cases.count) cases")
            let problems = try await check(cases)
            executed += cases.count
            guard !problems.isEmpty else { return }
            let culprits = try await HostileMinimiser.reproducers(cases, check: check)
            failures.append(
                """
                \(suite): seed \(seed) (round \(round) of LEDGER_FUZZ_SEED=\(self.seed); \
                reproduce this log alone as round 0 of LEDGER_FUZZ_SEED=\(seed &- seedOffset)):
                \(problems.joined(separator: "\n"))
                \(culprits.joined(separator: "\n"))
                """)
        }
        print("\(suite): \(executed) cases (\(executed * 2) \(unit)) checked, \(self)")
        return failures
    }
}
