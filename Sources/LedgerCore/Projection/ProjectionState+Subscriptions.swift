import Foundation

/// One applied subscription event: the object as of `created`.
struct SubscriptionEntry: Sendable, Hashable {
    var snapshot: SubscriptionSnapshot
    var created: Int64
    var position: Int64
    var eventID: String
    /// The stored event type, which a park after a rule change names.
    var eventType: String
    /// From `customer.subscription.deleted`: outranks every other event of the object.
    var deleted: Bool
}

/// Everything the projection keeps for one subscription.
struct SubscriptionRecord: Sendable, Hashable {
    /// The newest event, valid or not.
    var latest: SubscriptionEntry
    /// The newest event that makes a valid row; the row derives from it alone.
    var latestValid: SubscriptionEntry?
    /// The earliest time any event seen for the object (applied or stale) tells of it, so it is
    /// order-independent: the object's own `created` where one carries it, else the event's (``EventContext/earliestTime``).
    var firstEventAt: Int64
}

/// How an incoming subscription event compares with an applied one.
enum SubscriptionRecency {
    case newer, duplicate, stale, afterDeletion
}

extension SubscriptionEntry {
    /// The tie rule: deletion first, then `created`, then terminal status, then `previous_attributes`
    /// chaining, then log position. Deterministic for any pair, so a replay gives the same winner.
    func compare(with current: SubscriptionEntry) -> SubscriptionRecency {
        if position == current.position || (!eventID.isEmpty && eventID == current.eventID) { return .duplicate }
        if deleted != current.deleted { return deleted ? .newer : .afterDeletion }
        if created != current.created { return created > current.created ? .newer : .stale }
        let terminal = SubscriptionStatus(rawValue: snapshot.status)?.isTerminal ?? false
        let currentTerminal = SubscriptionStatus(rawValue: current.snapshot.status)?.isTerminal ?? false
        if terminal != currentTerminal { return terminal ? .newer : .stale }
        let incomingFollows = snapshot.follows(current.snapshot)
        let currentFollows = current.snapshot.follows(snapshot)
        if incomingFollows != currentFollows { return incomingFollows ? .newer : .stale }
        return position > current.position ? .newer : .stale
    }
}

extension ProjectionState {
    mutating func applySubscription(_ snapshot: SubscriptionSnapshot, _ context: EventContext) -> ApplyOutcome {
        let entry = SubscriptionEntry(
            snapshot: snapshot, created: context.created, position: context.position, eventID: context.eventID,
            eventType: context.type, deleted: context.kind == .subscriptionDeleted)
        let key = ProjectionObjectKey.subscription(snapshot.id)
        let validity = SubscriptionValidation.validate(snapshot, rules: rules(forSubscription: snapshot.id))
        guard var record = subscriptions[snapshot.id] else {
            let valid = validity.reason == nil
            subscriptions[snapshot.id] = SubscriptionRecord(
                latest: entry, latestValid: valid ? entry : nil, firstEventAt: context.earliestTime)
            return settle(key, record: nil, validity: validity, context: context)
        }
        if context.earliestTime < record.firstEventAt {
            // `created_at` moves earlier even when the event itself is stale.
            record.firstEventAt = context.earliestTime
            if record.latestValid != nil { changed.insert(key) }
        }
        defer { subscriptions[snapshot.id] = record }
        switch entry.compare(with: record.latest) {
        case .duplicate:
            return .ignored(.duplicate)
        case .afterDeletion:
            return .ignored(.objectDeleted)
        case .stale:
            // A valid event older than a parked newer one still improves the last valid row.
            guard validity.reason == nil, record.latestValid.map({ entry.compare(with: $0) == .newer }) ?? true
            else { return .ignored(.stale) }
            let hadRow = record.latestValid != nil
            record.latestValid = entry
            markSubscriptionChanged(snapshot.id, validityChanged: !hadRow)
            return .applied
        case .newer:
            let hadRow = record.latestValid != nil
            record.latest = entry
            if validity.reason == nil { record.latestValid = entry }
            return settle(key, record: hadRow, validity: validity, context: context)
        }
    }

    /// Parks or clears the object after its newest event changed; `hadRow` nil for a new object.
    private mutating func settle(
        _ key: ProjectionObjectKey, record hadRow: Bool?, validity: SubscriptionValidation, context: EventContext
    ) -> ApplyOutcome {
        guard case .subscription(let id) = key else { return .applied }
        if let reason = validity.reason {
            return park(key, position: context.position, type: context.type, reason: reason)
        }
        parked[key] = nil
        markSubscriptionChanged(id, validityChanged: hadRow != true)
        return .applied
    }

    /// Marks the subscription and, when it gained or lost its row, the payments whose `subscription_id` follows it.
    mutating func markSubscriptionChanged(_ id: String, validityChanged: Bool) {
        changed.insert(.subscription(id))
        subscriptionsChangedByLastEvent.append(id)
        guard validityChanged else { return }
        for invoice in invoicesBySubscription[id] ?? [] {
            for payment in paymentsByInvoice[invoice] ?? [] { changed.insert(.payment(payment)) }
        }
    }

    /// What decides the subscription's row besides its own events: the mapping, `licenses`, its corrections.
    func rules(forSubscription id: String) -> SubscriptionRules {
        SubscriptionRules(mapping: mapping, licenses: licenses, correction: subscriptionCorrections[id])
    }

    /// Gives the mapping a new view of `licenses` (the runner read the table again after it changed) and
    /// re-decides the row of every subscription when the mapping reads it; says whether any row changed.
    @discardableResult
    public mutating func refreshLicenses(_ directory: (any LicenseDirectory)?) -> Bool {
        subscriptionsChangedByLastEvent.removeAll(keepingCapacity: true)
        guard mapping.readsLicenses else {
            licenses = directory
            return false
        }
        changeRulesOfAllSubscriptions { $0.licenses = directory }
        return !subscriptionsChangedByLastEvent.isEmpty
    }

    /// True when rows may have changed since the last ``takeChangedObjects()``, without an event (a refresh).
    public var hasChangedObjects: Bool { !changed.isEmpty }

    /// Marks every subscription changed when the mapping reads `licenses`: a runner that restored this state
    /// with the table as it is now cannot tell which rows the table changed since they were written.
    public mutating func markLicenseMappedSubscriptionsChanged() {
        guard mapping.readsLicenses else { return }
        for id in subscriptions.keys { changed.insert(.subscription(id)) }
    }

    /// Changes the rules of every subscription with `change` (a new mapping, a new view of `licenses`), then
    /// re-decides each row and marks changed those that differ from before.
    mutating func changeRulesOfAllSubscriptions(_ change: (inout ProjectionState) -> Void) {
        let ids = subscriptions.keys.sorted()
        let before = ids.map { subscriptionRow(stripeID: $0) }
        change(&self)
        for (id, row) in zip(ids, before) {
            revalidateSubscription(id)
            let after = subscriptionRow(stripeID: id)
            if row != after { markSubscriptionChanged(id, validityChanged: (row == nil) != (after == nil)) }
        }
    }

    /// Re-decides one subscription's row after its rules changed (a mapping or a correction): the newest event
    /// if it is valid now, else the last valid one if it still is; parks or clears it accordingly. Marks
    /// nothing changed: the caller compares the row with the one before its change.
    mutating func revalidateSubscription(_ id: String) {
        guard var record = subscriptions[id] else { return }
        let rules = rules(forSubscription: id)
        let latestValidity = SubscriptionValidation.validate(record.latest.snapshot, rules: rules)
        if latestValidity.reason == nil {
            record.latestValid = record.latest
        } else if let valid = record.latestValid,
            SubscriptionValidation.validate(valid.snapshot, rules: rules).reason != nil
        {
            record.latestValid = nil
        }
        subscriptions[id] = record
        let key = ProjectionObjectKey.subscription(id)
        if let reason = latestValidity.reason {
            parked[key] = ParkedEvent(
                position: record.latest.position, eventType: record.latest.eventType, reason: reason)
        } else {
            parked[key] = nil
        }
    }

    /// The row for a Stripe subscription id, or nil when it has no valid event yet.
    public func subscriptionRow(stripeID: String) -> SubscriptionRow? {
        // An excluded subscription has no row, whatever its events say (docs/0015-corrections.md).
        guard !isExcluded(.subscription(stripeID)) else { return nil }
        guard let record = subscriptions[stripeID], let entry = record.latestValid,
            case .valid(let fields) = SubscriptionValidation.validate(
                entry.snapshot, rules: rules(forSubscription: stripeID))
        else { return nil }
        let s = entry.snapshot
        func time(_ seconds: Int64?) -> EventTime? { seconds.map(EventTime.init(secondsSinceEpoch:)) }
        return SubscriptionRow(
            id: UUID(version5Name: s.id), licenseID: fields.licenseID, stripeSubscriptionID: s.id,
            stripeCustomerID: s.customerID, status: fields.status, planType: fields.planType,
            billingCycle: fields.billingCycle, amountCents: fields.amountCents, currency: fields.currency,
            currentPeriodStart: time(s.periodStart), currentPeriodEnd: time(s.periodEnd),
            cancelAtPeriodEnd: s.cancelAtPeriodEnd, canceledAt: time(s.canceledAt), trialStart: time(s.trialStart),
            trialEnd: time(s.trialEnd), createdAt: EventTime(secondsSinceEpoch: record.firstEventAt),
            updatedAt: EventTime(secondsSinceEpoch: entry.created), metadata: s.metadata)
    }

    /// The discounts on the event the subscription's row derives from (MRR values them; the row does not).
    public func subscriptionDiscounts(stripeID: String) -> [SubscriptionDiscount] {
        subscriptions[stripeID]?.latestValid?.snapshot.discounts ?? []
    }

    /// Every subscription row, ordered by Stripe id.
    public func subscriptionRows() -> [SubscriptionRow] {
        subscriptions.keys.sorted().compactMap { subscriptionRow(stripeID: $0) }
    }

    /// The license ids the rows reference: the runner checks them against `licenses` and parks rows whose license is missing.
    public var requiredLicenseIDs: Set<UUID> {
        Set(subscriptionRows().map(\.licenseID))
    }

    /// True when the subscription has a valid row (so payments may reference it); an excluded one has none.
    func hasSubscriptionRow(_ id: String) -> Bool {
        subscriptions[id]?.latestValid != nil && !isExcluded(.subscription(id))
    }
}
