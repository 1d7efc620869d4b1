import Foundation
import LedgerCore
import LedgerPostgres

/// The one license rule: a subscription whose license does not exist in `licenses` has no row (the foreign
/// key would refuse it) and is parked at its stream's newest event until the license exists; its payments
/// keep `subscription_id` NULL.
///
/// The catch-up projector applies it to each batch's subscriptions; rebuild, `ledger verify`, `ledger export
/// state` and `ledger state` to the whole state. One rule, so catch-up and rebuild leave the same rows
/// and the same parked set whatever the batch boundaries.
struct LicenseParking {
    /// `ledger.parked.event_type` of a subscription parked for its license.
    static let eventType = ParkedReasonKind.licenseEventType

    /// The rows whose license exists, in the order given.
    private(set) var licensed: [SubscriptionRow] = []
    /// The parked record of each row without its license, by Stripe subscription id.
    private(set) var parked: [String: ParkedRecord] = [:]
    /// The row ids of the parked subscriptions: payments must not point at them.
    private(set) var parkedRowIDs: Set<UUID> = []

    /// Splits `rows` by whether their license exists; a parked row is parked at `newestPosition` of its id.
    init(_ rows: [SubscriptionRow], existingLicenses: Set<UUID>, newestPosition: (String) -> Int64) {
        for row in rows {
            if existingLicenses.contains(row.licenseID) {
                licensed.append(row)
                continue
            }
            parkedRowIDs.insert(row.id)
            parked[row.stripeSubscriptionID] = ParkedRecord(
                objectID: row.stripeSubscriptionID, position: newestPosition(row.stripeSubscriptionID),
                eventType: Self.eventType,
                reason: "license \(row.licenseID.uuidString.lowercased()) does not exist in licenses")
        }
    }

    /// Asks `licenses` which of the rows' licenses exist, and where the others' streams last changed
    /// (0 for a subscription without a `subscription:` stream of its own).
    init(_ rows: [SubscriptionRow], lookup: LicenseLookup) throws {
        let existing = try lookup.existing(Set(rows.map(\.licenseID)))
        let orphans = rows.filter { !existing.contains($0.licenseID) }.map(\.stripeSubscriptionID)
        let newest = try lookup.newestPositions(ofSubscriptions: orphans)
        self.init(rows, existingLicenses: existing) { newest[$0] ?? 0 }
    }

    /// `row` with `subscription_id` NULL when it points at a subscription in `absent` (no row to point at).
    static func unlinked(_ row: PaymentTransactionRow, from absent: Set<UUID>) -> PaymentTransactionRow {
        guard let subscription = row.subscriptionID, absent.contains(subscription) else { return row }
        var row = row
        row.subscriptionID = nil
        return row
    }
}
