import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LedgerTestRandom
import LedgerTestSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A scripted Stripe `GET /v1/events` on loopback, for what localstripe cannot do: 429 with
/// `Retry-After`, 5xx, a response slower than the client's timeout, a listing that fails part way,
/// a clock of its own (the `Date` header) and connected accounts (`Stripe-Account`).
///
/// Lists as Stripe does: newest first, `created[gte]`/`created[lt]`, `limit`, `starting_after`,
/// `has_more`; each event's bytes exactly as stored here (pretty-printed, as Stripe sends them).
final class FakeStripe: Sendable {
    /// The key the fake accepts; any other is answered 401 with a message quoting it, as a careless server might.
    static let key = "sk_test_FAKEsecretKEY0123456789"

    struct Event: Sendable {
        var id: String
        var created: Int64
        /// The connected account whose listing holds it ("" for the platform's own).
        var account: String
        var body: [UInt8]
    }

    /// What the fake answers instead of a page.
    enum Fault: Sendable {
        case status(Int, retryAfter: String? = nil, shouldRetry: String? = nil)
        /// The page, but only after this long (longer than the client's timeout: a timeout).
        case delay(Duration)
    }

    struct Request: Sendable {
        var query: [String: String]
        var account: String?
        var version: String?
        var at: ContinuousClock.Instant
        var answered: Int
    }

    struct State: Sendable {
        var events: [Event] = []
        /// Faults for the coming requests, in order (the first request takes the first fault).
        var faults: [Fault] = []
        /// Every listing request with `starting_after` (a page after the first of a window) answers this.
        var failingContinuations: Int?
        /// Once this many listings with items have been answered to their last page, every further request
        /// waits until it is set to nil: a sync stopped part way by the fake itself, however fast or loaded
        /// the machine (a test that polled for the moment to kill could be kept off its thread past the end).
        var holdAfterListings: Int?
        /// Listings with items answered to their last page.
        var listingsEnded = 0
        var requests: [Request] = []
        /// The objects each other list path serves (`/v1/subscriptions`, …), as stored (FakeStripe+Objects).
        var objects: [String: [[UInt8]]] = [:]
    }

    let state: Mutex<State>
    private let port = Mutex<Int?>(nil)

    init() { state = Mutex(State()) }

    var baseURL: String { "http://127.0.0.1:\(port.withLock { $0 } ?? 0)" }
    var requests: [Request] { state.withLock { $0.requests } }

    /// Adds `count` events for `account`, created between `from` and `from + spanSeconds` (several per
    /// second where the seed says so), and returns them.
    @discardableResult
    func addEvents(
        _ count: Int, from: Int64, spanSeconds: Int64, account: String = "", random: inout SeededGenerator
    ) -> [Event] {
        var added: [Event] = []
        for _ in 0..<count {
            let created = from + Int64(random.below(Int(max(spanSeconds, 1))))
            let id = "evt_fake\(String(random.next(), radix: 36))"
            let subscription = "sub_\(String(random.next() % 1_000_000, radix: 36))"
            let accountLine = account.isEmpty ? "" : "\n  \"account\": \"\(account)\","
            let body = """
                {
                  "id": "\(id)",
                  "object": "event",\(accountLine)
                  "api_version": "2024-06-20",
                  "created": \(created),
                  "data": {
                    "object": {
                      "id": "\(subscription)",
                      "object": "subscription",
                      "customer": "cus_\(String(random.next() % 1_000, radix: 36))",
                      "status": "\(random.pick(["active", "trialing", "past_due"]))",
                      "created": \(created)
                    }
                  },
                  "livemode": false,
                  "pending_webhooks": 1,
                  "request": {"id": null, "idempotency_key": null},
                  "type": "\(random.pick(["customer.subscription.created", "customer.subscription.updated"]))"
                }
                """
            added.append(Event(id: id, created: created, account: account, body: Array(body.utf8)))
        }
        state.withLock { $0.events += added }
        return added
    }

    /// Starts listening on a free loopback port, runs `body`, stops.
    func serving<T>(_ body: () async throws -> T) async throws -> T {
        let router = Router()
        router.get("/v1/events") { request, _ in try await self.list(request) }
        for path in Self.objectPaths { router.get(RouterPath(path)) { request, _ in try await self.list(request) } }
        let responder = router.buildResponder()
        let logger = Logger(label: "fake-stripe")
        // HummingbirdCore's server, not an `Application`: an application's `Date` comes from a cache that a
        // timer refreshes on Swift's two shared threads, which the whole suite's blocked tests can hold for
        // minutes, so Stripe's clock stood still (ServeSyncTests waited for a tick that never came). The
        // fake's clock is the wall clock read at each response.
        let channel = HTTP1Channel { request, responseWriter, channel in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            var response = try await responder.respond(to: request, context: context)
            response.headers[.date] = Self.httpDate(Date())
            try await responseWriter.write(response: response.head, body: response.body)
        }
        let server = Server(
            childChannelSetup: channel, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port } },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        // On threads of its own: a test that blocks on `ledger sync` (a child process) while every other
        // thread is taken by blocked tests must still get its answers, and its requests' times.
        let running = Task(executorPreference: BlockingWorkExecutor.servers) { try await server.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(60)
        while port.withLock({ $0 }) == nil {
            guard ContinuousClock.now < deadline else { throw FakeStripeError.notListening }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await body()
    }

    private func list(_ request: Request_) async throws -> Response {
        let query = Self.query(request.uri.query ?? "")
        let account = request.headers[.stripeAccount]
        let (fault, answered) = state.withLock { state in
            let fault: Fault? =
                state.faults.isEmpty
                ? (query["starting_after"] != nil ? state.failingContinuations.map { .status($0) } : nil)
                : state.faults.removeFirst()
            state.requests.append(
                Request(
                    query: query, account: account, version: request.headers[.stripeVersion],
                    at: .now, answered: 0))
            return (fault, state.requests.count - 1)
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        guard request.headers[.authorization] == "Bearer \(Self.key)" else {
            let presented = request.headers[.authorization] ?? ""
            return Self.response(
                .unauthorized, headers: headers,
                "{\"error\":{\"message\":\"Invalid API Key provided: \(presented)\",\"type\":\"invalid_request_error\"}}"
            )
        }
        switch fault {
        case .status(let code, let retryAfter, let shouldRetry)?:
            if let retryAfter { headers[.retryAfter] = retryAfter }
            if let shouldRetry { headers[.stripeShouldRetry] = shouldRetry }
            state.withLock { $0.requests[answered].answered = code }
            return Self.response(
                HTTPResponse.Status(code: code), headers: headers, "{\"error\":{\"message\":\"scripted \(code)\"}}")
        case .delay(let duration)?:
            try await Task.sleep(for: duration)
        case nil:
            break
        }
        try await waitWhileHeld()
        state.withLock { $0.requests[answered].answered = 200 }
        let path = request.uri.path
        let page = path == "/v1/events" ? eventPage(query, account: account ?? "") : objectPage(path, query)
        if page.items > 0 && !page.hasMore { state.withLock { $0.listingsEnded += 1 } }
        return Self.response(.ok, headers: headers, page.body)
    }

    /// Waits while `holdAfterListings` listings with items have been answered to their end.
    private func waitWhileHeld() async throws {
        while state.withLock({ state in state.holdAfterListings.map { state.listingsEnded >= $0 } ?? false }) {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    typealias Request_ = Hummingbird.Request

    /// One page of a listing as served.
    struct Page {
        var body: [UInt8]
        var items: Int
        var hasMore: Bool
    }

    /// One page of events, newest first.
    private func eventPage(_ query: [String: String], account: String) -> Page {
        let lower = query["created[gte]"].flatMap { Int64($0) } ?? .min
        let upper = query["created[lt]"].flatMap { Int64($0) } ?? .max
        let limit = min(query["limit"].flatMap { Int($0) } ?? 10, 100)
        let events = state.withLock { $0.events }
        let indexed = events.enumerated().filter {
            $0.element.account == account && $0.element.created >= lower && $0.element.created < upper
        }
        var listed = indexed.sorted { ($0.element.created, $0.offset) > ($1.element.created, $1.offset) }.map(\.element)
        if let after = query["starting_after"], let index = listed.firstIndex(where: { $0.id == after }) {
            listed.removeFirst(index + 1)
        }
        let shown = listed.prefix(limit)
        var body = Array("{\n  \"object\": \"list\",\n  \"data\": [\n".utf8)
        for (index, event) in shown.enumerated() {
            if index > 0 { body += Array(",\n".utf8) }
            body += event.body
        }
        body += Array("\n  ],\n  \"has_more\": \(listed.count > limit),\n  \"url\": \"/v1/events\"\n}".utf8)
        return Page(body: body, items: shown.count, hasMore: listed.count > limit)
    }

    private static func response(_ status: HTTPResponse.Status, headers: HTTPFields, _ text: String) -> Response {
        response(status, headers: headers, Array(text.utf8))
    }

    private static func response(_ status: HTTPResponse.Status, headers: HTTPFields, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An HTTP date (RFC 9110's IMF-fixdate), as Stripe's `Date` header gives its clock.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    static func query(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { result[parts[0]] = parts[1] }
        }
        return result
    }
}

extension HTTPField.Name {
    // The initializer refuses only names that are not HTTP tokens; the fallbacks are never taken.
    static let stripeAccount = HTTPField.Name("Stripe-Account") ?? .via
    static let stripeVersion = HTTPField.Name("Stripe-Version") ?? .via
    static let stripeShouldRetry = HTTPField.Name("Stripe-Should-Retry") ?? .via
}

enum FakeStripeError: Error {
    case notListening
}
