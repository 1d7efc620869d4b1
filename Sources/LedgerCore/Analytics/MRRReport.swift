/// How `ledger report mrr` cuts its range into periods.
public enum MRRReportGrouping: String, Sendable, Codable, CaseIterable {
    /// Calendar months (UTC).
    case month
    /// ISO weeks, Monday to Sunday (UTC).
    case week
}

/// One period of an MRR report: its MRR at start and end, its movements by kind and its customers.
///
/// Invariant: `mrrStartCents + netNewCents == mrrEndCents`, and the end of one period is the start
/// of the next (both read from the running sums of `mrr_daily`).
public struct MRRReportPeriod: Sendable, Codable, Equatable {
    /// `2025-03` for a month, `2025-W10` for an ISO week.
    public var label: String
    /// The first and last day of the period (inclusive), clipped to the report's range.
    public var start: UTCDay
    public var end: UTCDay
    /// MRR at the end of the day before ``start``, and at the end of ``end``.
    public var mrrStartCents: Int64
    public var mrrEndCents: Int64
    public var newCents: Int64
    public var expansionCents: Int64
    public var reactivationCents: Int64
    /// Signed like the tables: ≤ 0.
    public var contractionCents: Int64
    public var churnCents: Int64
    /// The sum of every movement of the period.
    public var netNewCents: Int64
    /// Customers with MRR > 0 at the end of ``end``.
    public var activeCustomers: Int64
    public var newCustomers: Int64
    public var reactivatedCustomers: Int64
    public var churnedCustomers: Int64
    /// (new + expansion + reactivation) / |contraction + churn|; nil when nothing was lost (undefined or ∞).
    public var quickRatio: Double?

    enum CodingKeys: String, CodingKey {
        case label, start, end, mrrStartCents, mrrEndCents, newCents, expansionCents, reactivationCents
        case contractionCents, churnCents, netNewCents, activeCustomers, newCustomers, reactivatedCustomers
        case churnedCustomers, quickRatio
    }

    /// Every key, `quickRatio` as `null` when nothing was lost (not left out).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(label, forKey: .label)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(mrrStartCents, forKey: .mrrStartCents)
        try container.encode(mrrEndCents, forKey: .mrrEndCents)
        try container.encode(newCents, forKey: .newCents)
        try container.encode(expansionCents, forKey: .expansionCents)
        try container.encode(reactivationCents, forKey: .reactivationCents)
        try container.encode(contractionCents, forKey: .contractionCents)
        try container.encode(churnCents, forKey: .churnCents)
        try container.encode(netNewCents, forKey: .netNewCents)
        try container.encode(activeCustomers, forKey: .activeCustomers)
        try container.encode(newCustomers, forKey: .newCustomers)
        try container.encode(reactivatedCustomers, forKey: .reactivatedCustomers)
        try container.encode(churnedCustomers, forKey: .churnedCustomers)
        try container.encode(quickRatio, forKey: .quickRatio)
    }

    /// Whether the period had any movement of MRR (its bars in a chart).
    public var hasMovements: Bool {
        newCents != 0 || expansionCents != 0 || reactivationCents != 0 || contractionCents != 0 || churnCents != 0
    }

    /// MRR gained: new + expansion + reactivation.
    public var gainedCents: Int64 { newCents + expansionCents + reactivationCents }
    /// MRR lost, as a magnitude: |contraction + churn|.
    public var lostCents: Int64 { -(contractionCents + churnCents) }

    /// The quick ratio of `gained` over `lost` (both magnitudes); nil when nothing was lost.
    public static func quickRatio(gained: Int64, lost: Int64) -> Double? {
        lost > 0 ? Double(gained) / Double(lost) : nil
    }
}

/// `ledger report mrr`: one currency's MRR per period of a date range, from the daily MRR rows.
public struct MRRReport: Sendable, Codable, Equatable {
    public var currency: String
    public var from: UTCDay
    public var to: UTCDay
    public var grouping: MRRReportGrouping
    public var periods: [MRRReportPeriod]
    /// The log position the analytics tables reflect (the projection's checkpoint), when known.
    public var checkpoint: Int64?

    /// The periods of `from...to` (inclusive): calendar months or ISO weeks, the first and last clipped
    /// to the range; each as its label, first and last day.
    public static func periods(from: UTCDay, to: UTCDay, by grouping: MRRReportGrouping)
        -> [(label: String, start: UTCDay, end: UTCDay)]
    {
        var periods: [(String, UTCDay, UTCDay)] = []
        var start = from
        while start <= to {
            let next: UTCDay
            let label: String
            switch grouping {
            case .month:
                next = start.firstOfNextMonth
                label = String(start.description.prefix(7))
            case .week:
                let monday = start.monday
                next = monday.adding(days: 7)
                label = isoWeekLabel(monday)
            }
            periods.append((label, start, min(next.adding(days: -1), to)))
            start = next
        }
        return periods
    }

    /// How many periods `from...to` has, without building them (to refuse a range beyond the limit first).
    public static func periodCount(from: UTCDay, to: UTCDay, by grouping: MRRReportGrouping) -> Int64 {
        guard from <= to else { return 0 }
        switch grouping {
        case .month:
            let (fromYear, fromMonth, _) = from.civil
            let (toYear, toMonth, _) = to.civil
            return (toYear - fromYear) * 12 + (toMonth - fromMonth) + 1
        case .week:
            return (to.monday.daysSinceEpoch - from.monday.daysSinceEpoch) / 7 + 1
        }
    }

    /// `YYYY-Www` of the ISO week starting on `monday` (its year is that of its Thursday).
    static func isoWeekLabel(_ monday: UTCDay) -> String {
        let thursday = monday.adding(days: 3)
        let year = thursday.civil.year
        let week = (thursday.daysSinceEpoch - UTCDay(year: year, month: 1, day: 1).daysSinceEpoch) / 7 + 1
        return "\(year)-W\(week < 10 ? "0" : "")\(week)"
    }

    /// Builds the report from one currency's daily rows: `opening` is the newest row before `from` (nil: MRR
    /// was 0), `rows` those from `from` through `to`, in any order.
    public init(
        currency: String, from: UTCDay, to: UTCDay, grouping: MRRReportGrouping, opening: MRRDailyRow?,
        rows: [MRRDailyRow], checkpoint: Int64? = nil
    ) {
        self.currency = currency
        self.from = from
        self.to = to
        self.grouping = grouping
        self.checkpoint = checkpoint
        let sorted = rows.filter { $0.currency == currency && $0.day >= from && $0.day <= to }.sorted {
            $0.day < $1.day
        }
        var mrr = opening?.mrrCents ?? 0
        var active = opening?.activeCustomers ?? 0
        var next = sorted.startIndex
        periods = Self.periods(from: from, to: to, by: grouping).map { label, start, end in
            var period = MRRReportPeriod(
                label: label, start: start, end: end, mrrStartCents: mrr, mrrEndCents: mrr, newCents: 0,
                expansionCents: 0, reactivationCents: 0, contractionCents: 0, churnCents: 0, netNewCents: 0,
                activeCustomers: active, newCustomers: 0, reactivatedCustomers: 0, churnedCustomers: 0)
            while next < sorted.endIndex, sorted[next].day <= end {
                let row = sorted[next]
                period.newCents += row.newCents
                period.expansionCents += row.expansionCents
                period.reactivationCents += row.reactivationCents
                period.contractionCents += row.contractionCents
                period.churnCents += row.churnCents
                period.newCustomers += row.newCustomers
                period.reactivatedCustomers += row.reactivatedCustomers
                period.churnedCustomers += row.churnedCustomers
                mrr = row.mrrCents
                active = row.activeCustomers
                next += 1
            }
            period.mrrEndCents = mrr
            period.activeCustomers = active
            period.netNewCents =
                period.newCents + period.expansionCents + period.reactivationCents + period.contractionCents
                + period.churnCents
            period.quickRatio = MRRReportPeriod.quickRatio(gained: period.gainedCents, lost: period.lostCents)
            return period
        }
    }
}
