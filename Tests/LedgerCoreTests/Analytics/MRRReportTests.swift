import Foundation
import LedgerCore
import LedgerTestRandom
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `ledger report mrr`'s pure parts: periods, sums from daily rows, and the renderings.
@Suite struct MRRReportTests {
    static func day(_ text: String) -> UTCDay {
        guard let day = UTCDay(parsing: text) else { preconditionFailure("bad test date \(text)") }
        return day
    }

    @Test func monthsAreCalendarMonthsClippedToTheRange() {
        let periods = MRRReport.periods(from: Self.day("2025-01-15"), to: Self.day("2025-03-10"), by: .month)
        #expect(periods.map(\.label) == ["2025-01", "2025-02", "2025-03"])
        #expect(periods.map(\.start.description) == ["2025-01-15", "2025-02-01", "2025-03-01"])
        #expect(periods.map(\.end.description) == ["2025-01-31", "2025-02-28", "2025-03-10"])
    }

    @Test func weeksAreISOWeeksFromMondayToSunday() {
        let periods = MRRReport.periods(from: Self.day("2020-12-30"), to: Self.day("2021-01-12"), by: .week)
        #expect(periods.map(\.label) == ["2020-W53", "2021-W01", "2021-W02"])
        #expect(periods.map(\.start.description) == ["2020-12-30", "2021-01-04", "2021-01-11"])
        #expect(periods.map(\.end.description) == ["2021-01-03", "2021-01-10", "2021-01-12"])
        #expect(
            MRRReport.periods(from: Self.day("2024-12-30"), to: Self.day("2024-12-30"), by: .week)[0].label
                == "2025-W01")
    }

    @Test func thePeriodCountIsKnownBeforeThePeriodsAreBuilt() {
        var generator = SeededGenerator(seed: 9)
        for _ in 0..<200 {
            let from = UTCDay(daysSinceEpoch: Int64.random(in: 18_000...21_000, using: &generator))
            let to = from.adding(days: Int64.random(in: 0...900, using: &generator))
            for grouping in MRRReportGrouping.allCases {
                #expect(
                    MRRReport.periodCount(from: from, to: to, by: grouping)
                        == Int64(MRRReport.periods(from: from, to: to, by: grouping).count), "\(from) \(to)")
            }
        }
    }

    /// Daily rows of one currency: (day, net movements by kind, customer counts).
    static func rows() -> [MRRDailyRow] {
        var mrr: Int64 = 10_000
        var active: Int64 = 3
        var rows: [MRRDailyRow] = []
        for (text, new, expansion, contraction, churn) in [
            ("2025-01-03", 5_000, 0, 0, 0), ("2025-01-20", 0, 1_200, -300, 0), ("2025-02-11", 0, 0, 0, -4_000),
            ("2025-04-02", 900, 0, -100, -900),
        ] as [(String, Int64, Int64, Int64, Int64)] {
            var row = MRRDailyRow(day: day(text), currency: "USD")
            row.newCents = new
            row.expansionCents = expansion
            row.contractionCents = contraction
            row.churnCents = churn
            row.newCustomers = new > 0 ? 1 : 0
            row.churnedCustomers = churn < 0 ? 1 : 0
            mrr += row.netCents
            active += row.newCustomers - row.churnedCustomers
            row.mrrCents = mrr
            row.activeCustomers = active
            rows.append(row)
        }
        return rows
    }

    static func report(by grouping: MRRReportGrouping = .month) -> MRRReport {
        var opening = MRRDailyRow(day: day("2024-12-20"), currency: "USD", mrrCents: 10_000, activeCustomers: 3)
        opening.newCents = 10_000
        return MRRReport(
            currency: "USD", from: day("2025-01-01"), to: day("2025-04-30"), grouping: grouping, opening: opening,
            rows: rows().shuffled(), checkpoint: 42)
    }

    @Test func periodsStartWhereTheLastEndedAndMoveByTheirMovements() throws {
        let report = Self.report()
        #expect(report.periods.map(\.label) == ["2025-01", "2025-02", "2025-03", "2025-04"])
        #expect(report.periods.map(\.mrrStartCents) == [10_000, 15_900, 11_900, 11_900])
        #expect(report.periods.map(\.mrrEndCents) == [15_900, 11_900, 11_900, 11_800])
        #expect(report.periods.map(\.activeCustomers) == [4, 3, 3, 3])
        for period in report.periods { #expect(period.mrrStartCents + period.netNewCents == period.mrrEndCents) }
        #expect(report.periods[0].quickRatio == 6_200.0 / 300)
        #expect(report.periods[1].quickRatio == 0)
        #expect(report.periods[2].quickRatio == nil)
        let total = try #require(report.summary)
        #expect(total.mrrStartCents == 10_000 && total.mrrEndCents == 11_800 && total.netNewCents == 1_800)
        #expect(total.newCustomers == 2 && total.churnedCustomers == 2)
        #expect(total.quickRatio == 7_100.0 / 5_300)
        let weekly = Self.report(by: .week)
        #expect(weekly.periods.count == 18)
        #expect(weekly.periods.last?.mrrEndCents == 11_800)
        #expect(weekly.periods.filter(\.hasMovements).count == 4)
    }

    @Test func amountsAndRatiosPrintForPeople() {
        #expect(MRRReport.formatAmount(123_456_789, currency: "USD") == "1,234,567.89")
        #expect(MRRReport.formatAmount(-5, currency: "EUR") == "-0.05")
        #expect(MRRReport.formatAmount(0, currency: "USD") == "0.00")
        #expect(MRRReport.formatAmount(1_500, currency: "JPY") == "1,500")
        #expect(MRRReport.formatQuickRatio(nil) == "—")
        #expect(MRRReport.formatQuickRatio(20.666) == "20.67")
        #expect(MRRReport.formatQuickRatio(0.05) == "0.05")
    }

    @Test func tableAndCSVHaveOneLinePerPeriod() {
        let report = Self.report()
        let table = report.table().split(separator: "\n")
        #expect(table.count == 2 + 4 + 2)
        #expect(table[0].hasPrefix("MRR in USD, 2025-01-01 to 2025-04-30, by month (log position 42)"))
        #expect(table[4].contains("—"))
        #expect(table.last?.hasPrefix("total") == true)
        let csv = report.csv().components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(csv.count == 5)
        #expect(csv[0].hasPrefix("currency,start,end,period,mrr_start,new,"))
        #expect(
            csv[1] == "USD,2025-01-01,2025-01-31,2025-01,10000,5000,1200,0,-300,0,5900,15900,4,1,0,0,20.666666666666668"
        )
        #expect(csv[3].hasSuffix(",11900,3,0,0,0,"))
    }

    @Test func theChartIsWellFormedXMLWithABarGroupPerPeriodThatMoved() throws {
        for grouping in MRRReportGrouping.allCases {
            let report = Self.report(by: grouping)
            let chart = try ParsedSVG(report.svg())
            #expect(chart.barGroups == report.periods.filter(\.hasMovements).map(\.label))
            #expect(chart.elements["polyline"] == 1)
            #expect(chart.elements["circle"] == report.periods.count)
            #expect(chart.title == "MRR movements in USD, 2025-01-01 to 2025-04-30, by \(grouping.rawValue)")
        }
        // Text is escaped: a hostile currency string still makes well-formed XML.
        var hostile = Self.report()
        hostile.currency = "<&\"'>"
        let parsed = try ParsedSVG(hostile.svg())
        #expect(parsed.title == "MRR movements in <&\"'>, 2025-01-01 to 2025-04-30, by month")
        // No movements at all: no bars, still a chart.
        let empty = MRRReport(
            currency: "EUR", from: Self.day("2025-01-01"), to: Self.day("2025-02-01"), grouping: .month, opening: nil,
            rows: [])
        #expect(try ParsedSVG(empty.svg()).barGroups.isEmpty)
    }
}

/// What an SVG document holds, read with Foundation's XML parser (which refuses malformed XML).
final class ParsedSVG: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var barGroups: [String] = []
    var title = ""
    private var path: [String] = []

    struct Malformed: Error { var description: String }

    init(_ text: String) throws {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw Malformed(description: parser.parserError.map { "\($0)" } ?? "unknown error")
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements[name, default: 0] += 1
        if name == "g", attributes["class"] == "period-bars" { barGroups.append(attributes["data-period"] ?? "") }
        path.append(name)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        path.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if path == ["svg", "title"] { title += string }
    }
}
