import Foundation
import LedgerCore
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

/// Header values and query parameters mutated with a seeded generator against a running `ledger
/// serve` (issue 13, "the HTTP edge"). Properties: no answer is a 5xx other than a documented 503,
/// every answer is a status `docs/openapi.yaml` lists for the route, the process never exits, and
/// `/healthz` answers 200 after the run.
///
/// `LEDGER_FUZZ_SEED` picks the seed (default 13) and `LEDGER_FUZZ_SECONDS` the budget (default 6 s,
/// so the whole test stays under 20 s); `tools/fuzz` runs it longer. Every failure prints the seed,
/// the request number and the request, so `LEDGER_FUZZ_SEED=<seed>` reproduces it.
@Suite("HTTP fuzz: mutated headers and query values against ledger serve")
struct HTTPFuzzPropertyTests {
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["LEDGER_FUZZ_SEED"].flatMap { UInt64($0) } ?? 13
    }
    static var seconds: Int {
        ProcessInfo.processInfo.environment["LEDGER_FUZZ_SECONDS"].flatMap { Int($0) } ?? 6
    }

    @Test func mutatedHeadersAndQueryValuesGetOnlyDocumentedAnswers() async throws {
        let seed = Self.seed
        let budget = Duration.seconds(Self.seconds)
        let documented = try OpenAPIStatuses.load()
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            // Something to read, so the read API answers 200 as well as 4xx.
            let stored = subscriptionEvent("evt_http_fuzz", subscription: "sub_fuzz")
            #expect(try await server.postWebhook(stored, signature: sign(stored)).status == 200)
            let port = server.port
            let process = server.process
            let run = try await BackgroundThread("test.http-fuzz") { () -> FuzzRun in
                var generator = HTTPFuzzGenerator(seed: seed)
                var run = FuzzRun()
                let deadline = ContinuousClock.now + budget
                while ContinuousClock.now < deadline, process.isRunning {
                    let request = generator.request(number: run.requests)
                    run.requests += 1
                    let outcome = Self.send(request, port: port)
                    run.record(outcome, for: request, documented: documented, seed: seed)
                }
                return run
            }.value
            for failure in run.failures.prefix(20) { Issue.record("\(failure)") }
            #expect(run.failures.isEmpty, "seed \(seed): \(run.failures.count) of \(run.requests) requests failed")
            #expect(process.isRunning, "ledger serve exited during the run (seed \(seed))")
            #expect(try await server.request("GET", "/healthz").status == 200, "seed \(seed)")
            print(
                "HTTP fuzz: seed \(seed), \(run.requests) requests in \(Self.seconds) s, statuses \(run.statuses.sorted { $0.key < $1.key }), "
                    + "\(run.closedWithoutAnswer) closed without an answer")
            #expect(run.requests > 0)
            let output = await server.stop()
            #expect(output.status == 0, "seed \(seed): \(output.standardError.suffix(2000))")
        }
    }

    /// One request on a fresh connection, its sending side closed after it so an announced length
    /// the body does not have ends at once; the answer, or nil when the server closed without one.
    static func send(_ request: FuzzRequest, port: Int) -> LoopbackHTTPResponse? {
        guard let connection = try? LoopbackHTTPConnection(port: port, timeoutSeconds: 30) else { return nil }
        defer { connection.close() }
        do {
            try connection.sendWithoutReading(request.bytes)
        } catch {
            // The server may refuse a head early (too large) and close: read what it answered.
        }
        connection.finishSending()
        return try? connection.readResponse()
    }
}

/// What a run saw.
struct FuzzRun: Sendable {
    var requests = 0
    var statuses: [Int: Int] = [:]
    var closedWithoutAnswer = 0
    var failures: [String] = []

    mutating func record(
        _ response: LoopbackHTTPResponse?, for request: FuzzRequest, documented: OpenAPIStatuses, seed: UInt64
    ) {
        guard let response else {
            // Closing a connection whose request is not valid HTTP is an answer HTTP allows; a valid
            // request must be answered.
            closedWithoutAnswer += 1
            if !request.mayBeInvalidHTTP {
                failures.append("seed \(seed) request \(request.number): no answer to \(request.summary)")
            }
            return
        }
        statuses[response.status, default: 0] += 1
        let allowed = documented.statuses(request.method, request.route)
        if response.status >= 500 && response.status != 503 {
            failures.append(
                "seed \(seed) request \(request.number): \(response.status) \(response.text.prefix(200)) for \(request.summary)"
            )
        } else if !allowed.contains(response.status) {
            failures.append(
                "seed \(seed) request \(request.number): \(response.status) is not documented for "
                    + "\(request.method) \(request.route) (documented: \(allowed.sorted())) for \(request.summary)")
        } else if response.status == 400, !request.mayBeInvalidHTTP, !request.route.hasPrefix("/v1"),
            request.route != "/webhooks/stripe"
        {
            // The operations endpoints take no input: only a request that is not valid HTTP gets a 400 there.
            failures.append("seed \(seed) request \(request.number): 400 for valid HTTP: \(request.summary)")
        } else if response.status == 503 && response.header("retry-after") == nil {
            failures.append("seed \(seed) request \(request.number): 503 without Retry-After for \(request.summary)")
        }
    }
}

/// The statuses `docs/openapi.yaml` lists per operation, read from its `paths` (the document's
/// own layout: path at 2 spaces, method at 4, status keys at 8).
struct OpenAPIStatuses: Sendable {
    var byOperation: [String: Set<Int>]

    static func load() throws -> OpenAPIStatuses {
        let text = try String(
            contentsOf: Repository.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var byOperation: [String: Set<Int>] = [:]
        var path: String?
        var method: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
            } else if line.hasPrefix("        \""), !line.hasPrefix("         "), let path, let method {
                let key = line.trimmingCharacters(in: .whitespaces).dropFirst().prefix(3)
                if let status = Int(key) { byOperation["\(method) \(path)", default: []].insert(status) }
            }
        }
        guard byOperation.count >= 9 else {
            throw TestSupportError("docs/openapi.yaml: read only \(byOperation.count) operations: \(byOperation)")
        }
        return OpenAPIStatuses(byOperation: byOperation)
    }

    func statuses(_ method: String, _ route: String) -> Set<Int> { byOperation["\(method) \(route)"] ?? [] }
}

/// One generated request: its bytes and what to say about it.
struct FuzzRequest: Sendable {
    var number: Int
    var method: String
    /// The OpenAPI path template it goes to.
    var route: String
    var bytes: [UInt8]
    var summary: String
    /// Its head or framing may be invalid HTTP (a control byte in a header, a mutated length).
    var mayBeInvalidHTTP: Bool
}

/// Requests to every route with header values and query parameters mutated.
struct HTTPFuzzGenerator {
    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    static let numbers = [
        "0", "-0", "-1", "1", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "1e3", "1E309", "-1e-7", "1.5", "0.0", "NaN", "Infinity",
        "-Infinity", "0x10", "+5", "00000000000000000001", String(repeating: "9", count: 300),
    ]
    /// Bytes no header or query value should carry, and sizes past every bound.
    static let strange: [[UInt8]] = [
        [], [0], [1], [0x1F], [0x7F], [0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        Array("%00".utf8), Array("%FF%FE".utf8), Array("%ED%A0%80".utf8), Array("%C0%80".utf8), Array("%".utf8),
        Array("%G1".utf8), Array("\u{1F600}".utf8), Array(" ".utf8), Array(",".utf8), Array("=".utf8),
        Array(";".utf8), Array("\\".utf8), Array(repeating: UInt8(ascii: "a"), count: 300),
        Array(repeating: UInt8(ascii: "7"), count: 650), Array(repeating: UInt8(ascii: "x"), count: 9_000),
        Array(repeating: UInt8(ascii: "y"), count: 40_000),
    ]

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    /// A value to put where a header or query value goes: a boundary number, strange bytes, or a
    /// valid value with strange bytes inserted.
    mutating func value(around valid: String) -> (bytes: [UInt8], invalidHTTP: Bool) {
        var bytes: [UInt8]
        switch Int.random(in: 0..<5, using: &random) {
        case 0: bytes = Array(pick(Self.numbers).utf8)
        case 1: bytes = pick(Self.strange)
        case 2:
            bytes = Array(valid.utf8)
            let insert = pick(Self.strange)
            bytes.insert(contentsOf: insert, at: Int.random(in: 0...bytes.count, using: &random))
        case 3: bytes = Array(valid.utf8) + Array(pick(Self.numbers).utf8)
        default: bytes = Array(valid.utf8)
        }
        // CR, LF and NUL end or break a header line; other control bytes and non-ASCII are invalid
        // field values that an HTTP parser may refuse before routing.
        let invalid = bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 >= 0x80 } || bytes.count > 8_000
        return (bytes, invalid)
    }

    /// A query value, percent-encoding what a request line cannot carry raw.
    mutating func queryValue(around valid: String) -> String {
        let (bytes, _) = value(around: valid)
        return bytes.map { byte -> String in
            let scalar = Unicode.Scalar(byte)
            // `&`, `#`, `/` and `?` would change which parameter or route the value lands in.
            if byte > 0x20, byte < 0x7F, !Array("&#/?".utf8).contains(byte) {
                return String(Character(scalar))
            }
            return String(format: "%%%02X", byte)
        }.joined()
    }

    mutating func request(number: Int) -> FuzzRequest {
        let routes: [(String, String)] = [
            ("POST", "/webhooks/stripe"), ("POST", "/webhooks/stripe"), ("GET", "/v1/events"),
            ("GET", "/v1/subscriptions/{ref}"), ("GET", "/v1/subscriptions/{ref}/history"), ("GET", "/v1/status"),
            ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.yaml"),
        ]
        let (method, route) = pick(routes)
        var path = route.replacingOccurrences(
            of: "{ref}", with: chance(70) ? "sub_fuzz" : queryValue(around: "sub_fuzz"))
        let parameters: [String: String] = [
            "/v1/events": "after", "/v1/subscriptions/{ref}": "as_of",
            "/v1/subscriptions/{ref}/history": "include_payments",
        ]
        var query: [String] = []
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            let name =
                chance(80)
                ? pick(["after", "limit", "as_of", "at_position", "include_payments", parameters[route] ?? "limit"])
                : queryValue(around: "x")
            let valid = pick(["10", "2025-03-01T12:00:00Z", "2025-03-01", "true", "0"])
            query.append("\(name)=\(queryValue(around: valid))")
        }
        if !query.isEmpty { path += "?" + query.joined(separator: "&") }

        let body = method == "POST" ? subscriptionEvent("evt_fuzz_\(number)", subscription: "sub_fuzz") : []
        var headers: [(String, [UInt8])] = [("Host", Array("127.0.0.1".utf8))]
        var invalidHTTP = false
        var framingMutated = false
        func add(_ name: String, _ value: (bytes: [UInt8], invalidHTTP: Bool)) {
            headers.append((name, value.bytes))
            invalidHTTP = invalidHTTP || value.invalidHTTP
        }
        if method == "POST" {
            let signature = sign(body)
            if chance(85) {
                add("Stripe-Signature", chance(20) ? (Array(signature.utf8), false) : mutatedSignature(signature))
            }
        }
        if route.hasPrefix("/v1") || chance(20) {
            let bearer = "Bearer \(ServedLedger.token)"
            add("Authorization", chance(50) ? (Array(bearer.utf8), false) : value(around: pick([bearer, "Basic x"])))
        }
        if chance(30) { add("Content-Type", value(around: "application/json")) }
        if chance(25) {
            add("Content-Length", value(around: "\(body.count)"))
            framingMutated = true
        } else if !body.isEmpty || method == "POST" {
            headers.append(("Content-Length", Array("\(body.count)".utf8)))
        }
        if chance(15) {
            add("Transfer-Encoding", value(around: pick(["chunked", "gzip, chunked", "identity"])))
            framingMutated = true
        }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            let name = value(around: pick(["X-Fuzz", "Stripe-Signature", "Authorization", "Accept"]))
            headers.append((String(decoding: name.bytes, as: UTF8.self), value(around: "v").bytes))
            // A name is a token: anything else is invalid HTTP, and so is a strange value.
            invalidHTTP = true
        }

        var bytes = Array("\(method) \(path) HTTP/1.1\r\n".utf8)
        for (name, value) in headers {
            bytes += Array(name.utf8) + Array(": ".utf8) + value + Array("\r\n".utf8)
        }
        bytes += Array("\r\n".utf8) + body
        let summary =
            "\(method) \(path.prefix(120)) with headers "
            + headers.map { "\($0.0.prefix(40))=\(String(decoding: $0.1.prefix(60), as: UTF8.self).debugDescription)" }
            .joined(separator: ", ")
        return FuzzRequest(
            number: number, method: method, route: route, bytes: bytes, summary: summary,
            mayBeInvalidHTTP: invalidHTTP || framingMutated || path.utf8.count > 8_000)
    }

    /// A `Stripe-Signature` with its `t` or `v1` mutated, or the whole value replaced.
    mutating func mutatedSignature(_ valid: String) -> (bytes: [UInt8], invalidHTTP: Bool) {
        let parts = valid.split(separator: ",")
        let hex = parts.count > 1 ? String(parts[1]) : "v1="
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return (Array("t=\(pick(Self.numbers)),\(hex)".utf8), false)
        case 1:
            let (bytes, invalid) = value(around: String(parts[0]))
            return (bytes + Array(",\(hex)".utf8), invalid)
        case 2: return (Array("\(parts[0]),v1=\(pick(Self.numbers))".utf8), false)
        default: return value(around: valid)
        }
    }
}
