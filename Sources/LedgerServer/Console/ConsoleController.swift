import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

/// The audit console under `/ui`: server-rendered pages over the read models of the read API.
///
/// Access is the read API's: a user signs in with one of its bearer tokens and gets a session cookie
/// (``ConsoleSessions``). Every page but the sign-in page and the stylesheet redirects to sign-in
/// without a live session; every POST carries the session's CSRF token (the sign-in form a token
/// of its own, double-submitted in a cookie). With no API token configured the console is off, as
/// the read API is. See docs/0012-audit-console.md.
struct ConsoleController<Context: RequestContext> {
    let pool: DatabasePool
    let apiTokens: [String]
    let sessions: ConsoleSessions
    let pages: ConsolePages
    /// Runs verify for the integrity page; nil: the page shows the recorded runs only.
    let verifier: ConsoleVerifier?

    init(
        pool: DatabasePool, apiTokens: [String], sessions: ConsoleSessions = ConsoleSessions(),
        verifier: ConsoleVerifier? = nil
    ) {
        self.pool = pool
        self.apiTokens = apiTokens
        self.sessions = sessions
        self.verifier = verifier
        pages = ConsolePages()
    }

    func addRoutes(to router: Router<Context>) {
        let ui = router.group("ui").add(middleware: ConsoleHeadersMiddleware<Context>(pages: pages))
        ui.get("assets/console.css") { _, _ in pages.stylesheetResponse() }
        ui.get("login") { request, _ in try loginForm(request) }
        ui.post("login") { request, _ in try await logIn(request) }
        ui.post("logout") { request, _ in try await logOut(request) }
        ui.get { request, _ in
            try await signedIn(request) { frame in try await home(frame: frame, message: nil) }
        }
        ui.get("search") { request, context in try await search(request, logger: context.logger) }
        ui.get("subscriptions/:id") { request, context in
            try await objectPage(request, .subscription(try context.parameters.require("id")), logger: context.logger)
        }
        ui.get("payments/:id") { request, context in
            try await objectPage(request, .payment(try context.parameters.require("id")), logger: context.logger)
        }
        ui.get("customers/:id") { request, context in
            try await objectPage(request, .customer(try context.parameters.require("id")), logger: context.logger)
        }
        ui.get("events/:position") { request, context in try await eventPage(request, context) }
        ui.get("subscriptions/:id/as-of") { request, context in
            try await asOfPage(request, context, ConsoleObject.subscription)
        }
        ui.get("payments/:id/as-of") { request, context in
            try await asOfPage(request, context, ConsoleObject.payment)
        }
        ui.get("customers/:id/as-of") { request, context in
            try await asOfPage(request, context, ConsoleObject.customer)
        }
        ui.get("inbox") { request, context in try await inboxPage(request, logger: context.logger) }
        ui.get("integrity") { request, _ in try await signedIn(request) { try await integrity.page(frame: $0) } }
        ui.post("integrity/verify") { request, _ in
            try await signedIn(request) { try await integrity.startVerify(request, frame: $0) }
        }
        ui.get("mrr") { request, context in
            try await signedIn(request) { try await mrr.page(request, frame: $0, logger: context.logger) }
        }
        ui.get("mrr.csv") { request, context in
            try await signedIn(request) { _ in try await mrr.csv(request, logger: context.logger) }
        }
        // Any other path under /ui: sign-in first, so no answer tells a stranger what exists.
        ui.get("**") { request, _ in
            try await signedIn(request) { _ in
                pages.error(status: .notFound, message: "the console has no page at \(request.uri.path)")
            }
        }
    }

    // MARK: - Access

    /// Runs `body` with the frame of a signed-in page, or redirects to sign-in.
    func signedIn(_ request: Request, _ body: (PageFrame) async throws -> Response) async throws -> Response {
        try requireConsoleOn()
        guard let session = sessions.session(id: request.cookies[ConsoleSecurity.sessionCookie]?.value) else {
            return ConsolePages.redirect(to: "/ui/login")
        }
        return try await body(
            PageFrame(title: "", signedIn: true, csrf: session.csrfToken, focusSearch: true))
    }

    private func requireConsoleOn() throws {
        guard !apiTokens.isEmpty else {
            throw APIError.notFound(
                "the audit console is off: no API token is configured on this server "
                    + "(LEDGER_API_TOKENS or --api-tokens-file)")
        }
    }

    func loginForm(_ request: Request, message: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        try requireConsoleOn()
        if message == nil, sessions.session(id: request.cookies[ConsoleSecurity.sessionCookie]?.value) != nil {
            return ConsolePages.redirect(to: "/ui")
        }
        let token = ConsoleSessions.randomToken()
        var response = pages.render(
            "login",
            LoginPage(
                frame: PageFrame(title: "Sign in"), lifetime: Self.words(seconds: sessions.lifetimeSeconds),
                message: message, csrf: token),
            status: status)
        response.setCookie(
            ConsoleSecurity.cookie(
                ConsoleSecurity.loginCookie, token, maxAge: Limits.consoleLoginFormSeconds, request: request))
        return response
    }

    func logIn(_ request: Request) async throws -> Response {
        try requireConsoleOn()
        let form = try await ConsoleForm.read(request)
        guard let expected = request.cookies[ConsoleSecurity.loginCookie]?.value,
            ConsoleSecurity.same(form["csrf"], expected)
        else {
            return try loginForm(
                request, message: "the sign-in form expired or did not come from this page; try again",
                status: .forbidden)
        }
        guard let token = form["token"], BearerAuthentication<Context>(tokens: apiTokens).matches(token) else {
            return try loginForm(
                request, message: "that token is not one of this server's API tokens", status: .unauthorized)
        }
        let (id, _) = sessions.open()
        var response = ConsolePages.redirect(to: "/ui")
        response.setCookie(
            ConsoleSecurity.cookie(
                ConsoleSecurity.sessionCookie, id, maxAge: sessions.lifetimeSeconds, request: request))
        response.setCookie(ConsoleSecurity.cookie(ConsoleSecurity.loginCookie, "", maxAge: 0, request: request))
        return response
    }

    func logOut(_ request: Request) async throws -> Response {
        try requireConsoleOn()
        let id = request.cookies[ConsoleSecurity.sessionCookie]?.value
        guard let session = sessions.session(id: id) else { return ConsolePages.redirect(to: "/ui/login") }
        let form = try await ConsoleForm.read(request)
        guard ConsoleSecurity.same(form["csrf"], session.csrfToken) else {
            throw APIError(.forbidden, "the sign-out form did not come from this session's page")
        }
        sessions.close(id: id)
        var response = ConsolePages.redirect(to: "/ui/login")
        response.setCookie(ConsoleSecurity.cookie(ConsoleSecurity.sessionCookie, "", maxAge: 0, request: request))
        return response
    }

    // MARK: - Pages

    func home(frame: PageFrame, message: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        var frame = frame
        frame.title = "Search"
        let recent = try await database { connection in try ConsoleSearch.recent(connection: connection) }
        return pages.render("home", HomePage(frame: frame, message: message, recent: recent), status: status)
    }

    func search(_ request: Request, logger: Logger) async throws -> Response {
        try await signedIn(request) { frame in
            let query = try QueryParameters(request.uri, accepted: ["q": "a Stripe id or a row UUID"], logger: logger)
            let text = try query.text("q") ?? ""
            var frame = frame
            frame.query = text
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return ConsolePages.redirect(to: "/ui") }
            let found = try await database { connection in try ConsoleSearch.resolve(text, connection: connection) }
            switch found {
            case .success(let object): return ConsolePages.redirect(to: object.path)
            case .failure(let miss): return try await home(frame: frame, message: miss.message, status: .notFound)
            }
        }
    }

    func objectPage(_ request: Request, _ object: ConsoleObject, logger: Logger) async throws -> Response {
        try await signedIn(request) { frame in
            let paging = try TimelinePaging(request.uri, logger: logger)
            var pageFrame = frame
            pageFrame.title = "\(object.label) \(object.id)"
            pageFrame.focusSearch = false
            let frame = pageFrame
            var page = try await database { connection in
                try ConsoleTimeline.build(object, paging: paging, frame: frame, connection: connection)
            }
            page.asOfHref = object.asOfPath
            return pages.render("object", page)
        }
    }

    // MARK: - Helpers

    /// Runs `body` on the read-only pool: an unknown object is a 404, database trouble a 503.
    func database<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as AuditReferenceNotFound {
            throw APIError.notFound(error.description)
        } catch let error as AuditTooLarge {
            throw APIError(.unprocessableContent, error.description)
        } catch {
            throw APIError.from(database: error)
        }
    }

    /// `28800` → "8 hours".
    static func words(seconds: Int) -> String {
        if seconds % 3_600 == 0 { return "\(seconds / 3_600) hour\(seconds == 3_600 ? "" : "s")" }
        return "\(seconds / 60) minutes"
    }
}
