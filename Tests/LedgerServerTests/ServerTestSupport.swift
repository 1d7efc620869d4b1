import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import Testing

/// The Python virtual environment tools/test makes (`stripe`, `schemathesis`).
///
/// `LEDGER_TEST_VENV`, else `.build-venv` in the checkout. Missing is a failure, never a skip: the
/// independent signer and the fuzzer are part of what the tests prove.
enum PythonTools {
    static func venv() throws -> URL {
        let configured = ProcessInfo.processInfo.environment["LEDGER_TEST_VENV"].flatMap { $0.isEmpty ? nil : $0 }
        let folder = configured.map(URL.init(fileURLWithPath:)) ?? Repository.root.appendingPathComponent(".build-venv")
        guard FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("bin/python").path) else {
            throw TestSupportError(
                "no Python virtual environment at \(folder.path): run the tests with tools/test, which creates it "
                    + "(python3 -m venv .build-venv; pip install stripe schemathesis), or set LEDGER_TEST_VENV")
        }
        return folder
    }

    /// Runs `executable` from the venv's `bin` with `arguments` and `input`, off the cooperative pool.
    static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(), workingDirectory: URL = Repository.root
    ) async throws -> ProcessOutput {
        let path = try venv().appendingPathComponent("bin/\(executable)")
        return try await BackgroundThread("test.python") {
            let process = Process()
            process.executableURL = path
            process.arguments = arguments
            process.currentDirectoryURL = workingDirectory
            let output = Pipe()
            let errors = Pipe()
            let standardInput = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = standardInput
            try process.run()
            // Standard error drained beside standard output, so a chatty child never blocks on a full pipe.
            let drained = DispatchGroup()
            let complaints = ResultBox()
            drained.enter()
            Thread.detachNewThread {
                complaints.data = errors.fileHandleForReading.readDataToEndOfFile()
                drained.leave()
            }
            standardInput.fileHandleForWriting.write(input)
            try standardInput.fileHandleForWriting.close()
            let printed = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            drained.wait()
            return ProcessOutput(
                status: process.terminationStatus, standardOutput: String(decoding: printed, as: UTF8.self),
                standardError: String(decoding: complaints.data, as: UTF8.self))
        }.value
    }

    /// `Stripe-Signature` headers made by Stripe's own Python library (`stripe.WebhookSignature`).
    static func stripeSignatures(_ requests: [(payload: [UInt8], secret: String, timestamp: Int64)]) async throws
        -> [String]
    {
        let items = requests.map {
            [
                "payload_base64": Data($0.payload).base64EncodedString(), "secret": $0.secret,
                "timestamp": "\($0.timestamp)",
            ]
        }
        // The timestamp goes as a number: the script formats it into the signed payload.
        var json = try JSONSerialization.data(withJSONObject: items)
        json = Data(
            String(decoding: json, as: UTF8.self).replacingOccurrences(
                of: #""timestamp":"(-?[0-9]+)""#, with: #""timestamp":$1"#, options: .regularExpression
            ).utf8)
        let script = Repository.root.appendingPathComponent("Tests/Scripts/stripe_sign.py").path
        let output = try await run("python", [script], input: json)
        guard output.status == 0 else { throw TestSupportError("stripe_sign.py failed: \(output.standardError)") }
        guard let headers = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String] else {
            throw TestSupportError("stripe_sign.py printed no list: \(output.standardOutput)")
        }
        return headers
    }
}

/// Bytes one thread writes and another reads after a `DispatchGroup` wait.
final class ResultBox: @unchecked Sendable {
    var data = Data()
}

/// Now, in Unix seconds.
func unixNow() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// A Stripe webhook fixture with its `evt_…` id made unique (the recorded fixtures share one).
struct WebhookFixture {
    var name: String
    var body: [UInt8]
    var eventID: String

    /// Every fixture of `webhook-events-2020-08-27`, each with its own event id.
    static func all(prefix: String = "evt_fixture") throws -> [WebhookFixture] {
        let folder = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            .sorted()
        return try files.enumerated().map { index, file in
            let original = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let id = "\(prefix)\(index)"
            let unique = original.replacingOccurrences(
                of: #""evt_0+""#, with: "\"\(id)\"", options: .regularExpression)
            return WebhookFixture(name: file, body: Array(unique.utf8), eventID: id)
        }
    }
}

/// A minimal valid subscription event with id `id`.
func subscriptionEvent(_ id: String, subscription: String = "sub_test1", created: Int64 = 1_700_000_000) -> [UInt8] {
    Array(
        #"{"id":"\#(id)","object":"event","type":"customer.subscription.updated","created":\#(created),"data":{"object":{"id":"\#(subscription)","object":"subscription","customer":"cus_test1"}}}"#
            .utf8)
}

/// Our own signer (LedgerCore), for the cases Stripe's library would refuse to make.
func sign(_ body: [UInt8], secret: String = ServedLedger.secret, at timestamp: Int64 = unixNow()) -> String {
    StripeSignature.header(payload: body, secret: secret, timestamp: timestamp)
}

/// Events stored in the log, and how many have `source_event_id`.
func storedCount(_ database: TestDatabase, sourceEventID: String? = nil) throws -> Int {
    let connection = try database.connect()
    if let sourceEventID {
        return try connection.query(
            "SELECT count(*) FROM ledger.events WHERE source_event_id = $1", [sourceEventID])[0].decode(at: 0)
    }
    return try connection.query("SELECT count(*) FROM ledger.events")[0].decode(at: 0)
}

/// Polls until `condition` holds, failing the test after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(120), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting until \(what)")
            return
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
