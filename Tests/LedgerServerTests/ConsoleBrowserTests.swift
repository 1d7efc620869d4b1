import Foundation
import LedgerCore
import LedgerServer
import LedgerTestSupport
import Testing

/// The audit console in a real browser: Chromium (Debian's `chromium`, `chromium-driver`) driven by
/// Selenium (Tests/Scripts/console_browser.py, in the venv tools/test-venv makes) against a `ledger
/// serve` over a generated history. A missing browser fails the test; it is never skipped.
///
/// Screenshots of each page go to a temporary folder, or to `LEDGER_UI_SCREENSHOTS` (relative to the
/// checkout): `LEDGER_UI_SCREENSHOTS=docs/ui` refreshes the ones the README shows.
@Suite("audit console in Chromium")
struct ConsoleBrowserTests {
    static let hostileStrings = ["<script>alert(1)</script>", #""><img src=x onerror=alert(1)>"#]
    /// The Stripe id of the event that writes them.
    static let hostileEventID = "evt_console_hostile_markup"

    @Test func signInSearchTimelineAndHostileMetadataInChromium() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let history = try Self.generatedHistory(database, in: directory)
            let served = try await ServedLedger.start(databaseURL: database.url)
            do {
                try await Self.drive(served, database: database, history: history, directory: directory)
            } catch {
                await served.stop()
                throw error
            }
            await served.stop()
        }
    }

    /// Runs console_browser.py against `served` and checks what it reports.
    static func drive(
        _ served: ServedLedger, database: TestDatabase, history: (subscription: String, hostileSubscription: String),
        directory: URL
    ) async throws {
        let printed = try runLedger(
            ["history", history.subscription, "--include-payments", "--json"],
            environment: ["DATABASE_URL": database.url])
        #expect(printed.status == 0, "\(printed.standardError)")
        let expected = try printed.standardOutput.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8))
        }
        #expect(expected.count >= 3, "the searched subscription should have a history worth comparing")
        let screenshots =
            ProcessInfo.processInfo.environment["LEDGER_UI_SCREENSHOTS"].flatMap { $0.isEmpty ? nil : $0 }.map {
                Repository.root.appendingPathComponent($0).path
            } ?? directory.appendingPathComponent("screenshots").path
        let spec: [String: Any] = [
            "base": "http://127.0.0.1:\(served.port)", "token": ServedLedger.token,
            "protected": ConsoleTests.pagePaths.map {
                $0.replacingOccurrences(of: "sub_x", with: history.subscription)
            },
            "subscription": history.subscription, "expected": expected,
            "page_size": Limits.consoleTimelinePageEvents, "small_page": max(1, (expected.count - 1) / 3),
            "hostile": [
                "subscription": history.hostileSubscription, "strings": hostileStrings,
                "event": hostileEventID,
            ],
            "screenshots": screenshots,
        ]
        let script = Repository.root.appendingPathComponent("Tests/Scripts/console_browser.py").path
        let output = try await PythonTools.run(
            "python", [script], input: try JSONSerialization.data(withJSONObject: spec))
        #expect(output.status == 0, "console_browser.py: \(output.standardOutput)\n\(output.standardError)")
        let summary = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
        #expect((summary?["failures"] as? [String]) == [], "\(output.standardOutput)")
        #expect((summary?["checked_events"] as? Int) == expected.count)
        let pages = summary?["pages"] as? [String] ?? []
        for page in [
            "login", "search", "subscription", "subscription-paged", "subscription-body", "customer",
            "hostile-metadata", "hostile-body",
        ] {
            #expect(pages.contains(page), "no screenshot of \(page): \(pages)")
        }
    }

    /// A generated history, plus one event that writes markup into a subscription's metadata; the
    /// subscription with the most events is the one searched, the runner-up carries the markup.
    static func generatedHistory(_ database: TestDatabase, in directory: URL) throws -> (
        subscription: String, hostileSubscription: String
    ) {
        let events = directory.appendingPathComponent("events.jsonl")
        let fixtures = directory.appendingPathComponent("fixtures.sql")
        let environment = ["DATABASE_URL": database.url]
        let generated = try runLedger(
            [
                "generate", "--customers", "6", "--months", "4", "--seed", "16", "--out", events.path,
                "--fixtures-sql", fixtures.path,
            ], environment: environment)
        #expect(generated.status == 0, "\(generated.standardError)")
        try database.connect().execute(try String(contentsOf: fixtures, encoding: .utf8))

        var lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map(String.init)
        var newest: [String: [String: Any]] = [:]
        var counts: [String: Int] = [:]
        for line in lines {
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                (event["type"] as? String)?.hasPrefix("customer.subscription.") == true,
                let object = (event["data"] as? [String: Any])?["object"] as? [String: Any],
                let id = object["id"] as? String
            else { continue }
            counts[id, default: 0] += 1
            if ((event["created"] as? Int) ?? 0) >= ((newest[id]?["created"] as? Int) ?? 0) { newest[id] = event }
        }
        let ranked = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let (searched, hostile) = (try #require(ranked.first), try #require(ranked.dropFirst().first))
        var event = try #require(newest[hostile])
        var data = try #require(event["data"] as? [String: Any])
        var object = try #require(data["object"] as? [String: Any])
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        metadata["note"] = hostileStrings[0]
        metadata["label"] = hostileStrings[1]
        object["metadata"] = metadata
        data["object"] = object
        event["data"] = data
        event["id"] = hostileEventID
        event["type"] = "customer.subscription.updated"
        event["created"] = ((event["created"] as? Int) ?? 0) + 1
        lines.append(String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self))
        try (lines.joined(separator: "\n") + "\n").write(to: events, atomically: true, encoding: .utf8)

        let ingested = try runLedger(["ingest", "stripe", events.path], environment: environment)
        #expect(ingested.status == 0, "\(ingested.standardError)")
        return (searched, hostile)
    }
}
