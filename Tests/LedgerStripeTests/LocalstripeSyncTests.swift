import Foundation
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// `ledger sync events` against localstripe (a stateful Stripe-compatible server, from PyPI in the test
/// virtual environment): a lifecycle driven with Stripe's own Python SDK, then a sync into an empty ledger.
///
/// localstripe implements `GET /v1/events` (with `created` filters, `limit`, `starting_after`), lists
/// oldest first, and emits no event for refunds (`Refund` creates none); see docs/0013.
@Suite(.serialized) struct LocalstripeSyncTests {
    static let key = "sk_test_localstripe"

    @Test func syncRecoversEveryEventOfALifecycleIntoAnEmptyLedger() async throws {
        let python = try Self.venvPython()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("localstripe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let port = try LoopbackHTTP.freePort()
        let server = try LedgerProcess(
            [Self.script("localstripe_serve.py"), "\(port)", state.path], executable: python)
        defer { server.send(SIGKILL) }
        // Python starting localstripe takes seconds alone, and more under the whole suite's load; the poll runs on
        // threads no blocked test holds.
        try await withTaskExecutorPreference(BlockingWorkExecutor.servers) {
            try await Poll.until("localstripe answers on port \(port)", timeout: .seconds(180)) {
                guard server.isRunning else {
                    throw TestSupportError("localstripe exited: \(server.wait().standardError)")
                }
                let answer = try? await LoopbackHTTP.request(
                    port: port, "GET", "/v1/events", headers: [("Authorization", "Bearer \(Self.key)")])
                return answer?.status == 200
            }
        }
        let base = "http://127.0.0.1:\(port)"
        let lifecycle = try await BackgroundThread("test.localstripe") {
            try LedgerProcess([Self.script("localstripe_lifecycle.py"), base], executable: python).wait()
        }.value
        #expect(lifecycle.status == 0, "\(lifecycle.standardError)")
        let driven = try #require(
            try JSONSerialization.jsonObject(with: Data(lifecycle.standardOutput.utf8)) as? [String: Any])
        let listed = try #require(driven["events"] as? [String])
        #expect(listed.count >= 6, "the lifecycle made too few events: \(listed)")

        try await TestDatabase.withMigrated { database in
            let command = ["sync", "events", "--database-url", database.url, "--api-base", base, "--json"]
            let first = try await BackgroundThread {
                try runLedger(command, environment: ["STRIPE_API_KEY": Self.key])
            }.value
            #expect(first.status == 0, "\(first.standardError)")
            #expect(try summary(first)["appended"] as? Int == listed.count)
            let stored = try storedStripeEvents(database).map(\.id)
            #expect(stored.count == listed.count && Set(stored) == Set(listed), "stored \(stored), listed \(listed)")

            let again = try await BackgroundThread {
                try runLedger(command, environment: ["STRIPE_API_KEY": Self.key])
            }.value
            #expect(again.status == 0, "\(again.standardError)")
            #expect(try summary(again)["appended"] as? Int == 0)
        }
        // aiohttp's run_app here does not exit on SIGTERM; its state is a throwaway directory.
        server.send(SIGKILL)
        _ = try await BackgroundThread { server.wait() }.value
    }

    static func script(_ name: String) -> String {
        Repository.root.appendingPathComponent("Tests/Scripts/\(name)").path
    }

    /// The venv tools/test makes (LEDGER_TEST_VENV, else .build-venv); missing is a failure, never a skip.
    static func venvPython() throws -> URL {
        let configured = ProcessInfo.processInfo.environment["LEDGER_TEST_VENV"].flatMap { $0.isEmpty ? nil : $0 }
        let folder = configured.map(URL.init(fileURLWithPath:)) ?? Repository.root.appendingPathComponent(".build-venv")
        let python = folder.appendingPathComponent("bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestSupportError("no Python virtual environment at \(folder.path): run the tests with tools/test")
        }
        return python
    }
}
