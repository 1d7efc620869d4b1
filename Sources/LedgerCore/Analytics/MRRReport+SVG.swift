extension MRRReport {
    /// The chart's fixed geometry, in SVG user units: two panels over the same periods, MRR above and
    /// its movements below, each with an axis of its own that starts at (MRR) or crosses (movements) zero.
    enum ChartLayout {
        static let width = 960.0
        static let height = 640.0
        static let left = 90.0
        static let right = 40.0
        static let mrrTop = 96.0
        static let mrrHeight = 180.0
        static let movementsTop = 330.0
        static let movementsHeight = 220.0
        static var plotWidth: Double { width - left - right }
        /// Horizontal room a value label needs (`-12.5k`), to thin labels that would overlap.
        static let valueLabelWidth = 44.0
    }

    /// A movement kind's colour and legend name, in stacking order (gains up from 0, losses down).
    static let chartSeries: [(kind: MRRMovementKind, color: String)] = [
        (.new, "#2e7d32"), (.expansion, "#81c784"), (.reactivation, "#0288d1"), (.contraction, "#ffa726"),
        (.churn, "#d32f2f"),
    ]

    /// A standalone SVG document: ``svgElement()`` after an XML declaration (`ledger report mrr --format svg`).
    public func svg() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svgElement()
    }

    /// The chart as one `<svg>` element, the same for the CLI's file and the console's page.
    ///
    /// Two panels share the periods across: above, MRR at each period's end as a line on an axis from
    /// zero; below, per period a stacked bar of its movements (new, expansion and reactivation up from
    /// zero, contraction and churn down) on an axis whose zero is the drawn zero line. Each axis holds
    /// only its own series, so no value is read against another series' zero (the old single chart put
    /// MRR on a right axis whose zero sat at the bottom while the bars' zero sat mid-height, so early
    /// MRR read as negative). Value labels: MRR above its points, net new MRR beside each bar.
    ///
    /// Each period with movements is one `<g class="period-bars" data-period="LABEL">` whose rects carry
    /// `data-cents`; each MRR point is a `<circle data-period data-mrr-end-cents>`. Every text is escaped.
    public func svgElement() -> String {
        typealias L = ChartLayout
        let gained = periods.map(\.gainedCents).max() ?? 0
        let lost = periods.map(\.lostCents).max() ?? 0
        let movementAxis = ChartAxis(low: -Double(max(lost, 0)), high: Double(max(gained, 0)))
        let mrrAxis = ChartAxis(
            low: 0, high: Double(periods.flatMap { [$0.mrrStartCents, $0.mrrEndCents] }.max() ?? 0))
        let band = L.plotWidth / Double(max(periods.count, 1))
        let title = "MRR movements in \(currency), \(from) to \(to), by \(grouping.rawValue)"
        let mrrPanel = ChartPanel(top: L.mrrTop, height: L.mrrHeight, axis: mrrAxis)
        let movementsPanel = ChartPanel(top: L.movementsTop, height: L.movementsHeight, axis: movementAxis)
        // Value labels on every `every`th period so that they never overlap.
        let every = max(1, Int((Double(periods.count) * L.valueLabelWidth / L.plotWidth).rounded(.up)))
        func center(_ index: Int) -> Double { L.left + band * (Double(index) + 0.5) }

        var svg = SVGText()
        svg.line(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"mrr-chart\" width=\"\(n(L.width))\" "
                + "height=\"\(n(L.height))\" viewBox=\"0 0 \(n(L.width)) \(n(L.height))\" role=\"img\" "
                + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">")
        svg.line("<title>\(escape(title))</title>")
        svg.line(
            "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(n(L.width))\" height=\"\(n(L.height))\" fill=\"#ffffff\"/>"
        )
        svg.line(
            "<text class=\"title\" x=\"\(n(L.left))\" y=\"28\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>"
        )
        legend(into: &svg)
        axis(mrrPanel, name: "axis-mrr", caption: "MRR at period end (\(currency))", into: &svg)
        axis(movementsPanel, name: "axis-movements", caption: "movements (\(currency))", into: &svg)
        periodLabels(band: band, below: movementsPanel, into: &svg)

        // Movements: one bar group per period that moved, its net new MRR labelled beside it.
        for (index, period) in periods.enumerated() where period.hasMovements {
            bars(period, x: center(index) - band * 0.35, width: max(band * 0.7, 1), panel: movementsPanel, into: &svg)
        }
        svg.line("<g class=\"value-labels net-new\" fill=\"#212121\" text-anchor=\"middle\" font-size=\"11\">")
        for (index, period) in periods.enumerated() where period.hasMovements && index % every == 0 {
            let top = movementsPanel.y(Double(period.gainedCents))
            let bottom = movementsPanel.y(-Double(period.lostCents))
            let y = period.netNewCents >= 0 ? top - 4 : bottom + 12
            svg.line(
                "<text x=\"\(n(center(index)))\" y=\"\(n(y))\" data-period=\"\(escape(period.label))\" "
                    + "data-cents=\"\(period.netNewCents)\">\(escape(signed(axisLabel(Double(period.netNewCents)), period.netNewCents)))</text>"
            )
        }
        svg.line("</g>")
        let zero = movementsPanel.y(0)
        svg.line(
            "<line class=\"zero\" x1=\"\(n(L.left))\" y1=\"\(n(zero))\" x2=\"\(n(L.width - L.right))\" "
                + "y2=\"\(n(zero))\" stroke=\"#212121\"/>")

        // MRR: the line through each period's end, a point per period, labels above the points.
        let points = periods.enumerated().map { index, period in
            (center(index), mrrPanel.y(Double(period.mrrEndCents)), period)
        }
        svg.line("<g class=\"mrr-line\">")
        if !points.isEmpty {
            svg.line(
                "<polyline points=\"\(points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " "))\" "
                    + "fill=\"none\" stroke=\"#37474f\" stroke-width=\"2\"/>")
        }
        for (px, py, period) in points {
            let text = "\(period.label) MRR: \(currency) \(Self.formatAmount(period.mrrEndCents, currency: currency))"
            svg.line(
                "<circle cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"3\" fill=\"#37474f\" "
                    + "data-period=\"\(escape(period.label))\" data-mrr-end-cents=\"\(period.mrrEndCents)\">"
                    + "<title>\(escape(text))</title></circle>")
        }
        svg.line("</g>")
        svg.line("<g class=\"value-labels mrr\" fill=\"#37474f\" text-anchor=\"middle\" font-size=\"11\">")
        for (index, point) in points.enumerated() where index % every == 0 {
            svg.line(
                "<text x=\"\(n(point.0))\" y=\"\(n(point.1 - 7))\" data-period=\"\(escape(point.2.label))\" "
                    + "data-cents=\"\(point.2.mrrEndCents)\">\(escape(axisLabel(Double(point.2.mrrEndCents))))</text>")
        }
        svg.line("</g>")
        svg.line("</svg>")
        return svg.text
    }

    /// One period's stacked movement bars.
    private func bars(_ period: MRRReportPeriod, x: Double, width: Double, panel: ChartPanel, into svg: inout SVGText) {
        svg.line("<g class=\"period-bars\" data-period=\"\(escape(period.label))\">")
        var up = 0.0
        var down = 0.0
        for (kind, color) in Self.chartSeries {
            let cents = Double(amount(of: kind, in: period))
            guard cents != 0 else { continue }
            let from = kind.isGain ? up : down
            let to = from + cents
            if kind.isGain { up = to } else { down = to }
            let yTop = panel.y(max(from, to))
            let height = panel.y(min(from, to)) - yTop
            let text =
                "\(period.label) \(kind.rawValue): \(currency) \(Self.formatAmount(Int64(cents), currency: currency))"
            svg.line(
                "<rect class=\"\(kind.rawValue)\" x=\"\(n(x))\" y=\"\(n(yTop))\" width=\"\(n(width))\" "
                    + "height=\"\(n(height))\" fill=\"\(color)\" data-cents=\"\(Int64(cents))\">"
                    + "<title>\(escape(text))</title></rect>")
        }
        svg.line("</g>")
    }

    /// A panel's grid, tick labels on the left, caption and frame.
    private func axis(_ panel: ChartPanel, name: String, caption: String, into svg: inout SVGText) {
        typealias L = ChartLayout
        svg.line("<g class=\"axis \(name)\" fill=\"#444444\" text-anchor=\"end\">")
        for tick in panel.axis.ticks {
            let y = panel.y(tick)
            svg.line(
                "<line x1=\"\(n(L.left))\" y1=\"\(n(y))\" x2=\"\(n(L.width - L.right))\" y2=\"\(n(y))\" stroke=\"#e0e0e0\"/>"
            )
            svg.line("<text x=\"\(n(L.left - 8))\" y=\"\(n(y + 4))\">\(escape(axisLabel(tick)))</text>")
        }
        svg.line(
            "<text transform=\"translate(18 \(n(panel.top + panel.height / 2))) rotate(-90)\" text-anchor=\"middle\">"
                + "\(escape(caption))</text>")
        svg.line(
            "<rect class=\"frame\" x=\"\(n(L.left))\" y=\"\(n(panel.top))\" width=\"\(n(L.plotWidth))\" "
                + "height=\"\(n(panel.height))\" fill=\"none\" stroke=\"#9e9e9e\"/>")
        svg.line("</g>")
    }

    /// Period labels under the lower panel, slanted, thinned so they never overlap (~22 units each).
    private func periodLabels(band: Double, below panel: ChartPanel, into svg: inout SVGText) {
        let every = max(1, Int((Double(periods.count) * 22 / ChartLayout.plotWidth).rounded(.up)))
        svg.line("<g class=\"axis axis-periods\" fill=\"#444444\" text-anchor=\"end\">")
        for (index, period) in periods.enumerated() where index % every == 0 {
            let center = ChartLayout.left + band * (Double(index) + 0.5)
            let base = panel.top + panel.height + 14
            svg.line(
                "<text transform=\"translate(\(n(center + 4)) \(n(base))) rotate(-40)\">\(escape(period.label))</text>")
        }
        svg.line("</g>")
    }

    /// `+1.2k` for a gain: a net label says which way it went.
    private func signed(_ label: String, _ cents: Int64) -> String { cents > 0 ? "+" + label : label }

    private func legend(into svg: inout SVGText) {
        svg.line("<g class=\"legend\" font-size=\"12\">")
        var x = ChartLayout.left
        let y = 52.0
        for (kind, color) in Self.chartSeries {
            svg.line("<rect x=\"\(n(x))\" y=\"\(n(y - 10))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>")
            svg.line("<text x=\"\(n(x + 17))\" y=\"\(n(y))\">\(escape(kind.rawValue))</text>")
            x += 30 + Double(kind.rawValue.count) * 7
        }
        svg.line(
            "<line x1=\"\(n(x))\" y1=\"\(n(y - 4))\" x2=\"\(n(x + 22))\" y2=\"\(n(y - 4))\" stroke=\"#37474f\" stroke-width=\"2\"/>"
        )
        svg.line("<text x=\"\(n(x + 28))\" y=\"\(n(y))\">MRR at period end (upper panel)</text>")
        svg.line("</g>")
    }

    private func amount(of kind: MRRMovementKind, in period: MRRReportPeriod) -> Int64 {
        switch kind {
        case .new: period.newCents
        case .expansion: period.expansionCents
        case .reactivation: period.reactivationCents
        case .contraction: period.contractionCents
        case .churn: period.churnCents
        }
    }

    /// An axis value in the currency's major unit, short: `12.5k`, `-3M`, `250`.
    private func axisLabel(_ cents: Double) -> String {
        let major = Self.zeroDecimalCurrencies.contains(currency) ? cents : cents / 100
        let magnitude = abs(major)
        let (value, suffix) =
            magnitude >= 1_000_000 ? (major / 1_000_000, "M") : magnitude >= 1000 ? (major / 1000, "k") : (major, "")
        let tenths = Int64((value * 10).rounded())
        let text = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(abs(tenths % 10))"
        return (tenths < 0 && tenths > -10 ? "-" : "") + text + suffix
    }

    /// A coordinate with at most one decimal.
    private func n(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    /// `text` safe inside an XML element or a double-quoted attribute.
    func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// One panel of the chart: where it is and the axis its values are drawn on.
struct ChartPanel {
    let top: Double
    let height: Double
    let axis: ChartAxis

    /// The y coordinate of `value` (cents).
    func y(_ value: Double) -> Double { top + height * axis.fraction(fromTop: value) }
}

/// SVG text built line by line.
struct SVGText {
    var text = ""

    mutating func line(_ line: String) {
        text += line
        text += "\n"
    }
}

/// A linear axis from `low` to `high` (cents) with round tick values, zero included.
struct ChartAxis {
    let minimum: Double
    let maximum: Double
    let step: Double

    init(low: Double, high: Double) {
        let span = max(high - low, 1)
        let rough = span / 5
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        self.step = step
        minimum = low < 0 ? -(abs(low) / step).rounded(.up) * step : 0
        maximum = high > 0 ? (high / step).rounded(.up) * step : (minimum == 0 ? step : 0)
    }

    /// Where `value` sits, as a fraction of the axis's height from its top.
    func fraction(fromTop value: Double) -> Double { (maximum - value) / (maximum - minimum) }

    /// The tick values from minimum to maximum.
    var ticks: [Double] {
        let count = Int(((maximum - minimum) / step).rounded())
        return (0...count).map { minimum + Double($0) * step }
    }
}
