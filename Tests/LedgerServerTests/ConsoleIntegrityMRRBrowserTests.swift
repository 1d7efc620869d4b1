import Foundation
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The integrity and MRR pages in Chromium (Tests/Scripts/console_browser_integrity_mrr.py) against a real
/// `ledger serve` over a generated, projected history with one event's byte changed: verify run from the
/// page names the tampered position, the chart's numbers are `ledger report mrr --format json`'s, the
/// keyboard reaches every control. Screenshots as ``ConsoleBrowserTests`` takes them (`LEDGER_UI_SCREENSHOTS`).
@Suite("audit console in Chromium: integrity and MRR")
struct ConsoleIntegrityMRRBrowserTests {
    @Test func verifyNamesATamperAndTheChartIsTheReportInChromium() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-im-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try ConsoleIntegrityMRRTests.projectedHistory(database, in: directory)
            let environment = ["DATABASE_URL": database.url]

            let days = try #require(
                try database.connect().query("SELECT min(day)::text, max(day)::text FROM mrr_daily", []).first)
            let (from, to) = (try days.decode(String.self, at: 0), try days.decode(String.self, at: 1))
            let printed = try runLedger(
                ["report", "mrr", "--from", from, "--to", to, "--format", "json"], environment: environment)
            #expect(printed.status == 0, "\(printed.standardError)")
            let report = try JSONSerialization.jsonObject(with: Data(printed.standardOutput.utf8))

            let head = try EventStore(connection: try database.connect()).head().position
            let seed = UInt64.random(in: 1...UInt64.max)
            var generator = SeededGenerator(seed: seed)
            let tampered = Int64.random(in: 1...head, using: &generator)
            try ConsoleIntegrityMRRTests.tamper(
                database,
                "UPDATE ledger.events SET body = set_byte(body, 5, get_byte(body, 5) # 4) WHERE position = \(tampered)")

            let screenshots =
                ProcessInfo.processInfo.environment["LEDGER_UI_SCREENSHOTS"].flatMap { $0.isEmpty ? nil : $0 }.map {
                    Repository.root.appendingPathComponent($0).path
                } ?? directory.appendingPathComponent("screenshots").path
            let served = try await ServedLedger.start(databaseURL: database.url)
            do {
                let spec: [String: Any] = [
                    "base": "http://127.0.0.1:\(served.port)", "token": ServedLedger.token, "tampered": tampered,
                    "mrr": report, "screenshots": screenshots,
                ]
                let script = Repository.root.appendingPathComponent("Tests/Scripts/console_browser_integrity_mrr.py")
                let output = try await PythonTools.run(
                    "python", [script.path], input: try JSONSerialization.data(withJSONObject: spec))
                #expect(
                    output.status == 0,
                    "seed \(seed), tampered \(tampered): \(output.standardOutput)\n\(output.standardError)")
                let summary =
                    try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
                #expect((summary?["failures"] as? [String]) == [], "seed \(seed): \(output.standardOutput)")
                #expect((summary?["pages"] as? [String]) == ["integrity", "mrr"])
            } catch {
                await served.stop()
                throw error
            }
            await served.stop()
        }
    }
}
