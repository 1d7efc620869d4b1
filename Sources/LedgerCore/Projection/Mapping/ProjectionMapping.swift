import Foundation

/// The rules that turn a Stripe subscription into a row's `license_id` and `plan_type`.
///
/// Part of the log, not of a file: a ``MappingSetting`` event records a mapping, and from its position on
/// every subscription is mapped by it (rebuild replays the same settings at the same positions). Each list
/// is tried in order; the first rule that finds a value decides, and a value that is found but invalid
/// parks the subscription (a typo never falls through to a later rule). docs/0014-mapping.md says why.
public struct ProjectionMapping: Sendable, Hashable, Codable {
    /// Where a subscription's license comes from.
    public enum LicenseRule: Sendable, Hashable {
        /// `metadata.<key>` holds the license's UUID (`licenses.id`).
        case metadataID(key: String)
        /// `metadata.<key>` holds the license's `licenses.license_key`, looked up in `licenses`.
        case metadataLicenseKey(key: String)
    }

    /// Where a subscription's plan type comes from.
    public enum PlanTypeRule: Sendable, Hashable {
        /// `metadata.<key>` names the plan type.
        case metadata(key: String)
        /// A table from the items' price ids (`price_…`, or a legacy `plan_…` id).
        case priceID([String: PlanType])
        /// A table from the items' prices' `lookup_key`.
        case lookupKey([String: PlanType])
        /// A table from the items' prices' product ids (`prod_…`).
        case productID([String: PlanType])
        /// The license's own `licenses.plan_type`.
        case license
    }

    public var license: [LicenseRule]
    public var planType: [PlanTypeRule]

    public init(license: [LicenseRule], planType: [PlanTypeRule]) {
        self.license = license
        self.planType = planType
    }

    /// The convention the ledger has always read: `metadata.license_id` (a UUID) and `metadata.plan_type`.
    public static let `default` = ProjectionMapping(
        license: [.metadataID(key: "license_id")], planType: [.metadata(key: "plan_type")])

    /// True when a rule reads the `licenses` table, so the runner must give the state a ``LicenseDirectory``.
    public var readsLicenses: Bool {
        license.contains { if case .metadataLicenseKey = $0 { true } else { false } }
            || planType.contains { $0 == .license }
    }
}

/// What the projection may ask the `licenses` table: the one input of a row that is not in the log.
///
/// Only the mapping rules ``ProjectionMapping/LicenseRule/metadataLicenseKey(key:)`` and
/// ``ProjectionMapping/PlanTypeRule/license`` read it; the runner (LedgerEngine) answers from PostgreSQL.
public protocol LicenseDirectory: Sendable {
    /// The license whose `license_key` is `key`, if one exists.
    func license(key: String) -> LicenseFacts?
    /// The license `id`, if it exists.
    func license(id: UUID) -> LicenseFacts?
}

/// The columns of one `licenses` row the mapping reads.
public struct LicenseFacts: Sendable, Hashable {
    public var id: UUID
    public var planType: PlanType?

    public init(id: UUID, planType: PlanType?) {
        self.id = id
        self.planType = planType
    }
}

// MARK: - Applying the rules

extension ProjectionMapping {
    /// The subscription's license by these rules, or why it cannot have a row.
    func resolveLicense(
        _ snapshot: SubscriptionSnapshot, licenses: (any LicenseDirectory)?
    ) -> Result<UUID, SubscriptionValidation.Failure> {
        for rule in license {
            switch rule {
            case .metadataID(let key):
                guard let text = snapshot.metadataValue(key) else { continue }
                guard let id = UUID(uuidString: text) else {
                    return .failure(.init(reason: .invalidLicenseID(key: key, text)))
                }
                return .success(id)
            case .metadataLicenseKey(let key):
                guard let text = snapshot.metadataValue(key) else { continue }
                guard let licenses else { return .failure(.init(reason: .licensesUnavailable)) }
                guard let found = licenses.license(key: text) else {
                    return .failure(.init(reason: .unknownLicenseKey(key: key, text)))
                }
                return .success(found.id)
            }
        }
        return .failure(.init(reason: .missingLicenseID(keys: license.map(\.metadataKey))))
    }

    /// The subscription's plan type by these rules (the license's own, for ``PlanTypeRule/license``).
    func resolvePlanType(
        _ snapshot: SubscriptionSnapshot, license licenseID: UUID, licenses: (any LicenseDirectory)?
    ) -> Result<PlanType, SubscriptionValidation.Failure> {
        for rule in planType {
            let found: String?
            switch rule {
            case .metadata(let key):
                found = snapshot.metadataValue(key)
            case .priceID(let table):
                if let plan = snapshot.items.lazy.compactMap({ $0.priceID.flatMap { table[$0] } }).first {
                    return .success(plan)
                }
                found = nil
            case .lookupKey(let table):
                if let plan = snapshot.items.lazy.compactMap({ $0.lookupKey.flatMap { table[$0] } }).first {
                    return .success(plan)
                }
                found = nil
            case .productID(let table):
                if let plan = snapshot.items.lazy.compactMap({ $0.productID.flatMap { table[$0] } }).first {
                    return .success(plan)
                }
                found = nil
            case .license:
                guard let licenses else { return .failure(.init(reason: .licensesUnavailable)) }
                // A missing license parks the row anyway (the runner's license rule); try the next rule.
                found = licenses.license(id: licenseID)?.planType?.rawValue
            }
            guard let text = found else { continue }
            guard let plan = PlanType(rawValue: text) else {
                return .failure(.init(reason: .invalidPlanType(rule: rule.description, text)))
            }
            return .success(plan)
        }
        return .failure(.init(reason: .missingPlanType(rules: planType.map(\.description))))
    }
}

extension SubscriptionSnapshot {
    /// `metadata.<key>` when it is a non-empty string (Stripe's metadata values are strings).
    func metadataValue(_ key: String) -> String? {
        guard let value = metadataStrings[key], !value.isEmpty else { return nil }
        return value
    }
}

// MARK: - Text

extension ProjectionMapping.LicenseRule: CustomStringConvertible {
    /// The rule as `ledger mapping` reads and prints it: `metadata-id:license_id`, `license-key:license_key`.
    public var description: String {
        switch self {
        case .metadataID(let key): "metadata-id:\(key)"
        case .metadataLicenseKey(let key): "license-key:\(key)"
        }
    }

    /// The metadata key the rule reads.
    public var metadataKey: String {
        switch self {
        case .metadataID(let key), .metadataLicenseKey(let key): key
        }
    }

    /// Reads ``description``'s form; nil for anything else.
    public init?(text: String) {
        let (name, key) = Self.split(text)
        guard let key, !key.isEmpty else { return nil }
        switch name {
        case "metadata-id": self = .metadataID(key: key)
        case "license-key": self = .metadataLicenseKey(key: key)
        default: return nil
        }
    }

    static func split(_ text: String) -> (String, String?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

extension ProjectionMapping.PlanTypeRule: CustomStringConvertible {
    /// The rule as `ledger mapping` prints it: `metadata:plan_type`, `price (2 entries)`, `license`.
    public var description: String {
        func table(_ name: String, _ entries: [String: PlanType]) -> String {
            "\(name) (\(entries.count) \(entries.count == 1 ? "entry" : "entries"))"
        }
        switch self {
        case .metadata(let key): return "metadata:\(key)"
        case .priceID(let entries): return table("price", entries)
        case .lookupKey(let entries): return table("lookup-key", entries)
        case .productID(let entries): return table("product", entries)
        case .license: return "license"
        }
    }
}

// MARK: - Stored form

/// The JSON a ``MappingSetting`` stores: each rule one single-key object, lists in their order.
///
/// `{"license":[{"metadata_id":"license_id"}],"plan_type":[{"metadata":"plan_type"},{"price":{"price_1":"pro"}},
/// {"license":true}]}`
extension ProjectionMapping {
    private enum CodingKeys: String, CodingKey {
        case license
        case planType = "plan_type"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        license = try container.decode([LicenseRule].self, forKey: .license)
        planType = try container.decode([PlanTypeRule].self, forKey: .planType)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(license, forKey: .license)
        try container.encode(planType, forKey: .planType)
    }
}

/// Reading a rule: one single-key object, its key one of `names`.
private struct RuleDecoding<Keys: CodingKey> {
    let container: KeyedDecodingContainer<Keys>
    let name: Keys
    let codingPath: [any CodingKey]

    init(_ decoder: any Decoder, rule: String, names: String) throws {
        container = try decoder.container(keyedBy: Keys.self)
        codingPath = decoder.codingPath
        guard container.allKeys.count == 1, let name = container.allKeys.first else {
            throw Self.corrupted(decoder.codingPath, "a \(rule) rule is one of \(names)")
        }
        self.name = name
    }

    /// The rule's metadata key, never empty.
    func metadataKey() throws -> String {
        let key = try container.decode(String.self, forKey: name)
        guard !key.isEmpty else { throw Self.corrupted(codingPath, "a metadata key is never empty") }
        return key
    }

    /// The rule's table, each value a plan type.
    func table() throws -> [String: PlanType] {
        try container.decode([String: String].self, forKey: name).mapValues { text in
            guard let plan = PlanType(rawValue: text) else {
                throw Self.corrupted(codingPath, "'\(text)' is not a plan type")
            }
            return plan
        }
    }

    static func corrupted(_ path: [any CodingKey], _ why: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: why))
    }
}

extension ProjectionMapping.LicenseRule: Codable {
    private enum CodingKeys: String, CodingKey {
        case metadataID = "metadata_id"
        case metadataLicenseKey = "metadata_license_key"
    }

    public init(from decoder: any Decoder) throws {
        let rule = try RuleDecoding<CodingKeys>(
            decoder, rule: "license", names: "metadata_id, metadata_license_key")
        let key = try rule.metadataKey()
        self = rule.name == .metadataID ? .metadataID(key: key) : .metadataLicenseKey(key: key)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .metadataID(let key): try container.encode(key, forKey: .metadataID)
        case .metadataLicenseKey(let key): try container.encode(key, forKey: .metadataLicenseKey)
        }
    }
}

extension ProjectionMapping.PlanTypeRule: Codable {
    private enum CodingKeys: String, CodingKey {
        case metadata
        case price
        case lookupKey = "lookup_key"
        case product
        case license
    }

    public init(from decoder: any Decoder) throws {
        let rule = try RuleDecoding<CodingKeys>(
            decoder, rule: "plan type", names: "metadata, price, lookup_key, product, license")
        switch rule.name {
        case .metadata: self = .metadata(key: try rule.metadataKey())
        case .price: self = .priceID(try rule.table())
        case .lookupKey: self = .lookupKey(try rule.table())
        case .product: self = .productID(try rule.table())
        case .license:
            guard try rule.container.decode(Bool.self, forKey: .license) else {
                throw RuleDecoding<CodingKeys>.corrupted(decoder.codingPath, "the license rule is written true")
            }
            self = .license
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .metadata(let key): try container.encode(key, forKey: .metadata)
        case .priceID(let table): try container.encode(table.mapValues(\.rawValue), forKey: .price)
        case .lookupKey(let table): try container.encode(table.mapValues(\.rawValue), forKey: .lookupKey)
        case .productID(let table): try container.encode(table.mapValues(\.rawValue), forKey: .product)
        case .license: try container.encode(true, forKey: .license)
        }
    }
}
