import Foundation
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@testable import LedgerCore
@testable import LedgerServer

/// The console's integrity page (verify from the page, recorded runs, a tamper named by position, the
/// digest form) and MRR page (the chart and table are `ledger report mrr`'s numbers, the CSV its CSV),
/// in process against a generated, projected history. ``ConsoleIntegrityMRRBrowserTests`` drives the
/// same pages in Chromium.
@Suite("audit console: integrity and MRR")
struct ConsoleIntegrityMRRTests {
    /// A generated history, projected (so verify has drift to compare and MRR has rows).
    static func projectedHistory(_ database: TestDatabase, in directory: URL) throws {
        _ = try ConsoleBrowserTests.generatedHistory(database, in: directory)
        let projected = try runLedger(["project"], environment: ["DATABASE_URL": database.url])
        #expect(projected.status == 0, "\(projected.standardError)")
    }

    static func withHistory(_ body: @escaping @Sendable (TestDatabase) async throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-im-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try projectedHistory(database, in: directory)
            try await body(database)
        }
    }

    /// Runs SQL with the append-only triggers off, as a tamperer with the superuser's rights would.
    static func tamper(_ database: TestDatabase, _ sql: String) throws {
        try database.connect().execute(
            "SET session_replication_role = replica; \(sql); SET session_replication_role = origin")
    }

    /// Posts the verify form (with `digest`, if given) and waits until the page shows no run under way.
    static func verifyFromThePage(
        _ server: InProcessLedger, _ session: ConsoleClient.Session, digest: String? = nil
    ) async throws -> String {
        var fields = ["csrf": session.csrf]
        if let digest { fields["digest"] = digest }
        let posted = try await ConsoleClient.post(server, "/ui/integrity/verify", cookie: session.cookie, fields)
        #expect(posted.status == 303 && posted.header("location") == "/ui/integrity", "\(posted.status) \(posted.text)")
        var page = ""
        try await Poll.until("the console's verify ends", timeout: .seconds(300), every: .milliseconds(100)) {
            page = try await server.request("GET", "/ui/integrity", headers: [("Cookie", session.cookie)]).text
            return !page.contains(#"id="verify-running""#)
        }
        return page
    }

    @Test func verifyFromTheIntegrityPageIsRecordedAndNamesATamperedPosition() async throws {
        try await Self.withHistory { database in
            let head = try EventStore(connection: try database.connect()).head()
            let seed = UInt64.random(in: 1...UInt64.max)
            var generator = SeededGenerator(seed: seed)
            let tampered = Int64.random(in: 2...(head.position - 1), using: &generator)
            let kept = try #require(try EventStore(connection: try database.connect()).hash(at: tampered - 1))
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                var page = try await server.request("GET", "/ui/integrity", headers: [("Cookie", session.cookie)]).text
                #expect(page.contains(#"<dd id="head-position">\#(head.position)</dd>"#))
                #expect(page.contains(#"value="\#(head.digest)""#), "the head digest to copy")
                #expect(page.contains(#"id="no-verify""#))

                // The form needs the session's CSRF token.
                let forged = try await ConsoleClient.post(
                    server, "/ui/integrity/verify", cookie: session.cookie, ["csrf": "x" + session.csrf])
                #expect(forged.status == 403)

                page = try await Self.verifyFromThePage(server, session)
                #expect(page.contains(#"<strong id="last-result">ok</strong>"#), "seed \(seed): \(page)")
                #expect(!page.contains(#"id="chain-failure""#))
                let recorded = try #require(try VerifyRunStore(connection: try database.connect()).latest())
                #expect(recorded.origin == .console && recorded.ok)
                #expect(recorded.verifiedThrough == head.position && recorded.summary.driftStatus == "checked")

                // One byte of one event changed with the triggers off: named by position on the page and in the record.
                try Self.tamper(
                    database,
                    "UPDATE ledger.events SET body = set_byte(body, 3, get_byte(body, 3) # 1) WHERE position = \(tampered)"
                )
                page = try await Self.verifyFromThePage(server, session)
                #expect(
                    page.contains(#"id="chain-failure" data-position="\#(tampered)""#),
                    "seed \(seed), position \(tampered)"
                )
                #expect(page.contains("FAILED: chain"), "seed \(seed)")
                let failed = try #require(try VerifyRunStore(connection: try database.connect()).latest())
                #expect(failed.summary.chainFailure?.position == tampered && !failed.ok)

                // A digest kept from before the tampered event still matches; the head's does not.
                page = try await Self.verifyFromThePage(
                    server, session, digest: ChainHead(position: tampered - 1, hash: kept).digest)
                #expect(page.contains(#"id="last-digest" data-outcome="matches""#), "seed \(seed)")
                page = try await Self.verifyFromThePage(server, session, digest: head.digest)
                #expect(page.contains(#"id="last-digest" data-outcome="does-not-match""#), "seed \(seed)")
                let malformed = try await ConsoleClient.post(
                    server, "/ui/integrity/verify", cookie: session.cookie,
                    ["csrf": session.csrf, "digest": "12:not-a-hash"])
                #expect(malformed.status == 422)

                // `ledger verify` records its run too; the page shows the newest.
                let cli = try runLedger(["verify", "--no-drift"], environment: ["DATABASE_URL": database.url])
                #expect(cli.status == 1)
                let runs = try VerifyRunStore(connection: try database.connect()).newest()
                #expect(runs.first?.origin == .cli && runs.first?.summary.chainFailure?.position == tampered)
                #expect(runs.count == 5)
                page = try await server.request("GET", "/ui/integrity", headers: [("Cookie", session.cookie)]).text
                #expect(page.contains("by ledger verify"))
            }
        }
    }

    @Test func theInboxShowsTheDriftTheLastVerifyFound() async throws {
        try await Self.withHistory { database in
            let rows = try database.connect().query(
                "SELECT id::text, stripe_subscription_id FROM subscriptions ORDER BY id", [])
            let seed = UInt64.random(in: 1...UInt64.max)
            var generator = SeededGenerator(seed: seed)
            let row = try #require(rows.randomElement(using: &generator))
            let (id, subscription) = (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1))
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                var inbox = try await server.request("GET", "/ui/inbox", headers: [("Cookie", session.cookie)]).text
                #expect(inbox.contains(#"id="inbox-no-verify""#))

                // A live row changed behind the projection's back: drift, found by `ledger verify`, shown in the inbox.
                try Self.tamper(database, "UPDATE subscriptions SET status = 'paused' WHERE id = '\(id)'")
                let verified = try runLedger(["verify"], environment: ["DATABASE_URL": database.url])
                #expect(verified.status == 1, "seed \(seed): \(verified.standardOutput)")
                inbox = try await server.request("GET", "/ui/inbox", headers: [("Cookie", session.cookie)]).text
                #expect(inbox.contains(#"id="inbox-drift-summary" data-rows="1""#), "seed \(seed)")
                #expect(inbox.contains("<code>\(id)</code>") && inbox.contains("<code>\(subscription)</code>"))
                #expect(inbox.contains("<td>changed</td><td>status</td>"), "seed \(seed)")
                let integrity = try await server.request(
                    "GET", "/ui/integrity", headers: [("Cookie", session.cookie)]
                ).text
                #expect(integrity.contains(#"id="last-drift" data-rows="1""#))
            }
        }
    }

    @Test func theMRRChartTableAndCSVAreTheReportsNumbers() async throws {
        try await Self.withHistory { database in
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                let headers = [("Cookie", session.cookie)]
                let first = try await server.request("GET", "/ui/mrr", headers: headers)
                #expect(first.status == 200)
                let from = try #require(Self.attribute("value", after: #"id="mrr-from""#, in: first.text))
                let to = try #require(Self.attribute("value", after: #"id="mrr-to""#, in: first.text))
                let currency = try #require(Self.selected(in: first.text, select: "mrr-currency"))
                for by in ["month", "week"] {
                    let query = "currency=\(currency)&from=\(from)&to=\(to)&by=\(by)"
                    let page = try await server.request("GET", "/ui/mrr?\(query)", headers: headers)
                    #expect(page.status == 200)
                    let arguments = ["report", "mrr", "--currency", currency, "--from", from, "--to", to, "--by", by]
                    let printed = try runLedger(
                        arguments + ["--format", "json"], environment: ["DATABASE_URL": database.url])
                    #expect(printed.status == 0, "\(printed.standardError)")
                    let report = try #require(
                        try JSONSerialization.jsonObject(with: Data(printed.standardOutput.utf8)) as? [String: Any])
                    let periods = try #require(report["periods"] as? [[String: Any]])
                    #expect(periods.count > 1)
                    // The chart: a point per period at its MRR, a bar per movement of each period that moved.
                    let points = Self.matches(
                        #"<circle [^>]*data-period="([^"]+)" data-mrr-end-cents="(-?[0-9]+)""#, in: page.text)
                    #expect(points.map { $0[0] } == periods.map { $0["label"] as? String ?? "" })
                    #expect(points.map { Int($0[1]) } == periods.map { $0["mrr_end_cents"] as? Int })
                    for period in periods {
                        let label = try #require(period["label"] as? String)
                        let bars = Self.bars(of: label, in: page.text)
                        for kind in ["new", "expansion", "reactivation", "contraction", "churn"] {
                            let cents = period["\(kind)_cents"] as? Int ?? 0
                            #expect(bars[kind] == (cents == 0 ? nil : cents), "\(by) \(label) \(kind)")
                        }
                        #expect(
                            page.text.contains(
                                #"data-period="\#(label)" data-mrr-end-cents="\#(period["mrr_end_cents"] as? Int ?? -1)" data-net-new-cents="\#(period["net_new_cents"] as? Int ?? -1)""#
                            ))
                    }
                    // The CSV is the report's.
                    let csv = try await server.request("GET", "/ui/mrr.csv?\(query)", headers: headers)
                    let expected = try runLedger(
                        arguments + ["--format", "csv"], environment: ["DATABASE_URL": database.url])
                    #expect(csv.status == 200 && csv.header("content-type") == "text/csv; charset=utf-8")
                    #expect(csv.header("content-disposition")?.hasPrefix("attachment;") == true)
                    #expect(csv.text == expected.standardOutput)
                }
                for bad in ["by=day", "from=2025-13-01", "currency=US", "colour=red"] {
                    let refused = try await server.request("GET", "/ui/mrr?\(bad)", headers: headers)
                    #expect(refused.status == 400, "\(bad)")
                }
                let backwards = try await server.request("GET", "/ui/mrr?from=\(to)&to=\(from)", headers: headers)
                #expect(backwards.status == 422 && backwards.text.contains(#"id="mrr-problem""#))
                let noSession = try await server.request("GET", "/ui/mrr.csv")
                #expect(noSession.status == 303 && noSession.header("location") == "/ui/login")
            }
        }
    }

    /// Whatever the periods, MRR is drawn in its own panel on an axis from zero: no point of MRR ≥ 0 below
    /// the panel's zero, every movement bar between the movements panel's top and bottom, the zero line
    /// of the movements where their values change sign. Seeded; the seed is printed on failure.
    @Test func theChartsAxesShareTheirZeroWithTheirValues() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<50 {
            let from = UTCDay(year: 2025, month: 1, day: 1)
            let days = Int.random(in: 30...400, using: &generator)
            var mrr: Int64 = 0
            var rows: [MRRDailyRow] = []
            for day in stride(from: 0, to: days, by: Int.random(in: 3...20, using: &generator)) {
                var row = MRRDailyRow(
                    day: from.adding(days: Int64(day)), currency: "USD", mrrCents: 0, activeCustomers: 1)
                row.newCents = Int64.random(in: 0...50_000, using: &generator)
                row.churnCents = -min(mrr, Int64.random(in: 0...40_000, using: &generator))
                mrr += row.newCents + row.churnCents
                row.mrrCents = mrr
                rows.append(row)
            }
            let report = MRRReport(
                currency: "USD", from: from, to: from.adding(days: Int64(days)), grouping: .month, opening: nil,
                rows: rows)
            let svg = report.svgElement()
            let layout = MRRReport.ChartLayout.self
            let mrrBottom = layout.mrrTop + layout.mrrHeight
            for point in Self.matches(#"<circle cx="[-0-9.]+" cy="([-0-9.]+)""#, in: svg) {
                let y = try #require(Double(point[0]))
                #expect(y <= mrrBottom + 0.05 && y >= layout.mrrTop - 0.05, "seed \(seed): MRR at \(y)")
            }
            let zero = try #require(
                Self.matches(#"<line class="zero" x1="[-0-9.]+" y1="([-0-9.]+)""#, in: svg).first.flatMap {
                    Double($0[0])
                })
            for bar in Self.matches(
                #"<rect class="(new|churn)" x="[-0-9.]+" y="([-0-9.]+)" width="[-0-9.]+" height="([-0-9.]+)""#, in: svg)
            {
                let (top, height) = (try #require(Double(bar[1])), try #require(Double(bar[2])))
                if bar[0] == "new" {
                    #expect(abs(top + height - zero) < 0.11, "seed \(seed): a gain starts at the zero line")
                } else {
                    #expect(top >= zero - 0.11, "seed \(seed): a loss hangs below the zero line")
                }
                #expect(
                    top >= layout.movementsTop - 0.05
                        && top + height <= layout.movementsTop + layout.movementsHeight + 0.11)
            }
        }
    }

    // MARK: - Reading the pages

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).map { match in
            (1..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }

    /// The `data-cents` of each kind's bar in the period's bar group.
    static func bars(of label: String, in html: String) -> [String: Int] {
        guard let start = html.range(of: #"<g class="period-bars" data-period="\#(label)">"#),
            let end = html.range(of: "</g>", range: start.upperBound..<html.endIndex)
        else { return [:] }
        var bars: [String: Int] = [:]
        for bar in matches(
            #"<rect class="([a-z]+)"[^>]* data-cents="(-?[0-9]+)""#, in: String(html[start.upperBound..<end.lowerBound])
        ) {
            bars[bar[0]] = Int(bar[1])
        }
        return bars
    }

    static func attribute(_ name: String, after anchor: String, in html: String) -> String? {
        guard let anchor = html.range(of: anchor),
            let value = html.range(of: #"\#(name)=""#, range: anchor.upperBound..<html.endIndex)
        else { return nil }
        return String(html[value.upperBound...].prefix { $0 != "\"" })
    }

    static func selected(in html: String, select id: String) -> String? {
        guard let start = html.range(of: #"<select id="\#(id)""#),
            let end = html.range(of: "</select>", range: start.upperBound..<html.endIndex)
        else { return nil }
        return matches(#"<option value="([A-Z]{3})" selected>"#, in: String(html[start.upperBound..<end.lowerBound]))
            .first?[0]
    }
}
