import ArgumentParser
import Foundation
import LedgerCore
import LedgerPostgres
import LoopbackHTTPClient

/// `ledger-bench ui`: the audit console's pages as a signed-in browser asks for them from `ledger serve`
/// over a loaded, projected log — search, a subscription's timeline (its first page, the default), an event's
/// body page, its as-of page, the MRR page (and its CSV), the integrity page — p50/p95/max per page (issue 16's
/// goals: search and timeline p95 ≤ 50 ms, as-of and MRR p95 ≤ 100 ms).
///
/// Times are the whole request on a fresh loopback connection (connect, send, the server's work, read):
/// on loopback that is the server's time plus well under a millisecond.
struct UIBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Time the audit console's pages (served by `ledger serve`) for random subscriptions.")

    @Option(help: "Database holding the projected log.") var databaseURL: String
    @Option(help: "The ledger binary to serve it.") var ledger: String
    @Option(help: "Subscriptions to sample.") var samples = 100

    func run() throws {
        let reads = BenchmarkReads(connection: try PostgresConnection(url: databaseURL))
        let subscriptions = try reads.randomStreams(prefix: StreamID.subscription("").description, count: samples)
            .compactMap { StreamID.key(of: $0, in: .subscription) }
        let (_, _, head) = try reads.logExtent()
        let server = try ServerProcess(ledger: ledger, databaseURL: databaseURL, groupCommit: true, projector: false)
        defer { server.stop(SIGTERM) }
        let cookie = try signIn(port: server.port)
        print("log of \(head) events; \(subscriptions.count) random subscriptions; ledger serve on port \(server.port)")

        @discardableResult func get(_ path: String, expecting status: Int = 200) throws -> LoopbackHTTPResponse {
            let response = try LoopbackHTTPConnection(port: server.port).send(
                "GET", path, headers: [("Cookie", cookie)])
            guard response.status == status else {
                throw ValidationError("GET \(path) answered \(response.status), not \(status)")
            }
            return response
        }
        // The event pages a timeline links to for the bodies (since they left the timeline): each subscription's
        // newest event on its first page, found before timing. A binary from before has no such links.
        var bodies: [String: String] = [:]
        for id in subscriptions {
            let links = try get("/ui/subscriptions/\(id)").text.matches(of: /class="body-link" href="([^"]+)"/)
            if let last = links.last { bodies[id] = String(last.output.1) }
        }
        var pages: [(String, (String) throws -> Void)] = [
            ("search sub_… (303 to its page)", { try get("/ui/search?q=\($0)", expecting: 303) }),
            ("timeline /ui/subscriptions/sub_…", { try get("/ui/subscriptions/\($0)") }),
            ("as of /ui/subscriptions/sub_…/as-of", { try get("/ui/subscriptions/\($0)/as-of") }),
            ("MRR /ui/mrr (12 months, by month)", { _ in try get("/ui/mrr") }),
            ("MRR /ui/mrr?by=week", { _ in try get("/ui/mrr?by=week") }),
            ("MRR CSV /ui/mrr.csv", { _ in try get("/ui/mrr.csv") }),
            ("integrity /ui/integrity", { _ in try get("/ui/integrity") }),
        ]
        if bodies.count == subscriptions.count {
            pages.insert(("event body /ui/events/N", { id in try get(bodies[id] ?? "/ui/events/0") }), at: 2)
        } else {
            print("(no event body links on the timelines: the event body page is not timed)")
        }
        for (name, page) in pages {
            let figures = try latencies(subscriptions, page)
            print(
                name.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + "p50 \(format(figures.p50)), p95 \(format(figures.p95)), max \(format(figures.max))")
        }
    }

    /// Signs in as a browser does (the login form's cookie and token, then the API token); the session cookie.
    func signIn(port: Int) throws -> String {
        let form = try LoopbackHTTPConnection(port: port).send("GET", "/ui/login")
        guard let login = cookie(named: "ledger_console_login", in: form),
            let token = form.text.range(of: #"name="csrf" value=""#).map({
                String(form.text[$0.upperBound...].prefix { $0 != "\"" })
            })
        else { throw ValidationError("the sign-in page has no form token") }
        let signedIn = try LoopbackHTTPConnection(port: port).send(
            "POST", "/ui/login",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", login)],
            body: Array("csrf=\(token)&token=bench".utf8))
        guard let session = cookie(named: "ledger_console_session", in: signedIn) else {
            throw ValidationError("signing in answered \(signedIn.status) without a session")
        }
        return session
    }

    /// `name=value` of the response's `Set-Cookie` for `name`.
    func cookie(named name: String, in response: LoopbackHTTPResponse) -> String? {
        response.headers.first { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix(name + "=") }
            .map { String($0.1.prefix { $0 != ";" }) }
    }

    /// Milliseconds per call of `body` over `inputs`, after one warm-up call.
    func latencies(_ inputs: [String], _ body: (String) throws -> Void) throws -> AuditBenchmark.Latencies {
        // The audit suite's percentiles (its options are not read there).
        try AuditBenchmark().latencies(inputs, body)
    }

    func format(_ milliseconds: Double) -> String { String(format: "%.1f ms", milliseconds) }
}
