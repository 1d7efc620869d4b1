import Foundation
import LoopbackHTTPClient

/// A `ledger serve` process on a free loopback port, for tests that talk HTTP to the real binary.
public final class ServedLedger: @unchecked Sendable {
    /// The signing secret and API token every served ledger in the tests is started with.
    public static let secret = "whsec_test_9f2c1d0e7b6a5f4e3d2c1b0a"
    public static let token = "test-token-7c1e5a9b3d"

    public let port: Int
    public let process: LedgerProcess

    private init(port: Int, process: LedgerProcess) {
        self.port = port
        self.process = process
    }

    /// Starts `ledger serve` against `databaseURL` and waits until `/healthz` answers.
    ///
    /// `environment` is merged over the default secret and token (set a variable to "" to unset it);
    /// `executable` and `workingDirectory` run a copy of the binary from elsewhere.
    public static func start(
        databaseURL: String, arguments: [String] = [], environment: [String: String] = [:], port: Int? = nil,
        executable: URL? = nil, workingDirectory: URL? = nil
    ) async throws -> ServedLedger {
        guard port == nil else {
            return try await startOnce(
                databaseURL: databaseURL, arguments: arguments, environment: environment, port: port,
                executable: executable, workingDirectory: workingDirectory)
        }
        return try await retryingPortClashes {
            try await startOnce(
                databaseURL: databaseURL, arguments: arguments, environment: environment, port: nil,
                executable: executable, workingDirectory: workingDirectory)
        }
    }

    /// Runs `start` again while the server it starts exits because a port it was given was taken in the
    /// meantime: a free port is only free when it is picked, and other tests pick ports at the same time.
    /// `start` must pick its ports anew on each call.
    public static func retryingPortClashes(
        attempts: Int = 5, _ start: () async throws -> ServedLedger
    ) async throws -> ServedLedger {
        for _ in 1..<attempts {
            do {
                return try await start()
            } catch let error as TestSupportError where error.description.contains("is already in use") {
                continue
            }
        }
        return try await start()
    }

    private static func startOnce(
        databaseURL: String, arguments: [String], environment: [String: String], port: Int?,
        executable: URL?, workingDirectory: URL?
    ) async throws -> ServedLedger {
        let port = try port ?? LoopbackHTTP.freePort()
        var merged = [
            "DATABASE_URL": databaseURL, "STRIPE_WEBHOOK_SECRETS": secret, "LEDGER_API_TOKENS": token,
            "LEDGER_LOG_LEVEL": "warning",
        ]
        for (key, value) in environment { merged[key] = value }
        let process = try LedgerProcess(
            ["serve", "--port", "\(port)"] + arguments, environment: merged, workingDirectory: workingDirectory,
            executable: executable)
        let served = ServedLedger(port: port, process: process)
        try await served.waitUntilUp()
        return served
    }

    /// Polls `/healthz` until it answers 200; fails with the server's output if it exits first.
    ///
    /// The polling runs on a thread of its own, so a busy test run cannot make it miss its deadline.
    public func waitUntilUp(timeout: Duration = .seconds(120)) async throws {
        let (port, process) = (port, process)
        let up = try await BackgroundThread("test.wait-for-server") { () -> Bool in
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, process.isRunning {
                if let response = try? LoopbackHTTPConnection(port: port, timeoutSeconds: 5).send("GET", "/healthz"),
                    response.status == 200
                {
                    return true
                }
                usleep(50_000)
            }
            return false
        }.value
        guard up else {
            process.send(SIGKILL)
            let output = await stop(SIGKILL)
            throw TestSupportError(
                "ledger serve did not answer /healthz on port \(port) (exit status \(output.status)): "
                    + output.standardError.suffix(2000))
        }
    }

    /// One request on a fresh connection.
    public func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> LoopbackHTTPResponse {
        try await LoopbackHTTP.request(port: port, method, path, headers: headers, body: body)
    }

    /// A read API request with the test token.
    public func get(_ path: String, token: String? = ServedLedger.token) async throws -> LoopbackHTTPResponse {
        try await request("GET", path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    /// Posts a webhook body with a `Stripe-Signature` header (none when nil).
    public func postWebhook(_ body: [UInt8], signature: String?) async throws -> LoopbackHTTPResponse {
        var headers = [("Content-Type", "application/json")]
        if let signature { headers.append(("Stripe-Signature", signature)) }
        return try await request("POST", "/webhooks/stripe", headers: headers, body: body)
    }

    /// Sends `signal` and waits for the process to exit.
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM) async -> ProcessOutput {
        process.send(signal)
        let process = process
        // Waiting blocks: on a thread of its own, not the cooperative pool.
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: process.wait()) }
        }
    }
}
