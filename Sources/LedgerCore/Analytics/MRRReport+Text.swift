extension MRRReport {
    /// Currencies whose minor unit is the major one (Stripe's zero-decimal list): amounts print without decimals.
    static let zeroDecimalCurrencies: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ]

    /// Minor units as a decimal amount of the currency, with thousands separators: `1,234.50`, `-20.00`.
    public static func formatAmount(_ cents: Int64, currency: String) -> String {
        let decimals = zeroDecimalCurrencies.contains(currency) ? 0 : 2
        let magnitude = cents.magnitude
        let scale: UInt64 = decimals == 0 ? 1 : 100
        var whole = String(magnitude / scale)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole.removeLast(3)
        }
        grouped = whole + grouped
        let fraction = magnitude % scale
        let text = decimals == 0 ? grouped : grouped + "." + (fraction < 10 ? "0" : "") + String(fraction)
        return cents < 0 ? "-" + text : text
    }

    /// The quick ratio with two decimals, or `—` when nothing was lost.
    public static func formatQuickRatio(_ ratio: Double?) -> String {
        guard let ratio else { return "—" }
        let hundredths = Int64((ratio * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    /// The columns of the table and the CSV, in order.
    static let columnTitles = [
        "period", "mrr_start", "new", "expansion", "reactivation", "contraction", "churn", "net_new", "mrr_end",
        "customers", "new_customers", "reactivated_customers", "churned_customers", "quick_ratio",
    ]

    /// A fixed-width table for a terminal: amounts in the currency's major unit, a summary line at the end.
    public func table() -> String {
        let titles = [
            "period", "MRR start", "new", "expansion", "reactivation", "contraction", "churn", "net new", "MRR end",
            "customers", "new cust.", "react. cust.", "churned cust.", "quick ratio",
        ]
        var rows = periods.map { period -> [String] in
            [period.label] + amounts(period) + counts(period) + [Self.formatQuickRatio(period.quickRatio)]
        }
        if periods.count > 1, let total = summary {
            rows.append(["total"] + amounts(total) + counts(total) + [Self.formatQuickRatio(total.quickRatio)])
        }
        var widths = titles.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var text = "MRR in \(currency), \(from) to \(to), by \(grouping.rawValue)"
        if let checkpoint { text += " (log position \(checkpoint))" }
        text += "\n" + line(titles) + "\n"
        for (index, row) in rows.enumerated() {
            if index == periods.count {
                text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
            text += line(row) + "\n"
        }
        return text
    }

    /// RFC 4180 CSV with a header; amounts in minor units (integers), an empty quick ratio when undefined.
    public func csv() -> String {
        var text = (["currency", "start", "end"] + Self.columnTitles).joined(separator: ",") + "\r\n"
        for period in periods {
            let values: [String] =
                [currency, period.start.description, period.end.description, period.label]
                + [
                    period.mrrStartCents, period.newCents, period.expansionCents, period.reactivationCents,
                    period.contractionCents, period.churnCents, period.netNewCents, period.mrrEndCents,
                    period.activeCustomers, period.newCustomers, period.reactivatedCustomers, period.churnedCustomers,
                ].map(String.init) + [period.quickRatio.map { String($0) } ?? ""]
            text += values.joined(separator: ",") + "\r\n"
        }
        return text
    }

    /// The whole range as one period (nil for a report without periods).
    public var summary: MRRReportPeriod? {
        guard let first = periods.first, let last = periods.last else { return nil }
        var total = first
        total.label = "total"
        total.end = last.end
        total.mrrEndCents = last.mrrEndCents
        total.activeCustomers = last.activeCustomers
        for period in periods.dropFirst() {
            total.newCents += period.newCents
            total.expansionCents += period.expansionCents
            total.reactivationCents += period.reactivationCents
            total.contractionCents += period.contractionCents
            total.churnCents += period.churnCents
            total.netNewCents += period.netNewCents
            total.newCustomers += period.newCustomers
            total.reactivatedCustomers += period.reactivatedCustomers
            total.churnedCustomers += period.churnedCustomers
        }
        total.quickRatio = MRRReportPeriod.quickRatio(gained: total.gainedCents, lost: total.lostCents)
        return total
    }

    private func amounts(_ period: MRRReportPeriod) -> [String] {
        [
            period.mrrStartCents, period.newCents, period.expansionCents, period.reactivationCents,
            period.contractionCents, period.churnCents, period.netNewCents, period.mrrEndCents,
        ].map { Self.formatAmount($0, currency: currency) }
    }

    private func counts(_ period: MRRReportPeriod) -> [String] {
        [period.activeCustomers, period.newCustomers, period.reactivatedCustomers, period.churnedCustomers].map {
            String($0)
        }
    }
}
