import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

@Suite("ledger report mrr")
struct ReportCommandTests {
    /// A generated year (2025) ingested and projected.
    func projected(_ database: TestDatabase) throws -> Loaded {
        let loaded = try loadGenerated(database, customers: 80, months: 12)
        try ingest(loaded.files[0], loaded.environment)
        let project = try runLedger(["project"], environment: loaded.environment)
        #expect(project.status == 0, "\(project.standardError)")
        return loaded
    }

    /// What coupons take off the MRR of the projected rows, per currency, from a replay of the log: the rows do
    /// not hold the discounts, the reducer's snapshot of each subscription does.
    static func couponsOff(_ database: TestDatabase) throws -> [String: Int64] {
        let store = EventStore(connection: try database.connect())
        var events: [RecordedEvent] = []
        while case let batch = try store.read(after: events.last?.position ?? 0), !batch.isEmpty {
            events += batch
        }
        return LedgerTestSupport.couponsOff(events)
    }

    func report(_ arguments: [String], _ environment: [String: String]) throws -> ProcessOutput {
        try runLedger(["report", "mrr"] + arguments, environment: environment)
    }

    @Test func tableCSVJSONAndSVGDescribeTheSamePeriods() async throws {
        try await TestDatabase.with { database in
            let loaded = try projected(database)
            defer { loaded.remove() }
            let range = ["--from", "2025-01", "--to", "2025-12", "--currency", "usd"]

            let json = try report(range + ["--format", "json"], loaded.environment)
            #expect(json.status == 0, "\(json.standardError)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            #expect(object["currency"] as? String == "USD")
            #expect(object["from"] as? String == "2025-01-01" && object["to"] as? String == "2025-12-31")
            let periods = try #require(object["periods"] as? [[String: Any]])
            #expect(periods.count == 12)
            var previousEnd = 0
            for period in periods {
                let start = try #require(period["mrr_start_cents"] as? Int)
                let end = try #require(period["mrr_end_cents"] as? Int)
                let kinds = ["new_cents", "expansion_cents", "reactivation_cents", "contraction_cents", "churn_cents"]
                let moved = kinds.reduce(0) { $0 + ((period[$1] as? Int) ?? 0) }
                #expect(start == previousEnd && start + moved == end && period["net_new_cents"] as? Int == moved)
                let lost = -((period["contraction_cents"] as? Int ?? 0) + (period["churn_cents"] as? Int ?? 0))
                #expect((period["quick_ratio"] is NSNull) == (lost == 0), "\(period)")
                previousEnd = end
            }
            // The year's end is the MRR the live rows imply, less the coupons (not in the rows) that apply.
            let live = try database.connect().query(
                """
                SELECT coalesce(sum(round(amount_cents / CASE billing_cycle WHEN 'quarterly' THEN 3.0
                    WHEN 'semiannual' THEN 6.0 WHEN 'yearly' THEN 12.0 WHEN 'biennial' THEN 24.0 ELSE 1.0 END)), 0)::bigint
                FROM subscriptions WHERE status IN ('active', 'past_due') AND plan_type <> 'free' AND currency = 'USD'
                """)[0]
            let off = try Self.couponsOff(database)["USD"] ?? 0
            #expect(Int64(previousEnd) == (try live.decode(Int64.self, at: 0)) - off)

            let table = try report(range, loaded.environment)
            #expect(table.status == 0, "\(table.standardError)")
            let lines = table.standardOutput.split(separator: "\n")
            #expect(lines.first?.hasPrefix("MRR in USD, 2025-01-01 to 2025-12-31, by month (log position ") == true)
            #expect(lines.filter { $0.hasPrefix("2025-") }.count == 12)
            #expect(lines.last?.hasPrefix("total") == true)

            let csv = try report(range + ["--format", "csv"], loaded.environment)
            let rows = csv.standardOutput.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(rows.count == 13)
            let ends = rows.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[11] }
            #expect(ends.map { Int($0) } == periods.map { $0["mrr_end_cents"] as? Int })

            let svgFile = loaded.directory.appendingPathComponent("mrr.svg")
            let svg = try report(range + ["--format", "svg", "--out", svgFile.path], loaded.environment)
            #expect(svg.status == 0 && svg.standardOutput.isEmpty, "\(svg.standardError)")
            let groups = try barGroups(inSVG: svgFile)
            let moved = periods.filter { period in
                ["new_cents", "expansion_cents", "reactivation_cents", "contraction_cents", "churn_cents"].contains {
                    (period[$0] as? Int ?? 0) != 0
                }
            }.compactMap { $0["label"] as? String }
            #expect(groups == moved)
            #expect(!groups.isEmpty)

            let weekly = try report(
                ["--from", "2025-03-01", "--to", "2025-05-31", "--by", "week", "--format", "json"], loaded.environment)
            let weeks = try #require(
                (try JSONSerialization.jsonObject(with: Data(weekly.standardOutput.utf8)) as? [String: Any])?["periods"]
                    as? [[String: Any]])
            #expect(weeks.count == 14)
            #expect(weeks.first?["label"] as? String == "2025-W09")
        }
    }

    /// The `data-period` of each `<g class="period-bars">`, read by python3's XML parser (which refuses malformed XML).
    func barGroups(inSVG file: URL) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == '{http://www.w3.org/2000/svg}svg', root.tag
            for g in root.iter('{http://www.w3.org/2000/svg}g'):
                if g.get('class') == 'period-bars': print(g.get('data-period'))
            """,
            file.path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python3 could not parse the SVG: \(failure)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func badDatesAndFlagsAreUsageErrors() async throws {
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let cases: [([String], String)] = [
                (["--from", "2025-13-01", "--to", "2025-12-31"], "--from '2025-13-01' is not a date"),
                (["--from", "2025-02-30", "--to", "2025-12-31"], "--from '2025-02-30' is not a date"),
                (["--from", "yesterday", "--to", "2025-12-31"], "use YYYY-MM-DD"),
                (["--from", "2025-06-01", "--to", "2025-01"], "--from 2025-06-01 is after --to 2025-01-31"),
                (["--from", "2025-01-01"], "Missing expected argument '--to <date>'"),
                (["--from", "2025-01", "--to", "2025-02", "--by", "day"], "--by"),
                (["--from", "2025-01", "--to", "2025-02", "--format", "pdf"], "--format"),
                (["--from", "2025-01", "--to", "2025-02", "--currency", "US"], "three-letter ISO 4217 code"),
                (["--from", "2000-01-01", "--to", "2030-12-31", "--by", "week"], "at most 600"),
            ]
            for (arguments, message) in cases {
                let output = try report(arguments, environment)
                #expect(output.status == 2, "\(arguments): \(output.standardError)")
                #expect(output.standardError.contains(message), "\(arguments): \(output.standardError)")
                #expect(output.standardOutput.isEmpty)
            }
            // Nothing projected: say what to do (a failure, not a usage error), unless a currency is given.
            let empty = try report(["--from", "2025-01", "--to", "2025-02"], environment)
            #expect(empty.status == 1 && empty.standardError.contains("run `ledger project`"), "\(empty.standardError)")
            let zeros = try report(["--from", "2025-01", "--to", "2025-02", "--currency", "EUR"], environment)
            #expect(zeros.status == 0, "\(zeros.standardError)")
            #expect(zeros.standardOutput.contains("MRR in EUR"))
        }
    }
}
