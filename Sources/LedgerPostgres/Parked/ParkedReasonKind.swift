import LedgerCore

/// What kind of problem parked an object: the key `ledger parked` groups by and the fix a user can act on
/// is looked up by (``fix``, the one place that text lives).
///
/// `ledger.parked` stores a reason as text (``ParkReason/description``, ``ParkedRecord/reason``); the
/// kind is read back from that text and the record's `event_type` by ``init(eventType:reason:)``. A test
/// renders every ``ParkReason`` case and checks it comes back as its own ``ParkReason/kind``, so a reason
/// whose words change cannot fall into ``unrecognised`` unnoticed.
public enum ParkedReasonKind: String, Sendable, Codable, CaseIterable, Comparable {
    /// A subscription whose `license_id` names no row of `licenses` (``ParkedRecord/eventType`` `license`).
    case missingLicense = "missing_license"
    case missingLicenseID = "missing_license_id"
    case invalidLicenseID = "invalid_license_id"
    /// A subscription whose metadata names a `license_key` no row of `licenses` has.
    case unknownLicenseKey = "unknown_license_key"
    /// The mapping reads `licenses` and the replay had no database (never written by `project` or `serve`).
    case licensesUnavailable = "licenses_unavailable"
    case missingPlanType = "missing_plan_type"
    case invalidPlanType = "invalid_plan_type"
    case unsupportedInterval = "unsupported_interval"
    case mixedIntervals = "mixed_intervals"
    case mixedCurrencies = "mixed_currencies"
    case missingUnitAmount = "missing_unit_amount"
    case negativeAmount = "negative_amount"
    case amountOutOfRange = "amount_out_of_range"
    case invalidCurrency = "invalid_currency"
    case invalidStatus = "invalid_status"
    case valueDoesNotFit = "value_does_not_fit"
    case timeOutOfRange = "time_out_of_range"
    case notAnInteger = "not_an_integer"
    case createdInTheFuture = "created_in_the_future"
    case missingField = "missing_field"
    case malformedBody = "malformed_body"
    /// A row PostgreSQL refused although the projection's checks passed (`refused:subscription|payment`).
    case refusedByDatabase = "refused_by_database"
    /// A reason this binary does not know (written by another projector version).
    case unrecognised

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// `ledger.parked.event_type` of a subscription parked for its license (``missingLicense``).
    public static let licenseEventType = "license"
    /// `ledger.parked.event_type` of a subscription or payment whose row PostgreSQL refused.
    public static let refusedSubscriptionEventType = "refused:subscription"
    public static let refusedPaymentEventType = "refused:payment"

    /// The kind of a `ledger.parked` row, from its `event_type` and `reason` columns.
    public init(eventType: String, reason: String) {
        switch eventType {
        case Self.licenseEventType: self = .missingLicense
        case Self.refusedSubscriptionEventType, Self.refusedPaymentEventType: self = .refusedByDatabase
        default: self = Self.reducerKind(of: reason)
        }
    }

    /// The kind of a reducer's reason text (``ParkReason/description``); quoted values sit between a fixed
    /// beginning and a fixed end, so both are matched.
    private static func reducerKind(of reason: String) -> ParkedReasonKind {
        func between(_ start: String, _ end: String) -> Bool { reason.hasPrefix(start) && reason.hasSuffix(end) }
        // First: its message is the JSON reader's and may hold any other reason's words.
        if reason.hasPrefix("body is not readable JSON: ") { return .malformedBody }
        if reason.hasPrefix("subscription metadata has no ") { return .missingLicenseID }
        if between("metadata ", "' is not a UUID") { return .invalidLicenseID }
        if between("no license has license_key '", ")") { return .unknownLicenseKey }
        if reason == "the mapping reads the licenses table, which this replay cannot see" {
            return .licensesUnavailable
        }
        // The first form is what projector versions before 6 stored.
        if reason.hasPrefix("no plan_type in metadata") || reason.hasPrefix("no plan type: ") {
            return .missingPlanType
        }
        if between("plan_type '", "' is not one of free, starter, pro, enterprise")
            || between("plan type '", " is not one of free, starter, pro, enterprise")
        {
            return .invalidPlanType
        }
        // The second form is what ledgers before migration 013 stored.
        if between("recurring interval '", "' is not a billing_cycle (every 1, 3, 6, 12 or 24 months)")
            || between("recurring interval '", "' is neither month nor year")
        {
            return .unsupportedInterval
        }
        if reason == "subscription items bill on different intervals" { return .mixedIntervals }
        if reason == "subscription items are priced in different currencies" { return .mixedCurrencies }
        if reason.hasPrefix("an item's price has no unit_amount") { return .missingUnitAmount }
        if between("amount ", " is negative") { return .negativeAmount }
        if between("amount ", " does not fit the INTEGER column") { return .amountOutOfRange }
        if between("currency '", "' is not a three-letter code") { return .invalidCurrency }
        if between("status '", "' is not a known status") { return .invalidStatus }
        if reason.contains(" is outside the ledger's window (Unix seconds ") { return .timeOutOfRange }
        if reason.contains(" must be an integer (got ") { return .notAnInteger }
        if reason.hasPrefix("created "), reason.contains(" s after the event was recorded (") {
            return .createdInTheFuture
        }
        if between("required field ", " is missing") { return .missingField }
        if valueDoesNotFitEndings.contains(where: reason.hasSuffix)
            || reason.contains(" characters long; the column holds ")
        {
            return .valueDoesNotFit
        }
        return .unrecognised
    }

    /// How a ``ParkReason/valueDoesNotFit(column:_:)`` problem ends (ProjectedTable, the metadata readers).
    private static let valueDoesNotFitEndings = [
        "contains U+0000, which PostgreSQL text cannot hold", " is missing", "which jsonb cannot hold",
    ]
}

extension ParkReason {
    /// The kind `ledger parked` groups this reason under.
    public var kind: ParkedReasonKind {
        switch self {
        case .malformedBody: .malformedBody
        case .missingField: .missingField
        case .missingLicenseID: .missingLicenseID
        case .invalidLicenseID: .invalidLicenseID
        case .unknownLicenseKey: .unknownLicenseKey
        case .licensesUnavailable: .licensesUnavailable
        case .missingPlanType: .missingPlanType
        case .invalidPlanType: .invalidPlanType
        case .unsupportedInterval: .unsupportedInterval
        case .mixedIntervals: .mixedIntervals
        case .mixedCurrencies: .mixedCurrencies
        case .missingUnitAmount: .missingUnitAmount
        case .negativeAmount: .negativeAmount
        case .amountOutOfRange: .amountOutOfRange
        case .invalidCurrency: .invalidCurrency
        case .invalidStatus: .invalidStatus
        case .valueDoesNotFit: .valueDoesNotFit
        case .timeOutOfRange: .timeOutOfRange
        case .notAnInteger: .notAnInteger
        case .createdInTheFuture: .createdInTheFuture
        }
    }
}
