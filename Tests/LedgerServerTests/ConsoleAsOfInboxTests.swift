import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@testable import LedgerServer

/// The console's as-of pages and inbox in process: the rows each as-of page shows are ``AuditState``'s (what
/// `ledger state` prints) at the cut asked for, the inbox lists what `ledger parked` and `ledger rejected`
/// list, bad input is a message on the page, and nothing answers without a session. The browser test
/// (``ConsoleAsOfInboxBrowserTests``) drives the same pages in Chromium.
@Suite("audit console /ui as-of and inbox")
struct ConsoleAsOfInboxTests {
    static let hostile = [#"<script>alert(1)</script>"#, #""><img src=x onerror=alert(1)>"#]

    @Test func newPagesLeadToSignInWithoutASession() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                for path in [
                    "/ui/inbox", "/ui/inbox?reason=x", "/ui/subscriptions/sub_x/as-of?event=1",
                    "/ui/payments/pi_x/as-of", "/ui/customers/cus_x/as-of?at=2025-01-01",
                ] {
                    let response = try await server.request("GET", path)
                    #expect(response.status == 303 && response.header("location") == "/ui/login", "\(path)")
                    ConsoleTests.expectSecurityHeaders(response, path)
                }
            }
        }
    }

    /// At every stop of the slider, at each time the object's events were recorded (in two zones), at typed
    /// positions, and compared two by two, the page shows the rows ``AuditState`` computes for that cut.
    @Test func asOfPagesShowTheReplayedRowsAtEveryCut() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asof-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let subscription = try Self.chunkedHistory(database, in: directory)
            let connection = try database.connect()
            let reference = AuditReference.subscription(subscription)
            let entries = try AuditHistory.build(reference, includePayments: true, connection: connection).entries
            #expect(entries.count >= 3)
            let times = Array(Set(entries.map(\.recordedAt))).sorted()
            #expect(times.count >= 2, "the history was ingested in chunks: its events have several recorded times")
            let customer = try #require(
                try AuditState.build(reference, cut: .everything, connection: connection).customerID)
            func state(_ cut: AuditCut, _ of: AuditReference = reference) throws -> AuditState {
                try AuditState.build(of, cut: cut, connection: connection)
            }
            let object = ConsoleObject.subscription(subscription)
            var expected: [AsOfExpectation] = []
            // The slider: before the first event, then after each.
            for stop in 0...entries.count {
                let position = stop == 0 ? entries[0].position - 1 : entries[stop - 1].position
                expected.append(
                    AsOfExpectation(
                        object, "?event=\(stop)", try state(AuditCut(position: position)),
                        shows: [
                            #"data-position="\#(position)""#,
                            #"id="event" name="event" type="range" min="0" max="\#(entries.count)" step="1" value="\#(stop)""#,
                        ]))
            }
            // Times as the CLI reads them: the recorded instants, the same instants an hour east, a date.
            for time in times {
                let instant = try #require(EventTime(iso8601: time))
                let east = EventTime(microsecondsSinceEpoch: instant.microsecondsSinceEpoch + 3_600_000_000)
                let eastText = String(east.description.dropLast()) + "+01:00"
                #expect(EventTime(iso8601: eastText) == instant)
                for typed in [time, eastText] {
                    expected.append(
                        AsOfExpectation(
                            object, "?at=" + Self.encoded(typed), try state(AuditCut(recordedAt: instant)),
                            shows: [#"data-as-of="\#(instant)""#]))
                }
            }
            expected.append(
                AsOfExpectation(
                    object, "?at=2099-01-01", try state(AuditCut(recordedAt: EventTime(iso8601: "2099-01-01")))))
            // Typed positions, and each stop compared with the one before: exactly the differing values marked.
            for (index, entry) in entries.enumerated() {
                let later = try state(AuditCut(position: entry.position))
                expected.append(AsOfExpectation(object, "?at=\(entry.position)", later))
                guard index > 0 else { continue }
                let earlier = try state(AuditCut(position: entries[index - 1].position))
                var compared = AsOfExpectation(
                    object, "?at=\(entry.position)&from=\(entries[index - 1].position)", later)
                compared.changed = AsOfHTML.changed(from: earlier, to: later)
                expected.append(compared)
            }
            // The customer's page replays the same customer.
            let middle = entries[entries.count / 2].position
            expected.append(
                AsOfExpectation(
                    .customer(customer), "?at=\(middle)", try state(AuditCut(position: middle), .customer(customer))))
            let expectations = expected
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                for expectation in expectations {
                    let path = expectation.object.asOfPath + expectation.query
                    let response = try await server.request("GET", path, headers: [("Cookie", session.cookie)])
                    #expect(response.status == 200, "\(path): \(response.text)")
                    ConsoleTests.expectSecurityHeaders(response, path)
                    #expect(AsOfHTML.rows(response.text) == expectation.rows, "\(path)")
                    for text in expectation.shows { #expect(response.text.contains(text), "\(path): \(text)") }
                    if let changed = expectation.changed {
                        #expect(AsOfHTML.changed(response.text) == changed, "\(path)")
                    }
                }
                // The object page links its as-of page, and every page the inbox.
                let timeline = try await server.request("GET", object.path, headers: [("Cookie", session.cookie)])
                #expect(timeline.text.contains(#"href="\#(object.asOfPath)""#))
                #expect(timeline.text.contains(#"href="/ui/inbox""#))
            }
        }
    }

    /// Input the page cannot use is a message on the page with a 400 — never a 500 — and is shown as text.
    @Test func badAsOfInputIsAMessageOnThePage() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asof-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = ConsoleObject.subscription(try Self.chunkedHistory(database, in: directory)).asOfPath
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                let refused: [(query: String, says: String)] = [
                    ("?at=yesterday", "log position (digits) or an ISO 8601 time"),
                    ("?at=2025-03-01T12:00:00", "log position (digits) or an ISO 8601 time"),
                    ("?at=2025-02-30", "log position (digits) or an ISO 8601 time"),
                    ("?at=99999999999", "beyond the log"),
                    ("?at=99999999999999999999999", "too large"),
                    ("?event=100000", "the slider goes from 0 to"),
                    ("?event=-1", "event must be a decimal integer"),
                    ("?event=1&at=3", "not both"),
                    ("?at=3&from=soon", "compared with must be"),
                    ("?when=3", "unknown query parameter"),
                    ("?at=" + Self.encoded(Self.hostile[0]), "log position"),
                    ("?from=" + Self.encoded(Self.hostile[1]), "compared with must be"),
                ]
                for (query, says) in refused {
                    let response = try await server.request("GET", path + query, headers: [("Cookie", session.cookie)])
                    #expect(response.status == 400, "\(query): \(response.status)")
                    #expect(response.text.contains(#"class="error""#) && response.text.contains(says), "\(query)")
                    #expect(!response.text.contains("<script>") && !response.text.contains("<img"), "\(query)")
                    #expect(response.text.contains(#"id="event""#), "\(query): the forms are still there")
                }
                let missing = try await server.request(
                    "GET", "/ui/subscriptions/sub_missing/as-of", headers: [("Cookie", session.cookie)])
                #expect(missing.status == 404)
                #expect(missing.text.contains("the log has no event of subscription sub_missing"))
            }
        }
    }

    /// The inbox lists the groups `ledger parked --json` prints — kinds, counts, fixes, objects in order,
    /// each linked to its page — and the inputs `ledger rejected --json` prints; hostile values are text.
    @Test func inboxListsWhatLedgerParkedAndRejectedList() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inbox-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try Self.parkedHistory(database, in: directory)
            let parked = try Self.ledgerJSON(["parked", "--json"], database)
            let rejected = try Self.ledgerJSON(["rejected", "--json"], database)
            let groups = try #require(parked["groups"] as? [[String: Any]])
            #expect(groups.count >= 2, "the history parks objects for several reasons: \(groups.map { $0["kind"] })")
            #expect((rejected["total"] as? Int ?? 0) >= 1)
            let expectedGroups = InboxHTML.groups(parked)
            let expectedRejected = InboxHTML.rejected(rejected)
            let total = parked["total"] as? Int ?? -1
            let subscriptions = groups.flatMap { $0["objects"] as? [[String: Any]] ?? [] }.compactMap {
                $0["object_id"] as? String
            }.filter { $0.hasPrefix("sub_") }
            let kind = try #require(groups.last?["kind"] as? String)
            let filtered = InboxHTML.groups(try Self.ledgerJSON(["parked", "--reason", kind, "--json"], database))
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                let inbox = try await server.request("GET", "/ui/inbox", headers: [("Cookie", session.cookie)])
                #expect(inbox.status == 200)
                ConsoleTests.expectSecurityHeaders(inbox, "/ui/inbox")
                let html = inbox.text
                #expect(InboxHTML.groups(html) == expectedGroups)
                #expect(html.contains(#"<span id="parked-total">\#(total)</span>"#))
                #expect(InboxHTML.rejected(html) == expectedRejected)
                #expect(html.contains(#"id="inbox-drift""#), "the place for the last verify's drift")
                for string in Self.hostile {
                    #expect(html.contains(AsOfHTML.escaped(string)), "\(string) is shown as text")
                }
                #expect(!html.contains("<script>") && !html.contains("<img"))
                // Each parked subscription links its page.
                for id in subscriptions {
                    #expect(html.contains(#"<a href="\#(ConsoleObject.subscription(id).path)">"#), "\(id)")
                }
                // The filter is `ledger parked --reason`.
                let page = try await server.request(
                    "GET", "/ui/inbox?reason=\(kind)", headers: [("Cookie", session.cookie)])
                #expect(InboxHTML.groups(page.text) == filtered)
                let long = try await server.request(
                    "GET", "/ui/inbox?reason=" + String(repeating: "x", count: 65),
                    headers: [("Cookie", session.cookie)])
                #expect(long.status == 400 && long.text.contains(#"class="error""#))
            }
        }
    }

    // MARK: - Histories

    /// A generated history with licenses, ingested in three chunks so its events have three recorded times;
    /// the subscription with the most events, and its customer.
    static func chunkedHistory(_ database: TestDatabase, in directory: URL) throws -> String {
        let events = directory.appendingPathComponent("events.jsonl")
        let fixtures = directory.appendingPathComponent("fixtures.sql")
        let environment = ["DATABASE_URL": database.url]
        let generated = try runLedger(
            [
                "generate", "--customers", "5", "--months", "4", "--seed", "1616", "--out", events.path,
                "--fixtures-sql", fixtures.path,
            ], environment: environment)
        #expect(generated.status == 0, "\(generated.standardError)")
        try database.connect().execute(try String(contentsOf: fixtures, encoding: .utf8))
        var lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map(String.init)
        let subscription = try #require(mostEventfulSubscription(lines))
        lines = try lines.map { line in try withMetadata(line, of: subscription, hostile) }
        let third = (lines.count + 2) / 3
        for chunk in 0..<3 {
            let file = directory.appendingPathComponent("chunk-\(chunk).jsonl")
            try (lines.dropFirst(chunk * third).prefix(third).joined(separator: "\n") + "\n")
                .write(to: file, atomically: true, encoding: .utf8)
            let ingested = try runLedger(["ingest", "stripe", file.path], environment: environment)
            #expect(ingested.status == 0, "\(ingested.standardError)")
        }
        return subscription
    }

    /// A generated history without its licenses (every subscription waits for one), plus
    /// ``ingestParkedAndRejected(_:in:template:)``'s events; projected.
    static func parkedHistory(_ database: TestDatabase, in directory: URL) throws {
        let events = directory.appendingPathComponent("events.jsonl")
        let generated = try runLedger(
            ["generate", "--customers", "4", "--months", "2", "--seed", "1617", "--out", events.path],
            environment: ["DATABASE_URL": database.url])
        #expect(generated.status == 0, "\(generated.standardError)")
        try ingestParkedAndRejected(
            database, in: directory,
            template: try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map(String.init))
        let ingested = try runLedger(["ingest", "stripe", events.path], environment: ["DATABASE_URL": database.url])
        #expect(ingested.status == 0, "\(ingested.standardError)")
        let projected = try runLedger(["project"], environment: ["DATABASE_URL": database.url])
        #expect(projected.status == 0, "\(projected.standardError)")
    }

    /// Ingests subscriptions the projection parks — `license_id`s that are markup (not UUIDs) and one naming a
    /// license that does not exist — made from the first subscription event of `template`, and a line that is
    /// not an event (a rejected input).
    static func ingestParkedAndRejected(_ database: TestDatabase, in directory: URL, template: [String]) throws {
        let first = try #require(template.first { $0.contains("customer.subscription.") })
        var lines: [String] = []
        for (index, license) in (hostile + ["00000000-0000-4000-8000-000000000016"]).enumerated() {
            var event = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
            var data = try #require(event["data"] as? [String: Any])
            var object = try #require(data["object"] as? [String: Any])
            object["id"] = "sub_console_parked_\(index)"
            object["metadata"] = ["license_id": license]
            data["object"] = object
            event["data"] = data
            event["id"] = "evt_console_parked_\(index)"
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self))
        }
        lines.append(#"{"id": "evt_not_an_event", "object": "event"}"#)
        let file = directory.appendingPathComponent("parked.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let ingested = try runLedger(["ingest", "stripe", file.path], environment: ["DATABASE_URL": database.url])
        // The line that is not an event is rejected, which `ingest` reports with exit status 1.
        #expect(ingested.status == 1, "\(ingested.standardError)")
    }

    /// The subscription with the most `customer.subscription.*` events in a generated file.
    static func mostEventfulSubscription(_ lines: [String]) -> String? {
        var counts: [String: Int] = [:]
        for line in lines {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                (event["type"] as? String)?.hasPrefix("customer.subscription.") == true,
                let id = ((event["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String
            else { continue }
            counts[id, default: 0] += 1
        }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.first?.key
    }

    /// `line` with markup added to the metadata, when it is an event of `subscription`'s.
    static func withMetadata(_ line: String, of subscription: String, _ strings: [String]) throws -> String {
        guard var event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            var data = event["data"] as? [String: Any], var object = data["object"] as? [String: Any],
            object["id"] as? String == subscription
        else { return line }
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        metadata["note"] = strings[0]
        metadata["label"] = strings[1]
        object["metadata"] = metadata
        data["object"] = object
        event["data"] = data
        return String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self)
    }

    static func ledgerJSON(_ arguments: [String], _ database: TestDatabase) throws -> [String: Any] {
        let output = try runLedger(arguments, environment: ["DATABASE_URL": database.url])
        #expect(output.status == 0, "\(arguments): \(output.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
    }

    /// What one as-of page must show.
    struct AsOfExpectation: Sendable {
        var object: ConsoleObject
        var query: String
        var rows: [AsOfHTML.Cell]
        var shows: [String]
        var changed: Set<String>?

        init(_ object: ConsoleObject, _ query: String, _ state: AuditState, shows: [String] = []) {
            self.object = object
            self.query = query
            rows = AsOfHTML.rows(state)
            self.shows = shows
        }
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

/// Reads an as-of page's rows back: `(table, key, column, value or nil for NULL)` in page order.
enum AsOfHTML {
    struct Cell: Hashable, Sendable, CustomStringConvertible {
        var table: String
        var key: String
        var column: String
        var value: String?

        var description: String { "\(table)/\(key).\(column)=\(value ?? "NULL")" }
    }

    static func rows(_ html: String) -> [Cell] {
        var cells: [Cell] = []
        for table in html.components(separatedBy: #"<table class="asof-row"#).dropFirst() {
            let name = attribute("data-table", in: table)
            let key = attribute("data-key", in: table)
            for row in table.components(separatedBy: "<tr data-column=\"").dropFirst() {
                let column = unescaped(String(row.prefix { $0 != "\"" }))
                guard let start = row.range(of: #"<td class="value"#) else { continue }
                let cell = row[start.upperBound...]
                let classes = cell.prefix { $0 != "\"" }
                let text = cell.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" }
                guard !classes.contains("absent") else { continue }
                cells.append(
                    Cell(
                        table: name, key: key, column: column,
                        value: classes.contains("null") ? nil : unescaped(String(text))))
            }
        }
        return cells
    }

    static func rows(_ state: AuditState) -> [Cell] {
        [
            ("subscriptions", state.subscriptions, "stripe_subscription_id"),
            ("payment_transactions", state.paymentTransactions, "stripe_payment_intent_id"),
        ].flatMap {
            table, rows, key in
            rows.flatMap { row in
                row.columns.map { Cell(table: table, key: row[key] ?? "", column: $0.column, value: $0.value) }
            }
        }
    }

    /// The cells a compared page marks as changed.
    static func changed(_ html: String) -> Set<String> {
        var marked: Set<String> = []
        for table in html.components(separatedBy: #"<table class="asof-row"#).dropFirst() {
            let name = attribute("data-table", in: table)
            let key = attribute("data-key", in: table)
            for row in table.components(separatedBy: "<tr data-column=\"").dropFirst() {
                let head = row.prefix { $0 != ">" }
                if head.contains(#"class="changed""#) {
                    marked.insert("\(name)/\(key).\(unescaped(String(row.prefix { $0 != "\"" })))")
                }
            }
        }
        return marked
    }

    /// The cells that differ between two states (a row present in one only: all its cells).
    static func changed(from before: AuditState, to after: AuditState) -> Set<String> {
        let earlier = Dictionary(rows(before).map { ("\($0.table)/\($0.key).\($0.column)", $0.value) }) { a, _ in a }
        let later = Dictionary(rows(after).map { ("\($0.table)/\($0.key).\($0.column)", $0.value) }) { a, _ in a }
        return Set(
            Set(earlier.keys).union(later.keys).filter { key in
                earlier[key] != later[key]
            })
    }

    static func attribute(_ name: String, in text: String) -> String {
        guard let range = text.range(of: "\(name)=\"") else { return "" }
        return unescaped(String(text[range.upperBound...].prefix { $0 != "\"" }))
    }

    static func unescaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}

/// Reads the inbox back, and the same facts from `ledger parked --json` and `ledger rejected --json`.
enum InboxHTML {
    /// `kind count [object@position: reason] [fix lines]` per group, in order.
    static func groups(_ html: String) -> [String] {
        html.components(separatedBy: #"<section class="parked-group" data-kind=""#).dropFirst().map { section in
            let kind = String(section.prefix { $0 != "\"" })
            let count = AsOfHTML.attribute("data-count", in: section)
            let fix = section.components(separatedBy: "<li>").dropFirst().map {
                AsOfHTML.unescaped(String($0.prefix { $0 != "<" }))
            }
            let objects = section.components(separatedBy: "<tr data-object=\"").dropFirst().map { row in
                let reason = row.components(separatedBy: #"<td class="reason">"#).dropFirst().first?.prefix {
                    $0 != "<"
                }
                return AsOfHTML.unescaped(String(row.prefix { $0 != "\"" })) + "@"
                    + AsOfHTML.attribute("data-position", in: row) + ": "
                    + AsOfHTML.unescaped(String(reason ?? ""))
            }
            return "\(kind) \(count) \(objects) \(fix)"
        }
    }

    static func groups(_ report: [String: Any]) -> [String] {
        (report["groups"] as? [[String: Any]] ?? []).map { group in
            let objects = (group["objects"] as? [[String: Any]] ?? []).map { object in
                "\(object["object_id"] as? String ?? "")@\(object["position"] as? Int ?? -1): "
                    + (object["reason"] as? String ?? "")
            }
            return "\(group["kind"] as? String ?? "") \(group["count"] as? Int ?? -1) \(objects) "
                + "\(group["fix"] as? [String] ?? [])"
        }
    }

    /// `id: reason` per rejected input, in order.
    static func rejected(_ html: String) -> [String] {
        html.components(separatedBy: "<tr data-id=\"").dropFirst().map { row in
            let reason = row.components(separatedBy: #"<td class="reason">"#).dropFirst().first?.prefix { $0 != "<" }
            return "\(row.prefix { $0 != "\"" }): \(AsOfHTML.unescaped(String(reason ?? "")))"
        }
    }

    static func rejected(_ list: [String: Any]) -> [String] {
        (list["inputs"] as? [[String: Any]] ?? []).map { input in
            let conflict = (input["conflicts_with_position"] as? Int).map {
                " (conflicts with the event at position \($0))"
            }
            return "\(input["id"] as? Int ?? -1): \(input["reason"] as? String ?? "")\(conflict ?? "")"
        }
    }
}

/// The as-of page and the inbox in a real browser: Chromium (Debian's `chromium`, `chromium-driver`) driven
/// by Selenium (Tests/Scripts/console_browser_asof_inbox.py) against a `ledger serve` over a generated
/// history: the slider moved with the arrow keys shows what `ledger state --at-position --json` prints for the
/// position the page names, a typed time what `ledger state --as-of --json` prints, and the inbox what `ledger
/// parked --json` and `ledger rejected --json` print. A missing browser fails the test. Screenshots go to a
/// temporary folder, or to `LEDGER_UI_SCREENSHOTS` (`docs/ui` refreshes asof.png and inbox.png).
@Suite("audit console as-of and inbox in Chromium")
struct ConsoleAsOfInboxBrowserTests {
    @Test func sliderTimeAndInboxInChromiumEqualTheCLI() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asof-inbox-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let subscription = try ConsoleAsOfInboxTests.chunkedHistory(database, in: directory)
            try ConsoleAsOfInboxTests.ingestParkedAndRejected(
                database, in: directory,
                template: try String(contentsOf: directory.appendingPathComponent("events.jsonl"), encoding: .utf8)
                    .split(separator: "\n").map(String.init))
            let projected = try runLedger(["project"], environment: ["DATABASE_URL": database.url])
            #expect(projected.status == 0, "\(projected.standardError)")
            let spec = try Self.spec(subscription, database: database, directory: directory)
            let served = try await ServedLedger.start(databaseURL: database.url)
            do {
                try await Self.drive(served, spec: spec)
            } catch {
                await served.stop()
                throw error
            }
            await served.stop()
        }
    }

    /// What the script compares the pages with, printed by the CLI.
    static func spec(_ subscription: String, database: TestDatabase, directory: URL) throws -> [String: Any] {
        func ledger(_ arguments: [String]) throws -> String {
            let output = try runLedger(arguments, environment: ["DATABASE_URL": database.url])
            #expect(output.status == 0, "\(arguments): \(output.standardError)")
            return output.standardOutput
        }
        func object(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }
        let history = try ledger(["history", subscription, "--include-payments", "--json"]).split(separator: "\n")
            .compactMap { try object(String($0)) as? [String: Any] }
        let positions = history.compactMap { $0["position"] as? Int }
        #expect(positions.count >= 3, "the subscription should have a history worth sliding over")
        let first = try #require(positions.first)
        var states: [String: Any] = [:]
        for position in [first - 1] + positions {
            states[String(position)] = try object(
                try ledger(["state", subscription, "--at-position", String(position), "--json"]))
        }
        let time = try #require(history[history.count / 2]["recorded_at"] as? String)
        let screenshots =
            ProcessInfo.processInfo.environment["LEDGER_UI_SCREENSHOTS"].flatMap { $0.isEmpty ? nil : $0 }.map {
                Repository.root.appendingPathComponent($0).path
            } ?? directory.appendingPathComponent("screenshots").path
        return [
            "token": ServedLedger.token, "subscription": subscription, "states": states,
            "as_of": [
                "time": time, "state": try object(try ledger(["state", subscription, "--as-of", time, "--json"])),
            ],
            "compare": ["from": first, "at": try #require(positions.last)],
            "parked": try object(try ledger(["parked", "--json"])),
            "rejected": try object(try ledger(["rejected", "--json"])), "screenshots": screenshots,
        ]
    }

    static func drive(_ served: ServedLedger, spec: [String: Any]) async throws {
        var spec = spec
        spec["base"] = "http://127.0.0.1:\(served.port)"
        let script = Repository.root.appendingPathComponent("Tests/Scripts/console_browser_asof_inbox.py").path
        let output = try await PythonTools.run(
            "python", [script], input: try JSONSerialization.data(withJSONObject: spec))
        #expect(output.status == 0, "console_browser_asof_inbox.py: \(output.standardOutput)\n\(output.standardError)")
        let summary = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
        #expect((summary?["failures"] as? [String]) == [], "\(output.standardOutput)")
        let pages = summary?["pages"] as? [String] ?? []
        for page in ["asof-slider-back", "asof-slider-forward", "asof", "inbox"] {
            #expect(pages.contains(page), "no screenshot of \(page): \(pages)")
        }
    }
}
