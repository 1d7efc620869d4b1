import ArgumentParser
import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// `ledger report`: reports read from the analytics tables the projection keeps.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports from the analytics tables (mrr_movements, mrr_daily).",
        discussion: """
            Examples:
              ledger report mrr --from 2025-01 --to 2025-12
            """,
        subcommands: [MRR.self])

    /// `ledger report mrr`: MRR per month or week, with its movements, customers and quick ratio.
    struct MRR: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mrr",
            abstract: "MRR per month or week: start and end, movements by kind, customers, quick ratio.",
            discussion: """
                Reads mrr_daily, which `ledger project` and `ledger rebuild` keep with the \
                billing tables (docs/0006-mrr.md for the definitions). Per period: MRR at its \
                start and end, new, expansion, reactivation, contraction and churn MRR, net \
                new MRR (= end − start), customers paying at its end, new, reactivated and \
                churned customers, and the quick ratio (new + expansion + reactivation) / \
                |contraction + churn|, shown as — when nothing was lost.

                --from and --to are UTC days, YYYY-MM-DD; YYYY-MM means the month's first day \
                (--from) or last day (--to). The first and last periods are clipped to the \
                range. Weeks are ISO weeks, Monday to Sunday.

                One currency at a time (no conversion): --currency, else the one with the most \
                MRR at the end of the range (a note on standard error names the others).

                Formats: table (amounts in the currency's unit), csv and json (amounts in minor \
                units, e.g. cents), svg (a chart: stacked movement bars per period, gains up \
                and losses down, with the MRR line; open it in a browser).

                Examples:
                  ledger report mrr --from 2025-01 --to 2025-12
                  ledger report mrr --from 2025-01-01 --to 2025-03-31 --by week --format csv
                  ledger report mrr --from 2025-01 --to 2025-12 --format svg --out mrr.svg
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, csv, json, svg
        }

        @OptionGroup var database: ReadDatabaseOptions
        @OptionGroup var logging: LoggingOptions
        @Option(help: ArgumentHelp("First day, YYYY-MM-DD (or YYYY-MM: its first day).", valueName: "date"))
        var from: String
        @Option(help: ArgumentHelp("Last day, YYYY-MM-DD (or YYYY-MM: its last day).", valueName: "date"))
        var to: String
        @Option(help: "Periods: month or week.") var by: MRRReportGrouping = .month
        @Option(help: ArgumentHelp("ISO 4217 code (default: the one with the most MRR at --to).", valueName: "code"))
        var currency: String?
        @Option(help: "table, csv, json or svg.") var format: Format = .table
        @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
        var out: String?

        func validate() throws {
            let (first, last) = try range()
            let periods = MRRReport.periodCount(from: first, to: last, by: by)
            guard periods <= Limits.reportPeriodsMax else {
                throw ValidationError(
                    "\(first) to \(last) by \(by.rawValue) is \(periods) periods, at most \(Limits.reportPeriodsMax): "
                        + "shorten the range or use --by month")
            }
            if let currency, currency.utf8.count != 3 || !currency.allSatisfy({ $0.isASCII && $0.isLetter }) {
                throw ValidationError("--currency must be a three-letter ISO 4217 code such as USD, got '\(currency)'")
            }
        }

        /// The validated days of --from and --to.
        func range() throws -> (UTCDay, UTCDay) {
            let first = try Self.day(from, option: "--from", endOfMonth: false)
            let last = try Self.day(to, option: "--to", endOfMonth: true)
            guard first <= last else { throw ValidationError("--from \(first) is after --to \(last)") }
            return (first, last)
        }

        /// `YYYY-MM-DD`, or `YYYY-MM` as the month's first (or last) day.
        static func day(_ text: String, option: String, endOfMonth: Bool) throws -> UTCDay {
            if let day = UTCDay(parsing: text) { return day }
            if text.utf8.count == 7, let first = UTCDay(parsing: text + "-01") {
                return endOfMonth ? first.firstOfNextMonth.adding(days: -1) : first
            }
            throw ValidationError("\(option) '\(text)' is not a date: use YYYY-MM-DD (or YYYY-MM), e.g. 2025-01-31")
        }

        func run() throws {
            let (first, last) = try range()
            let reader = MRRReportReader(connection: try database.connect())
            let code: String
            if let currency {
                code = currency.uppercased()
            } else {
                let currencies = try reader.currencies(through: last)
                guard let top = currencies.first else {
                    throw ReportError(
                        "no MRR on or before \(last): mrr_daily is empty there; run `ledger project` (or "
                            + "`ledger rebuild`), or give --currency for a report of zeros")
                }
                code = top.currency
                if currencies.count > 1 {
                    let others = currencies.dropFirst().map(\.currency).joined(separator: ", ")
                    FileHandle.standardError.write(
                        Data("note: showing \(code), the most MRR at \(last); also \(others) (--currency)\n".utf8))
                }
            }
            let report = try reader.report(
                currency: code, from: first, to: last, by: by, checkpointOf: ProjectionRebuilder.projectionName)
            logging.makeLogger(label: "ledger.report").info(
                "read mrr_daily", metadata: ["currency": "\(code)", "periods": "\(report.periods.count)"])
            try write(try render(report))
        }

        func render(_ report: MRRReport) throws -> String {
            switch format {
            case .table: return report.table()
            case .csv: return report.csv()
            case .svg: return report.svg()
            case .json:
                return String(decoding: try LedgerJSON.encoder(pretty: true).encode(ReportJSON(report)), as: UTF8.self)
                    + "\n"
            }
        }

        func write(_ text: String) throws {
            guard let out else {
                FileHandle.standardOutput.write(Data(text.utf8))
                return
            }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw ReportError("cannot write \(out): \(error.localizedDescription)")
            }
        }
    }
}

extension MRRReportGrouping: ExpressibleByArgument {}

/// The JSON form of a report: its periods and the whole range as `total`.
private struct ReportJSON: Encodable {
    var currency: String
    var from: UTCDay
    var to: UTCDay
    var by: MRRReportGrouping
    var checkpoint: Int64?
    var periods: [MRRReportPeriod]
    var total: MRRReportPeriod?

    init(_ report: MRRReport) {
        currency = report.currency
        from = report.from
        to = report.to
        by = report.grouping
        checkpoint = report.checkpoint
        periods = report.periods
        total = report.summary
    }

    enum CodingKeys: String, CodingKey { case currency, from, to, by, checkpoint, periods, total }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(currency, forKey: .currency)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(by, forKey: .by)
        try container.encode(checkpoint, forKey: .checkpoint)
        try container.encode(periods, forKey: .periods)
        try container.encode(total, forKey: .total)
    }
}

/// A report that cannot be made from the data there is, or cannot be written; a failure (exit 1).
struct ReportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
