import AsyncHTTPClient
import Foundation
import LedgerCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// How the client reaches Stripe.
public struct StripeClientConfiguration: Sendable {
    /// Stripe's API; tests point it at a local server.
    public static let defaultAPIBase = "https://api.stripe.com"
    /// The `Stripe-Version` every request sends (docs/0013): the last version before Stripe's named
    /// releases, whose subscriptions still carry their periods, a shape the projection reads. Events
    /// are not affected: Stripe renders each listed event in the version it was created with.
    public static let pinnedAPIVersion = "2024-06-20"
    /// Requests per second by default: below Stripe's documented read limits (100/s live, 25/s test),
    /// so a sync leaves the rest of the account's budget to the application.
    public static func defaultRequestsPerSecond(for mode: LedgerMode) -> Double {
        switch mode {
        case .live: 80
        case .test: 20
        }
    }

    public var apiBase: String
    /// `Stripe-Account`: act on this connected account (`acct_…`).
    public var account: String?
    public var apiVersion: String
    public var requestsPerSecond: Double
    /// The longest one attempt may take, connection and body included.
    public var requestTimeout: Duration
    public var retry: StripeRetryPolicy
    /// The largest response body read; a longer one is an error (a page of 100 events is far smaller).
    public var responseBytesMax: Int

    public init(
        apiBase: String = Self.defaultAPIBase, account: String? = nil, apiVersion: String = Self.pinnedAPIVersion,
        requestsPerSecond: Double, requestTimeout: Duration = .seconds(30), retry: StripeRetryPolicy = .init(),
        responseBytesMax: Int = Limits.stripeResponseBytesMax
    ) {
        self.apiBase = apiBase
        self.account = account
        self.apiVersion = apiVersion
        self.requestsPerSecond = requestsPerSecond
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.responseBytesMax = responseBytesMax
    }
}

/// A successful answer: the body as received and Stripe's clock.
public struct StripeResponse: Sendable {
    public var body: [UInt8]
    /// The response's `Date` header: Stripe's clock when it answered (nil if absent or unreadable).
    public var date: EventTime?
    /// Attempts it took (1 when the first succeeded).
    public var attempts: Int
}

/// A request Stripe (or the network) did not answer with a success, after the retries it deserved.
///
/// The message never holds the API key: Stripe's own message is quoted with the key redacted.
public struct StripeAPIError: Error, Sendable, CustomStringConvertible {
    /// The last HTTP status, nil when no response came.
    public var status: Int?
    public var path: String
    public var attempts: Int
    public var message: String

    public var description: String {
        let what = status.map { "HTTP \($0)" } ?? "no response"
        let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
        return "Stripe GET \(path): \(what) after \(tries): \(message)"
    }
}

/// A read-only Stripe API client on AsyncHTTPClient: rate-limited, retrying, paginating.
///
/// One client is shared by the tasks of a command; ``shutdown()`` must be called once at the end.
public final class StripeClient: Sendable {
    private let key: StripeAPIKey
    public let configuration: StripeClientConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private let schedule: Mutex<RequestSchedule>
    private let origin = ContinuousClock.now
    private let jitter: @Sendable () -> Double

    /// - Parameter jitter: a number in `0..<1` per retry; tests pass a seeded source.
    public init(
        key: StripeAPIKey, configuration: StripeClientConfiguration, logger: Logger,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.key = key
        self.configuration = configuration
        self.logger = logger
        self.jitter = jitter
        self.schedule = Mutex(RequestSchedule(requestsPerSecond: configuration.requestsPerSecond))
        let seconds = TimeAmount.nanoseconds(
            configuration.requestTimeout.components.seconds * 1_000_000_000
                + configuration.requestTimeout.components.attoseconds / 1_000_000_000)
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: seconds))
        http.httpVersion = .automatic
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// `GET path?query`, retried as ``StripeRetryPolicy`` says; throws ``StripeAPIError`` otherwise.
    public func get(_ path: String, query: [(String, String)] = []) async throws -> StripeResponse {
        let url = configuration.apiBase.trimmingTrailingSlash + path + Self.encode(query)
        var attempt = 0
        while true {
            attempt += 1
            try await waitForSlot()
            let outcome: StripeRetryPolicy.Attempt
            var failure: (status: Int?, message: String)
            do {
                let response = try await http.execute(request(url), timeout: timeAmount(configuration.requestTimeout))
                let status = Int(response.status.code)
                let body = Array(
                    try await response.body.collect(upTo: configuration.responseBytesMax).readableBytesView)
                if (200..<300).contains(status) {
                    logger.debug("stripe GET", metadata: ["path": "\(path)", "status": "\(status)"])
                    return StripeResponse(
                        body: body, date: response.headers.first(name: "Date").flatMap(Self.httpDate),
                        attempts: attempt)
                }
                outcome = .response(
                    status: status, retryAfter: response.headers.first(name: "Retry-After"),
                    shouldRetry: response.headers.first(name: "Stripe-Should-Retry"))
                failure = (status, key.redacting(Self.errorMessage(body)))
            } catch let error as CancellationError {
                throw error
            } catch {
                outcome = .noResponse
                failure = (nil, key.redacting(String(describing: error)))
            }
            switch configuration.retry.decide(after: attempt, outcome, jitter: jitter()) {
            case .accept, .giveUp:
                throw StripeAPIError(status: failure.status, path: path, attempts: attempt, message: failure.message)
            case .retry(let delay):
                logger.info(
                    "stripe GET retried",
                    metadata: [
                        "path": "\(path)", "attempt": "\(attempt)",
                        "status": "\(failure.status.map(String.init) ?? "none")",
                        "delay_ms":
                            "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Every page of a list endpoint, in Stripe's order, through `has_more`/`starting_after` (from the object
    /// after `startingAfter` when given); `body` gets each page with its response (for the `Date`), and returns
    /// false to stop early.
    public func forEachPage(
        _ path: String, query: [(String, String)], limit: Int = 100, startingAfter first: String? = nil,
        _ body: (StripeListPage, StripeResponse) async throws -> Bool
    ) async throws {
        var startingAfter = first
        while true {
            var pageQuery = query + [("limit", "\(limit)")]
            if let startingAfter { pageQuery.append(("starting_after", startingAfter)) }
            let response = try await get(path, query: pageQuery)
            let page = try StripeListPage(bytes: response.body)
            guard try await body(page, response) else { return }
            guard page.hasMore, let last = page.elements.last else { return }
            guard let id = try? JSONTape(parsing: Array(last)).root["id"].string, !id.isEmpty else {
                throw StripeListPage.Malformed(reason: "the last element has no `id` to continue after")
            }
            startingAfter = id
        }
    }

    private func request(_ url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Authorization", value: "Bearer \(key.secret)")
        request.headers.add(name: "Stripe-Version", value: configuration.apiVersion)
        request.headers.add(name: "User-Agent", value: "ledger/\(LedgerVersion.current)")
        if let account = configuration.account { request.headers.add(name: "Stripe-Account", value: account) }
        return request
    }

    /// Sleeps until the rate limit lets the next request start.
    private func waitForSlot() async throws {
        let now = ContinuousClock.now - origin
        let start = schedule.withLock { $0.reserve(now: now) }
        if start > now { try await Task.sleep(for: start - now) }
    }

    private func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}

extension StripeClient {
    /// `?a=1&created%5Bgte%5D=2`: keys and values percent-encoded, nothing but RFC 3986's unreserved left as is.
    static func encode(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        func escape(_ text: String) -> String {
            var result = ""
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                    UInt8(ascii: "~"):
                    result.unicodeScalars.append(Unicode.Scalar(byte))
                default:
                    result += String(format: "%%%02X", byte)
                }
            }
            return result
        }
        return "?" + query.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// Stripe's `{"error":{"message":…}}`, else the start of the body.
    static func errorMessage(_ body: [UInt8]) -> String {
        if let tape = try? JSONTape(parsing: body), let message = tape.root["error"]["message"].string {
            return message
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.isEmpty ? "empty body" : text
    }

    /// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate) as a time.
    static func httpDate(_ text: String) -> EventTime? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text.trimmingWhitespace).map { EventTime($0) }
    }
}

extension String {
    var trimmingTrailingSlash: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
