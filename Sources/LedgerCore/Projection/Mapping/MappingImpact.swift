/// What a new mapping would change in the rows of a projection: `ledger mapping set` says it before it
/// records the setting (`--dry-run` says only that).
public struct MappingImpact: Sendable, Equatable, Codable {
    /// Subscriptions the projection knows (with a row or parked).
    public var subscriptions: Int
    /// Subscriptions whose row changes in any way: a column, or gaining or losing the row.
    public var remapped: Int
    /// Rows that keep existing with another `license_id`, another `plan_type`.
    public var licenseChanged: Int
    public var planTypeChanged: Int
    /// Parked subscriptions that would get a row, and rows that would be parked.
    public var gainRow: Int
    public var loseRow: Int
    /// A few of the subscriptions that change, smallest ids first, to look at with `ledger history`.
    public var examples: [String]

    /// No subscription, no change.
    public static let nothing = MappingImpact(
        subscriptions: 0, remapped: 0, licenseChanged: 0, planTypeChanged: 0, gainRow: 0, loseRow: 0, examples: [])

    /// Most ``examples`` kept.
    public static let examplesMax = 5
}

extension ProjectionState {
    /// The rows `mapping` would change if it were recorded now; this state is left as it is.
    public func impact(of mapping: ProjectionMapping) -> MappingImpact {
        var after = self
        after.changeRulesOfAllSubscriptions { $0.mapping = mapping }
        var impact = MappingImpact(
            subscriptions: subscriptions.count, remapped: 0, licenseChanged: 0, planTypeChanged: 0, gainRow: 0,
            loseRow: 0, examples: [])
        for id in subscriptions.keys.sorted() {
            let old = subscriptionRow(stripeID: id)
            let new = after.subscriptionRow(stripeID: id)
            guard old != new else { continue }
            impact.remapped += 1
            if impact.examples.count < MappingImpact.examplesMax { impact.examples.append(id) }
            switch (old, new) {
            case (nil, _?): impact.gainRow += 1
            case (_?, nil): impact.loseRow += 1
            case (let old?, let new?):
                if old.licenseID != new.licenseID { impact.licenseChanged += 1 }
                if old.planType != new.planType { impact.planTypeChanged += 1 }
            case (nil, nil): break
            }
        }
        return impact
    }
}
