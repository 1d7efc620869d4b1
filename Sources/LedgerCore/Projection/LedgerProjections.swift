/// Everything the ledger projects from its log: the billing rows and the MRR ledger they feed,
/// advanced together one event at a time.
///
/// After each event the MRR ledger sees the billing projection's own row of every subscription the
/// event changed, so stale, duplicate and parked events are judged once, by the billing reducer.
/// The billing rows are a function of the set of events; the MRR movements also of their log order
/// (docs/0006-mrr.md), which a replay of the same log repeats exactly.
public struct LedgerProjections: Sendable {
    public var billing: ProjectionState
    public var mrr: MRRLedger

    /// Empty projections.
    public init(configuration: ProjectionConfiguration = ProjectionConfiguration()) {
        billing = ProjectionState(configuration: configuration)
        mrr = MRRLedger()
    }

    /// Projections restored from their parts (a snapshot's reducer records and movements).
    public init(billing: ProjectionState, mrr: MRRLedger) {
        self.billing = billing
        self.mrr = mrr
    }

    public var configuration: ProjectionConfiguration { billing.configuration }

    /// Applies one logged event to the billing projection, then feeds the rows it changed to the MRR ledger.
    public mutating func apply(_ event: RecordedEvent) -> ApplyOutcome {
        let outcome = billing.apply(event)
        observeChangedSubscriptions(at: event.position, on: UTCDay(event.recordedAt))
        return outcome
    }

    /// Gives the billing projection a new view of `licenses` (``ProjectionState/refreshLicenses(_:)``); the
    /// rows it changes reach the MRR ledger at `position`, the checkpoint they are written at, on the day of `time`.
    @discardableResult
    public mutating func refreshLicenses(_ directory: (any LicenseDirectory)?, position: Int64, time: EventTime)
        -> Bool
    {
        let changed = billing.refreshLicenses(directory)
        observeChangedSubscriptions(at: position, on: UTCDay(time))
        return changed
    }

    /// Feeds the MRR ledger the rows that changed; a subscription left without a row stops contributing on `day`.
    private mutating func observeChangedSubscriptions(at position: Int64, on day: UTCDay) {
        for id in billing.subscriptionsChangedByLastEvent {
            guard let row = billing.subscriptionRow(stripeID: id) else {
                mrr.observeNoRow(subscriptionID: id, position: position, day: day)
                continue
            }
            mrr.observe(row, discounts: billing.subscriptionDiscounts(stripeID: id), position: position)
        }
    }
}
