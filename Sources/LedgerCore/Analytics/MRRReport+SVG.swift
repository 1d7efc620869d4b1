extension MRRReport {
    /// The chart's fixed geometry, in SVG user units.
    enum ChartLayout {
        static let width = 960.0
        static let height = 540.0
        static let left = 90.0
        static let right = 90.0
        static let top = 84.0
        static let bottom = 84.0
        static var plotWidth: Double { width - left - right }
        static var plotHeight: Double { height - top - bottom }
    }

    /// A movement kind's colour and legend name, in stacking order (gains up from 0, losses down).
    static let chartSeries: [(kind: MRRMovementKind, color: String)] = [
        (.new, "#2e7d32"), (.expansion, "#81c784"), (.reactivation, "#0288d1"), (.contraction, "#ffa726"),
        (.churn, "#d32f2f"),
    ]

    /// A standalone SVG chart: per period a stacked bar of its movements (new, expansion and reactivation
    /// up from zero, contraction and churn down) against the left axis, and the MRR at each period's end as
    /// a line against the right axis, with a title, axes, labels and a legend.
    ///
    /// Each period with movements is one `<g class="period-bars" data-period="LABEL">`; periods without
    /// movements have no bar group. Every text is XML-escaped.
    public func svg() -> String {
        typealias L = ChartLayout
        let gained = periods.map(\.gainedCents).max() ?? 0
        let lost = periods.map(\.lostCents).max() ?? 0
        let movementAxis = ChartAxis(low: -Double(max(lost, 0)), high: Double(max(gained, 0)))
        let mrrAxis = ChartAxis(
            low: 0, high: Double(periods.flatMap { [$0.mrrStartCents, $0.mrrEndCents] }.max() ?? 0))
        let band = L.plotWidth / Double(max(periods.count, 1))
        func x(_ index: Int) -> Double { L.left + band * Double(index) }
        func yMovement(_ cents: Double) -> Double { L.top + L.plotHeight * movementAxis.fraction(fromTop: cents) }
        func yMRR(_ cents: Double) -> Double { L.top + L.plotHeight * mrrAxis.fraction(fromTop: cents) }
        let title = "MRR movements in \(currency), \(from) to \(to), by \(grouping.rawValue)"

        var svg = SVGText()
        svg.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.line(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(L.width))\" height=\"\(n(L.height))\" "
                + "viewBox=\"0 0 \(n(L.width)) \(n(L.height))\" font-family=\"Helvetica, Arial, sans-serif\" "
                + "font-size=\"12\">")
        svg.line("<title>\(escape(title))</title>")
        svg.line(
            "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(n(L.width))\" height=\"\(n(L.height))\" fill=\"#ffffff\"/>"
        )
        svg.line(
            "<text class=\"title\" x=\"\(n(L.left))\" y=\"28\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>"
        )
        legend(into: &svg)

        // Grid and left axis (movements), right axis (MRR).
        svg.line("<g class=\"axis axis-movements\" fill=\"#444444\" text-anchor=\"end\">")
        for tick in movementAxis.ticks {
            let y = yMovement(tick)
            svg.line(
                "<line x1=\"\(n(L.left))\" y1=\"\(n(y))\" x2=\"\(n(L.width - L.right))\" y2=\"\(n(y))\" stroke=\"#e0e0e0\"/>"
            )
            svg.line("<text x=\"\(n(L.left - 8))\" y=\"\(n(y + 4))\">\(escape(axisLabel(tick)))</text>")
        }
        let middle = L.top + L.plotHeight / 2
        svg.line(
            "<text transform=\"translate(18 \(n(middle))) rotate(-90)\" text-anchor=\"middle\">"
                + "\(escape("movements (\(currency))"))</text>")
        svg.line("</g>")
        svg.line("<g class=\"axis axis-mrr\" fill=\"#37474f\" text-anchor=\"start\">")
        for tick in mrrAxis.ticks {
            svg.line(
                "<text x=\"\(n(L.width - L.right + 8))\" y=\"\(n(yMRR(tick) + 4))\">\(escape(axisLabel(tick)))</text>")
        }
        svg.line(
            "<text transform=\"translate(\(n(L.width - 16)) \(n(middle))) rotate(90)\" text-anchor=\"middle\">"
                + "\(escape("MRR at period end (\(currency))"))</text>")
        svg.line("</g>")

        // Period labels, slanted, thinned so they never overlap (a slanted label needs ~22 units across).
        let every = max(1, Int((Double(periods.count) * 22 / L.plotWidth).rounded(.up)))
        svg.line("<g class=\"axis axis-periods\" fill=\"#444444\" text-anchor=\"end\">")
        for (index, period) in periods.enumerated() where index % every == 0 {
            let center = x(index) + band / 2
            let base = L.top + L.plotHeight + 14
            svg.line(
                "<text transform=\"translate(\(n(center + 4)) \(n(base))) rotate(-40)\">\(escape(period.label))</text>")
        }
        svg.line("</g>")

        // Bars: one group per period that moved.
        for (index, period) in periods.enumerated() where period.hasMovements {
            let barX = x(index) + band * 0.15
            let barWidth = max(band * 0.7, 1)
            svg.line("<g class=\"period-bars\" data-period=\"\(escape(period.label))\">")
            var up = 0.0
            var down = 0.0
            for (kind, color) in Self.chartSeries {
                let cents = Double(amount(of: kind, in: period))
                guard cents != 0 else { continue }
                let from = kind.isGain ? up : down
                let to = from + cents
                if kind.isGain { up = to } else { down = to }
                let yTop = yMovement(max(from, to))
                let height = yMovement(min(from, to)) - yTop
                let text =
                    "\(period.label) \(kind.rawValue): \(currency) \(Self.formatAmount(Int64(cents), currency: currency))"
                svg.line(
                    "<rect class=\"\(kind.rawValue)\" x=\"\(n(barX))\" y=\"\(n(yTop))\" width=\"\(n(barWidth))\" "
                        + "height=\"\(n(height))\" fill=\"\(color)\"><title>\(escape(text))</title></rect>")
            }
            svg.line("</g>")
        }
        let zero = yMovement(0)
        svg.line(
            "<line class=\"zero\" x1=\"\(n(L.left))\" y1=\"\(n(zero))\" x2=\"\(n(L.width - L.right))\" "
                + "y2=\"\(n(zero))\" stroke=\"#212121\"/>")
        svg.line(
            "<rect class=\"frame\" x=\"\(n(L.left))\" y=\"\(n(L.top))\" width=\"\(n(L.plotWidth))\" "
                + "height=\"\(n(L.plotHeight))\" fill=\"none\" stroke=\"#9e9e9e\"/>")

        // The MRR line, through each period's end.
        let points = periods.enumerated().map { index, period in
            (x(index) + band / 2, yMRR(Double(period.mrrEndCents)), period)
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
                "<circle cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"3\" fill=\"#37474f\"><title>\(escape(text))</title></circle>"
            )
        }
        svg.line("</g>")
        svg.line("</svg>")
        return svg.text
    }

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
        svg.line("<text x=\"\(n(x + 28))\" y=\"\(n(y))\">MRR (right axis)</text>")
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
