import Foundation
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// localstripe (a stateful Stripe-compatible server, from PyPI in the test virtual environment) on a free
/// loopback port, its state in a throwaway directory, and the scripts that drive it with Stripe's Python SDK.
enum Localstripe {
    static let key = "sk_test_localstripe"

    /// Serves localstripe for the length of `body`, which gets its base URL; kills it after.
    static func serving<T>(_ body: (String) async throws -> T) async throws -> T {
        let python = try venvPython()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("localstripe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let port = try LoopbackHTTP.freePort()
        let server = try LedgerProcess([script("localstripe_serve.py"), "\(port)", state.path], executable: python)
        defer { server.send(SIGKILL) }
        // Python starting localstripe takes seconds alone, and more under the whole suite's load; the poll runs on
        // threads no blocked test holds.
        try await withTaskExecutorPreference(BlockingWorkExecutor.servers) {
            try await Poll.until("localstripe answers on port \(port)", timeout: .seconds(180)) {
                guard server.isRunning else {
                    throw TestSupportError("localstripe exited: \(server.wait().standardError)")
                }
                let answer = try? await LoopbackHTTP.request(
                    port: port, "GET", "/v1/events", headers: [("Authorization", "Bearer \(key)")])
                return answer?.status == 200
            }
        }
        let result = try await body("http://127.0.0.1:\(port)")
        // aiohttp's run_app here does not exit on SIGTERM; its state is a throwaway directory.
        server.send(SIGKILL)
        _ = try await BackgroundThread { server.wait() }.value
        return result
    }

    /// Runs `Tests/Scripts/<name>` with the venv's Python against `base`; its standard output parsed as a JSON object.
    static func drive(_ name: String, base: String) async throws -> [String: Any] {
        let python = try venvPython()
        let output = try await BackgroundThread("test.localstripe") {
            try LedgerProcess([script(name), base], executable: python).wait()
        }.value
        guard output.status == 0 else { throw TestSupportError("\(name) failed: \(output.standardError)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
        else { throw TestSupportError("\(name) printed no JSON object: \(output.standardOutput)") }
        return object
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
