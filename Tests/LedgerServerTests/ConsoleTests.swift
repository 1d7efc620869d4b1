import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import LoopbackHTTPClient
import Testing

@testable import LedgerServer

/// The audit console (`/ui`) in process: sessions, CSRF, security headers, search. The browser test
/// (``ConsoleBrowserTests``) drives the same pages in Chromium.
@Suite("audit console /ui")
struct ConsoleTests {
    static let pagePaths = [
        "/ui", "/ui/search?q=sub_x", "/ui/subscriptions/sub_x", "/ui/payments/pi_x", "/ui/customers/cus_x",
        "/ui/integrity", "/ui/a/b",
    ]

    @Test func noPageButSignInAnswersWithoutASession() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                for path in Self.pagePaths {
                    for cookie in [nil, "ledger_console_session=\(ConsoleSessions.randomToken())"] {
                        let response = try await server.request(
                            "GET", path, headers: cookie.map { [("Cookie", $0)] } ?? [])
                        #expect(response.status == 303, "\(path)")
                        #expect(response.header("location") == "/ui/login", "\(path)")
                        Self.expectSecurityHeaders(response, path)
                    }
                }
                let login = try await server.request("GET", "/ui/login")
                #expect(login.status == 200)
                #expect(login.header("content-type") == "text/html; charset=utf-8")
                Self.expectSecurityHeaders(login, "/ui/login")
                let css = try await server.request("GET", "/ui/assets/console.css")
                #expect(css.status == 200 && css.header("content-type")?.hasPrefix("text/css") == true)
                // A post without a session changes nothing and leads to sign-in.
                let logout = try await server.request(
                    "POST", "/ui/logout", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array("csrf=x".utf8))
                #expect(logout.status == 303 && logout.header("location") == "/ui/login")
            }
        }
    }

    @Test func signInNeedsTheFormsTokenAndAnAPIToken() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let form = try await ConsoleClient.loginForm(server)
                // Right API token, but no or a wrong CSRF token: refused, no session.
                // The form's token with its first digit changed (never to itself).
                let altered = (form.csrf.first == "0" ? "1" : "0") + form.csrf.dropFirst()
                for (cookie, csrf) in [(form.cookie, ""), (form.cookie, altered), ("", form.csrf)] {
                    let refused = try await ConsoleClient.post(
                        server, "/ui/login", cookie: cookie, ["csrf": csrf, "token": ServedLedger.token])
                    #expect(refused.status == 403, "csrf \(csrf)")
                    #expect(ConsoleClient.setCookie(refused, ConsoleSecurity.sessionCookie) == nil)
                }
                let wrong = try await ConsoleClient.post(
                    server, "/ui/login", cookie: form.cookie, ["csrf": form.csrf, "token": ServedLedger.token + "x"])
                #expect(wrong.status == 401)
                #expect(wrong.text.contains("not one of this server"))
                #expect(ConsoleClient.setCookie(wrong, ConsoleSecurity.sessionCookie) == nil)

                let session = try await ConsoleClient.signIn(server)
                #expect(session.setCookie.contains("HttpOnly"))
                #expect(session.setCookie.contains("SameSite=Strict"))
                #expect(session.setCookie.contains("Path=/ui"))
                #expect(session.setCookie.contains("Max-Age=\(Limits.consoleSessionSeconds)"))
                #expect(!session.setCookie.contains("Secure"))
                let home = try await server.request("GET", "/ui", headers: [("Cookie", session.cookie)])
                #expect(home.status == 200)
                #expect(home.text.contains(#"name="csrf" value="\#(session.csrf)""#))

                // Behind a TLS proxy the cookie is Secure.
                let tls = try await ConsoleClient.signIn(server, headers: [("X-Forwarded-Proto", "https")])
                #expect(tls.setCookie.contains("Secure"))

                // Sign-out needs the session's CSRF token; then the session is gone.
                let forged = try await ConsoleClient.post(
                    server, "/ui/logout", cookie: session.cookie, ["csrf": tls.csrf])
                #expect(forged.status == 403)
                Self.expectSecurityHeaders(forged, "forged logout")
                #expect(try await server.request("GET", "/ui", headers: [("Cookie", session.cookie)]).status == 200)
                let out = try await ConsoleClient.post(
                    server, "/ui/logout", cookie: session.cookie, ["csrf": session.csrf])
                #expect(out.status == 303 && out.header("location") == "/ui/login")
                let after = try await server.request("GET", "/ui", headers: [("Cookie", session.cookie)])
                #expect(after.status == 303 && after.header("location") == "/ui/login")
                #expect(try await server.request("GET", "/ui", headers: [("Cookie", tls.cookie)]).status == 200)
            }
        }
    }

    @Test func withoutAnAPITokenTheConsoleIsOff() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database, configure: { $0.apiTokens = [] }) { server in
                for path in ["/ui", "/ui/login"] {
                    let off = try await server.request("GET", path)
                    #expect(off.status == 404, "\(path)")
                    #expect(off.text.contains("console is off"), "\(off.text)")
                    Self.expectSecurityHeaders(off, path)
                }
            }
        }
    }

    /// Each kind of id in the search box leads to the page the generated history says it belongs to.
    @Test func searchLeadsEachKindOfIDToItsObject() async throws {
        try await TestDatabase.withMigrated { database in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try ConsoleBrowserTests.generatedHistory(database, in: directory)
            let events = try String(contentsOf: directory.appendingPathComponent("events.jsonl"), encoding: .utf8)
                .split(separator: "\n").compactMap {
                    try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            func object(_ event: [String: Any]) -> [String: Any] {
                (event["data"] as? [String: Any])?["object"] as? [String: Any] ?? [:]
            }
            let subscriptionEvent = try #require(
                events.first { ($0["type"] as? String)?.hasPrefix("customer.subscription.") == true })
            let subscription = try #require(object(subscriptionEvent)["id"] as? String)
            let customer = try #require(object(subscriptionEvent)["customer"] as? String)
            let charge = try #require(
                events.map(object).first { ($0["object"] as? String) == "charge" && $0["payment_intent"] is String })
            // A subscription row's UUID: project, then read one row.
            let projected = try runLedger(["project"], environment: ["DATABASE_URL": database.url])
            #expect(projected.status == 0, "\(projected.standardError)")
            let row = try #require(
                try database.connect().query(
                    "SELECT id::text, stripe_subscription_id FROM subscriptions ORDER BY id LIMIT 1", []
                ).first)
            let (rowID, rowSubscription) = (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1))
            var expected: [(query: String, location: String)] = [
                (subscription, "/ui/subscriptions/\(subscription)"), (customer, "/ui/customers/\(customer)"),
                (try #require(subscriptionEvent["id"] as? String), "/ui/subscriptions/\(subscription)"),
                (
                    try #require(charge["id"] as? String),
                    "/ui/payments/\(try #require(charge["payment_intent"] as? String))"
                ),
                (" \(subscription) ", "/ui/subscriptions/\(subscription)"),
            ]
            expected.append((rowID, "/ui/subscriptions/\(rowSubscription)"))
            expected.append(
                (
                    try #require(charge["payment_intent"] as? String),
                    "/ui/payments/\(try #require(charge["payment_intent"] as? String))"
                ))
            let searches = expected
            try await InProcessLedger.with(database) { server in
                let session = try await ConsoleClient.signIn(server)
                for (query, location) in searches {
                    let path =
                        "/ui/search?q=" + (query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                    let found = try await server.request("GET", path, headers: [("Cookie", session.cookie)])
                    #expect(
                        found.status == 303 && found.header("location") == location,
                        "\(query): \(found.status) \(found.header("location") ?? "")")
                    let page = try await server.request("GET", location, headers: [("Cookie", session.cookie)])
                    #expect(page.status == 200, "\(location)")
                }
                for unknown in [
                    "sub_unknown", "evt_unknown", "in_unknown", "ch_unknown", "pi_unknown", "cus_unknown", "nothing",
                    "<b>",
                ] {
                    let missed = try await server.request(
                        "GET",
                        "/ui/search?q=" + (unknown.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                        headers: [("Cookie", session.cookie)])
                    #expect(missed.status == 404, "\(unknown)")
                    #expect(missed.text.contains(#"class="error""#), "\(unknown)")
                    #expect(!missed.text.contains("<b>"), "\(unknown)")
                }
            }
        }
    }

    @Test func sessionsExpireAndStayBounded() {
        let clock = Locked(Date(timeIntervalSince1970: 1_700_000_000))
        let sessions = ConsoleSessions(lifetimeSeconds: 60, now: { clock.current })
        let (id, session) = sessions.open()
        #expect(sessions.session(id: id) == session)
        #expect(sessions.session(id: id + "0") == nil && sessions.session(id: "") == nil)
        clock.withLock { $0 = $0.addingTimeInterval(59) }
        #expect(sessions.session(id: id) != nil)
        clock.withLock { $0 = $0.addingTimeInterval(1) }
        #expect(sessions.session(id: id) == nil)
        #expect(sessions.count == 0)
        var ids: [String] = []
        for _ in 0..<(Limits.consoleSessionsMax + 3) {
            ids.append(sessions.open().id)
            clock.withLock { $0 = $0.addingTimeInterval(0.001) }
        }
        #expect(sessions.count == Limits.consoleSessionsMax)
        // The ones that end first made room.
        #expect(ids.prefix(3).allSatisfy { sessions.session(id: $0) == nil })
        #expect(ids.suffix(3).allSatisfy { sessions.session(id: $0) != nil })
        #expect(Set(ids).count == ids.count)
    }

    /// `{{{…}}}` and `{{& …}}` would put a value into the page unescaped: no template may use them.
    @Test func templatesEscapeEveryValue() throws {
        let folder = Repository.root.appendingPathComponent("console")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".mustache")
        }
        #expect(names.count >= 5)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("{{{") && !text.contains("{{&") && !text.contains("{{="), "\(name)")
            #expect(!text.lowercased().contains("<script") && !text.contains("style="), "\(name)")
        }
        // The rendered page escapes what it is given.
        let pages = ConsolePages()
        let hostile = #"<script>alert(1)</script>"><img src=x onerror=alert(1)>'"#
        let html = pages.html("error", ErrorPage(frame: PageFrame(title: hostile), heading: hostile, message: hostile))
        #expect(!html.contains("<script>") && !html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;"))
    }

    static func expectSecurityHeaders(_ response: LoopbackHTTPResponse, _ path: String) {
        #expect(response.header("content-security-policy") == ConsoleSecurity.contentSecurityPolicy, "\(path)")
        #expect(
            response.header("content-security-policy")?.contains("frame-ancestors 'none'") == true
                && response.header("content-security-policy")?.contains("default-src 'self'") == true, "\(path)")
        #expect(response.header("x-content-type-options") == "nosniff", "\(path)")
        #expect(response.header("referrer-policy") == "no-referrer", "\(path)")
    }
}

/// A browser's part, for in-process tests: the sign-in form's cookie and token, form posts.
enum ConsoleClient {
    struct Session {
        var cookie: String
        var setCookie: String
        var csrf: String
    }

    static func loginForm(_ server: InProcessLedger) async throws -> (cookie: String, csrf: String) {
        let page = try await server.request("GET", "/ui/login")
        let cookie = try #require(setCookie(page, ConsoleSecurity.loginCookie))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        return (String(cookie.prefix { $0 != ";" }), try #require(csrfToken(in: page.text)))
    }

    static func signIn(_ server: InProcessLedger, headers: [(String, String)] = []) async throws -> Session {
        let form = try await loginForm(server)
        let response = try await post(
            server, "/ui/login", cookie: form.cookie, ["csrf": form.csrf, "token": ServedLedger.token], headers: headers
        )
        #expect(response.status == 303 && response.header("location") == "/ui")
        let sessionCookie = try #require(Self.setCookie(response, ConsoleSecurity.sessionCookie))
        let cookie = String(sessionCookie.prefix { $0 != ";" })
        let home = try await server.request("GET", "/ui", headers: [("Cookie", cookie)])
        return Session(cookie: cookie, setCookie: sessionCookie, csrf: try #require(csrfToken(in: home.text)))
    }

    static func post(
        _ server: InProcessLedger, _ path: String, cookie: String, _ fields: [String: String],
        headers: [(String, String)] = []
    ) async throws -> LoopbackHTTPResponse {
        let body = fields.map {
            "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }
        .joined(separator: "&")
        return try await server.request(
            "POST", path,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)] + headers,
            body: Array(body.utf8))
    }

    /// The first `Set-Cookie` for `name` with a value.
    static func setCookie(_ response: LoopbackHTTPResponse, _ name: String) -> String? {
        response.headers.first {
            $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("\(name)=") && !$0.1.hasPrefix("\(name)=;")
        }?.1
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}
