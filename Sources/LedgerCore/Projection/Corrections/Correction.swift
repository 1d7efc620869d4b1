import Foundation

/// A correction `ledger correct` records: a human decision about one subscription or payment, kept in the log.
///
/// A native event (source `ledger`) on the corrected object's own stream (`subscription:sub_…`,
/// `payment:pi_…`), so the object's `ledger history` lists it; body
/// `{"actor":"…","reason":"…"}` plus the fact (`license_id`, `plan_type` or `amount_cents`). How it ranks
/// against Stripe's events for the same field: docs/0015-corrections.md.
public struct Correction: Sendable, Hashable {
    /// What a correction says; each case is one stored event type.
    public enum Fact: Sendable, Hashable {
        /// The subscription's license is this one, whatever Stripe or the mapping says.
        case license(UUID)
        /// Withdraws the license correction: the mapping's license applies again.
        case licenseWithdrawn
        /// The subscription's plan type is this one.
        case planType(PlanType)
        /// Withdraws the plan-type correction.
        case planTypeWithdrawn
        /// The object has no row in the billing tables (a test object in a live ledger, …).
        case excluded
        /// Undoes ``excluded``.
        case included
        /// Money returned outside Stripe (a bank transfer back), added to Stripe's own refunds.
        case refund(amountCents: Int64)

        /// The stored type strings, stable and independent of Swift names.
        public enum Kind: String, Sendable, CaseIterable {
            case license = "ledger.license_corrected"
            case licenseWithdrawn = "ledger.license_correction_withdrawn"
            case planType = "ledger.plan_type_corrected"
            case planTypeWithdrawn = "ledger.plan_type_correction_withdrawn"
            case excluded = "ledger.object_excluded"
            case included = "ledger.object_included"
            case refund = "ledger.refund_recorded"
        }

        public var kind: Kind {
            switch self {
            case .license: .license
            case .licenseWithdrawn: .licenseWithdrawn
            case .planType: .planType
            case .planTypeWithdrawn: .planTypeWithdrawn
            case .excluded: .excluded
            case .included: .included
            case .refund: .refund
            }
        }

        /// The field a correction of this fact replaces a former one of; refunds add up instead.
        var field: Field? {
            switch self {
            case .license, .licenseWithdrawn: .license
            case .planType, .planTypeWithdrawn: .planType
            case .excluded, .included: .exclusion
            case .refund: nil
            }
        }

        /// The value it sets, as `ledger state` and `history` show it.
        public var value: String? {
            switch self {
            case .license(let id): id.uuidString.lowercased()
            case .planType(let plan): plan.rawValue
            case .refund(let cents): String(cents)
            case .licenseWithdrawn, .planTypeWithdrawn, .excluded, .included: nil
            }
        }
    }

    /// A field a newer correction replaces or withdraws.
    enum Field {
        case license, planType, exclusion
    }

    /// The corrected subscription or payment (never an event key).
    public var object: ProjectionObjectKey
    public var fact: Fact
    /// Who decided.
    public var actor: String
    /// Why, in the decider's words.
    public var reason: String

    /// A correction, unchecked: ``problem`` says whether it may be appended.
    public init(object: ProjectionObjectKey, fact: Fact, actor: String, reason: String) {
        self.object = object
        self.fact = fact
        self.actor = actor
        self.reason = reason
    }

    /// The stream the correction is appended to: its object's own.
    public var streamID: String {
        switch object {
        case .subscription(let id): StreamID.subscription(id).description
        case .payment(let id): StreamID.payment(id).description
        case .event(let position): StreamID(.event, String(position)).description
        }
    }

    /// Why the correction may not be recorded or read, nil when it may: the one check, run before an append and
    /// again on every event the projection reads.
    public var problem: String? {
        if actor.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "the actor is empty" }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "the reason is empty" }
        if actor.utf8.count > Limits.correctionTextBytesMax || reason.utf8.count > Limits.correctionTextBytesMax {
            return "the actor and the reason hold at most \(Limits.correctionTextBytesMax) bytes each"
        }
        switch (object, fact) {
        case (.subscription(let id), .license), (.subscription(let id), .licenseWithdrawn),
            (.subscription(let id), .planType), (.subscription(let id), .planTypeWithdrawn),
            (.subscription(let id), .excluded), (.subscription(let id), .included):
            return id.hasPrefix("sub_") ? nil : "'\(DisplayText.escaped(id))' is not a subscription id (sub_…)"
        case (.payment(let id), .excluded), (.payment(let id), .included):
            return id.hasPrefix("pi_") ? nil : "'\(DisplayText.escaped(id))' is not a PaymentIntent id (pi_…)"
        case (.payment(let id), .refund(let cents)):
            guard id.hasPrefix("pi_") else { return "'\(DisplayText.escaped(id))' is not a PaymentIntent id (pi_…)" }
            guard cents > 0, cents <= Int64(Int32.max) else {
                return "the refunded amount must be 1 to \(Int32.max) cents, not \(cents)"
            }
            return nil
        case (.subscription, .refund):
            return "an out-of-band refund is recorded on a payment (pi_…), not a subscription"
        case (.payment, _):
            return "a \(fact.kind.rawValue) correction applies to a subscription (sub_…), not a payment"
        case (.event, _):
            return "a correction names a subscription (sub_…) or a payment (pi_…)"
        }
    }

    /// Whether `event` is a correction: a native event of a correction type (its stream and body are checked by
    /// ``read(_:)``).
    public static func isCorrection(_ event: RecordedEvent) -> Bool {
        event.source == EventSource.ledger && Fact.Kind(rawValue: event.type) != nil
    }

    /// The correction `event` records, or why it records none the projection can read.
    public static func read(_ event: RecordedEvent) -> Result<Correction, CorrectionError> {
        read(type: event.type, streamID: event.streamID, body: event.body)
    }

    /// The correction of type `type` on stream `streamID` whose body is `body`, checked by ``problem``.
    static func read(type: String, streamID: String, body: [UInt8]) -> Result<Correction, CorrectionError> {
        guard let kind = Fact.Kind(rawValue: type) else { return .failure(CorrectionError("\(type) is no correction")) }
        let object: ProjectionObjectKey
        switch StreamID(parsing: streamID) {
        case .some(let stream) where stream.category == .subscription: object = .subscription(stream.key)
        case .some(let stream) where stream.category == .payment: object = .payment(stream.key)
        default:
            return .failure(
                CorrectionError("a correction's stream is its object's (subscription:sub_… or payment:pi_…)"))
        }
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            return .failure(CorrectionError("the body is not a correction (actor, reason and its fact)"))
        }
        let fact: Fact
        switch kind {
        case .license:
            guard let id = decoded.licenseID.flatMap(UUID.init(uuidString:)) else {
                return .failure(CorrectionError("license_id is not a UUID"))
            }
            fact = .license(id)
        case .planType:
            guard let plan = decoded.planType.flatMap(PlanType.init(rawValue:)) else {
                return .failure(CorrectionError("plan_type is not one of free, starter, pro, enterprise"))
            }
            fact = .planType(plan)
        case .refund:
            guard let cents = decoded.amountCents else { return .failure(CorrectionError("no amount_cents")) }
            fact = .refund(amountCents: cents)
        case .licenseWithdrawn: fact = .licenseWithdrawn
        case .planTypeWithdrawn: fact = .planTypeWithdrawn
        case .excluded: fact = .excluded
        case .included: fact = .included
        }
        let correction = Correction(object: object, fact: fact, actor: decoded.actor, reason: decoded.reason)
        if let problem = correction.problem { return .failure(CorrectionError(problem)) }
        return .success(correction)
    }

    /// The body `ledger correct` appends: one line of JSON, keys sorted.
    public func body() throws -> [UInt8] {
        var body = Body(actor: actor, reason: reason)
        switch fact {
        case .license(let id): body.licenseID = id.uuidString.lowercased()
        case .planType(let plan): body.planType = plan.rawValue
        case .refund(let cents): body.amountCents = cents
        case .licenseWithdrawn, .planTypeWithdrawn, .excluded, .included: break
        }
        return Array(try LedgerJSON.encoder().encode(body))
    }

    /// The stored body; keys spelled out, since the snake-case strategies do not round-trip `licenseID`.
    struct Body: Codable {
        var actor: String
        var reason: String
        var licenseID: String?
        var planType: String?
        var amountCents: Int64?

        enum CodingKeys: String, CodingKey {
            case actor, reason
            case licenseID = "license_id"
            case planType = "plan_type"
            case amountCents = "amount_cents"
        }
    }
}

/// Why a logged correction cannot be read: the projection ignores it with this text.
public struct CorrectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A correction the projection applied, with the log position that ranks it against newer ones of its field.
public struct AppliedCorrection: Sendable, Hashable {
    public var correction: Correction
    public var position: Int64

    public init(_ correction: Correction, position: Int64) {
        self.correction = correction
        self.position = position
    }

    /// Whether it still sets something: a withdrawal or an `include` only undoes what came before.
    public var isInEffect: Bool {
        switch correction.fact {
        case .license, .planType, .excluded, .refund: true
        case .licenseWithdrawn, .planTypeWithdrawn, .included: false
        }
    }
}

extension Limits {
    /// Most bytes of a correction's actor and of its reason (each).
    public static let correctionTextBytesMax = 2_000
}

/// A correction in effect, as `ledger state` and `history` show it.
public struct CorrectionSummary: Sendable, Codable, Equatable {
    /// The corrected object's Stripe id (`sub_…`, `pi_…`).
    public var object: String
    public var type: String
    /// The value it sets (a license id, a plan type, cents), absent for an exclusion.
    public var value: String?
    public var actor: String
    public var reason: String
    /// The log position of the correction event.
    public var position: Int64

    public init(_ applied: AppliedCorrection) {
        switch applied.correction.object {
        case .subscription(let id), .payment(let id): object = id
        case .event(let position): object = String(position)
        }
        type = applied.correction.fact.kind.rawValue
        value = applied.correction.fact.value
        actor = applied.correction.actor
        reason = applied.correction.reason
        position = applied.position
    }

    /// `ledger.plan_type_corrected enterprise at position 42 by alice: contract 2026-17`.
    public var text: String {
        "\(type)\(value.map { " \($0)" } ?? "") at position \(position) by \(actor): \(reason)"
    }
}

extension CorrectionSummary {
    /// The summary of a logged correction, nil for any other event or a correction the projection cannot read.
    public init?(event: RecordedEvent) {
        guard Correction.isCorrection(event), case .success(let correction) = Correction.read(event) else { return nil }
        self.init(AppliedCorrection(correction, position: event.position))
    }
}
