import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import NIOCore

/// `/ui/mrr` and `/ui/mrr.csv`: `ledger report mrr` in the console — the same report
/// (``MRRReportReader``), the same chart (``MRRReport/svgElement()``, drawn on the server, no script),
/// its table, and its CSV (``MRRReport/csv()``).
///
/// The query: `currency` (else the one with the most MRR at `to`, as the CLI picks it), `from` and `to`
/// (`YYYY-MM-DD`; by default the twelve months up to the newest day of `mrr_daily`), `by` (`month`, `week`).
struct ConsoleMRR: Sendable {
    let pool: DatabasePool
    let pages: ConsolePages

    /// `$1`… none: the first and last day of `mrr_daily`, as days since 1970-01-01 (NULL when empty).
    static let selectDays = """
        SELECT (min(day) - DATE '1970-01-01')::bigint, (max(day) - DATE '1970-01-01')::bigint FROM public.mrr_daily
        """
    /// Where the chart goes in mrr.mustache: an HTML comment no escaped value can spell (`<` is escaped).
    static let chartMarker = "<!--mrr-chart-->"

    /// The page.
    func page(_ request: Request, frame: PageFrame, logger: Logger) async throws -> Response {
        var frame = frame
        frame.title = "MRR"
        frame.focusSearch = false
        let query = try MRRQuery(request, logger: logger)
        let found = try await ConsoleData.read(pool) { connection in try Self.read(query, connection: connection) }
        let page = MRRPage(frame: frame, query: query, found: found)
        var html = pages.html("mrr", page)
        if case .report(let report, _) = found, let marker = html.range(of: Self.chartMarker) {
            html.replaceSubrange(marker, with: report.svgElement())
        }
        return Response(
            status: page.problem == nil ? .ok : .unprocessableContent,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The CSV of the page's report.
    func csv(_ request: Request, logger: Logger) async throws -> Response {
        let query = try MRRQuery(request, logger: logger)
        let found = try await ConsoleData.read(pool) { connection in try Self.read(query, connection: connection) }
        switch found {
        case .problem(let message, _): throw APIError(.unprocessableContent, message)
        case .report(let report, _):
            var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8"]
            headers[.contentDisposition] =
                "attachment; filename=\"mrr-\(report.currency)-\(report.from)-\(report.to)-\(report.grouping.rawValue).csv\""
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: report.csv())))
        }
    }

    /// What the page shows: the report, or why there is none; and the currencies to switch between.
    enum Found: Sendable {
        case report(MRRReport, currencies: [String])
        case problem(String, currencies: [String])
    }

    static func read(_ query: MRRQuery, connection: PostgresConnection) throws -> Found {
        let days = try connection.query(selectDays, []).first
        let first: Int64? = try days?.decode(at: 0)
        let last: Int64? = try days?.decode(at: 1)
        let newest = last.map { UTCDay(daysSinceEpoch: $0) } ?? UTCDay(EventTime(Date()))
        let to = query.to ?? newest
        let from =
            query.from
            ?? max(
                UTCDay(year: to.civil.year - 1, month: to.civil.month, day: 1).firstOfNextMonth,
                first.map { UTCDay(daysSinceEpoch: $0) } ?? to)
        let reader = MRRReportReader(connection: connection)
        let currencies = try reader.currencies(through: max(to, newest)).map(\.currency)
        guard from <= to else { return .problem("from \(from) is after to \(to)", currencies: currencies) }
        let periods = MRRReport.periodCount(from: from, to: to, by: query.grouping)
        guard periods <= Limits.reportPeriodsMax else {
            return .problem(
                "\(from) to \(to) by \(query.grouping.rawValue) is \(periods) periods, at most "
                    + "\(Limits.reportPeriodsMax): shorten the range or show months", currencies: currencies)
        }
        let atTo = try reader.currencies(through: to).map(\.currency)
        guard let currency = query.currency ?? atTo.first ?? currencies.first else {
            return .problem(
                "mrr_daily is empty: the projection has not written MRR yet (`ledger project`)", currencies: [])
        }
        let report = try reader.report(
            currency: currency, from: from, to: to, by: query.grouping,
            checkpointOf: ProjectionRebuilder.projectionName)
        return .report(report, currencies: currencies)
    }
}

/// The MRR page's query string, validated as `ledger report mrr` validates its options.
struct MRRQuery: Sendable {
    var currency: String?
    var from: UTCDay?
    var to: UTCDay?
    var grouping: MRRReportGrouping

    init(_ request: Request, logger: Logger) throws {
        let query = try QueryParameters(
            request.uri,
            accepted: [
                "currency": "a three-letter ISO 4217 code", "from": "the first day, YYYY-MM-DD",
                "to": "the last day, YYYY-MM-DD", "by": "month or week",
            ], logger: logger)
        func day(_ name: String) throws -> UTCDay? {
            guard let text = try query.text(name), !text.isEmpty else { return nil }
            guard let day = UTCDay(parsing: text) else {
                throw APIError.badRequest("\(name) '\(text)' is not a date: use YYYY-MM-DD, e.g. 2025-01-31")
            }
            return day
        }
        from = try day("from")
        to = try day("to")
        let by = try query.text("by") ?? ""
        guard let grouping = by.isEmpty ? .month : MRRReportGrouping(rawValue: by) else {
            throw APIError.badRequest("by must be month or week, got '\(by)'")
        }
        self.grouping = grouping
        if let text = try query.text("currency"), !text.isEmpty {
            guard text.utf8.count == 3, text.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw APIError.badRequest("currency must be a three-letter ISO 4217 code such as USD, got '\(text)'")
            }
            currency = text.uppercased()
        }
    }
}

// MARK: - What mrr.mustache renders (stored properties only; flags set in init)

struct MRRPage {
    var frame: PageFrame
    var problem: String?
    var hasReport: Bool
    var currency: String
    var from: String
    var to: String
    var currencies: [MRRChoice]
    var groupings: [MRRChoice]
    var csvHref: String
    var checkpoint: String
    var periods: [MRRRow]
    var total: MRRRow?

    init(frame: PageFrame, query: MRRQuery, found: ConsoleMRR.Found) {
        self.frame = frame
        let codes: [String]
        switch found {
        case .report(let report, let currencies):
            problem = nil
            hasReport = true
            currency = report.currency
            from = report.from.description
            to = report.to.description
            codes = currencies.contains(report.currency) ? currencies : [report.currency] + currencies
            periods = report.periods.map { MRRRow($0, currency: report.currency) }
            total = report.periods.count > 1 ? report.summary.map { MRRRow($0, currency: report.currency) } : nil
            checkpoint = report.checkpoint.map { "position \($0)" } ?? "none (the projection has not run)"
            var components = URLComponents()
            components.path = "/ui/mrr.csv"
            components.queryItems = [
                URLQueryItem(name: "currency", value: report.currency),
                URLQueryItem(name: "from", value: from), URLQueryItem(name: "to", value: to),
                URLQueryItem(name: "by", value: report.grouping.rawValue),
            ]
            csvHref = components.string ?? "/ui/mrr.csv"
        case .problem(let message, let currencies):
            problem = message
            hasReport = false
            currency = query.currency ?? ""
            from = query.from?.description ?? ""
            to = query.to?.description ?? ""
            codes = currencies
            periods = []
            total = nil
            checkpoint = ""
            csvHref = ""
        }
        let selected = currency
        currencies = codes.map { MRRChoice(value: $0, selected: $0 == selected) }
        groupings = MRRReportGrouping.allCases.map { MRRChoice(value: $0.rawValue, selected: $0 == query.grouping) }
    }
}

struct MRRChoice {
    var value: String
    var selected: Bool
}

/// One period of the table: amounts in the currency's unit, and in minor units for machines.
struct MRRRow {
    var label: String
    var start: String
    var end: String
    var mrrStart: String
    var new: String
    var expansion: String
    var reactivation: String
    var contraction: String
    var churn: String
    var netNew: String
    var mrrEnd: String
    var mrrEndCents: Int64
    var netNewCents: Int64
    var activeCustomers: Int64
    var newCustomers: Int64
    var reactivatedCustomers: Int64
    var churnedCustomers: Int64
    var quickRatio: String

    init(_ period: MRRReportPeriod, currency: String) {
        func amount(_ cents: Int64) -> String { MRRReport.formatAmount(cents, currency: currency) }
        label = period.label
        start = period.start.description
        end = period.end.description
        mrrStart = amount(period.mrrStartCents)
        new = amount(period.newCents)
        expansion = amount(period.expansionCents)
        reactivation = amount(period.reactivationCents)
        contraction = amount(period.contractionCents)
        churn = amount(period.churnCents)
        netNew = amount(period.netNewCents)
        mrrEnd = amount(period.mrrEndCents)
        mrrEndCents = period.mrrEndCents
        netNewCents = period.netNewCents
        activeCustomers = period.activeCustomers
        newCustomers = period.newCustomers
        reactivatedCustomers = period.reactivatedCustomers
        churnedCustomers = period.churnedCustomers
        quickRatio = period.quickRatio.map { String(format: "%.2f", $0) } ?? "—"
    }
}
