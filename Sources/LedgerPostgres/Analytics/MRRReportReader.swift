import LedgerCore

/// Reads what `ledger report mrr` needs from `mrr_daily`: one currency's rows over a range (a few
/// hundred index-ordered rows however long the log), and which currencies there are.
public struct MRRReportReader {
    /// The columns read, days as counts since 1970-01-01.
    static let dailyColumns = """
        (day - DATE '1970-01-01'), currency, mrr_cents, active_customers, new_cents, expansion_cents,
        contraction_cents, churn_cents, reactivation_cents, new_customers, reactivated_customers, churned_customers
        """
    /// `$1` currency, `$2` first day: the newest row before the first day (the MRR the range opens with).
    static let selectOpening = """
        SELECT \(dailyColumns) FROM public.mrr_daily
        WHERE currency = $1 AND day < $2::date ORDER BY day DESC LIMIT 1
        """
    /// `$1` currency, `$2` first day, `$3` last day: the range's rows in day order.
    static let selectRange = """
        SELECT \(dailyColumns) FROM public.mrr_daily
        WHERE currency = $1 AND day BETWEEN $2::date AND $3::date ORDER BY day
        """
    /// `$1` last day: each currency with a row on or before it, and its MRR at the end of that day.
    static let selectCurrencies = """
        SELECT DISTINCT ON (currency) currency, mrr_cents FROM public.mrr_daily
        WHERE day <= $1::date ORDER BY currency, day DESC
        """
    /// `$1` projection name: its checkpoint.
    static let selectCheckpoint = "SELECT position FROM ledger.checkpoints WHERE projection = $1"

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Each currency with MRR data up to `day`, with its MRR at the end of that day, most MRR first.
    public func currencies(through day: UTCDay) throws -> [(currency: String, mrrCents: Int64)] {
        let rows = try connection.query(Self.selectCurrencies, [day.description])
        return try rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
            .sorted { ($1.1, $0.0) < ($0.1, $1.0) }
    }

    /// One currency's report over `from...to`, read in one REPEATABLE READ snapshot (the projector may commit meanwhile).
    public func report(
        currency: String, from: UTCDay, to: UTCDay, by grouping: MRRReportGrouping, checkpointOf projection: String
    ) throws -> MRRReport {
        precondition(from <= to, "the range is validated by the caller")
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { if connection.isOpen { try? connection.execute("ROLLBACK") } }
        let opening = try connection.query(Self.selectOpening, [currency, from.description]).first.map(Self.row)
        let rows = try connection.query(Self.selectRange, [currency, from.description, to.description]).map(Self.row)
        let checkpoint = try connection.query(Self.selectCheckpoint, [projection]).first.map {
            try $0.decode(Int64.self, at: 0)
        }
        return MRRReport(
            currency: currency, from: from, to: to, grouping: grouping, opening: opening, rows: rows,
            checkpoint: checkpoint)
    }

    static func row(_ row: PostgresRow) throws -> MRRDailyRow {
        var daily = MRRDailyRow(
            day: UTCDay(daysSinceEpoch: try row.decode(Int64.self, at: 0)), currency: try row.decode(at: 1),
            mrrCents: try row.decode(at: 2), activeCustomers: try row.decode(at: 3))
        daily.newCents = try row.decode(at: 4)
        daily.expansionCents = try row.decode(at: 5)
        daily.contractionCents = try row.decode(at: 6)
        daily.churnCents = try row.decode(at: 7)
        daily.reactivationCents = try row.decode(at: 8)
        daily.newCustomers = try row.decode(at: 9)
        daily.reactivatedCustomers = try row.decode(at: 10)
        daily.churnedCustomers = try row.decode(at: 11)
        return daily
    }
}
