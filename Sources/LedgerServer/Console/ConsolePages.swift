import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import Mustache
import NIOCore

/// The console's templates (console/*.mustache, compiled in by the EmbedFiles plugin) and its stylesheet.
///
/// Every value reaches HTML through a `{{name}}` tag, which escapes `< > & " '`; the templates never
/// use `{{{name}}}` or `{{& name}}` (a test reads them to check), so an event's body or metadata can
/// never become markup, whatever it holds.
struct ConsolePages: Sendable {
    let library: MustacheLibrary
    let stylesheet: String

    /// The compiled-in files. A template that does not parse is a bug in this repository, caught by
    /// the console's tests before any release, so it stops the server at start.
    init(files: [(name: String, text: String)] = EmbeddedConsole.files) {
        // Before the templates are parsed: their CONTENT_TYPE pragmas are resolved then.
        MustacheContentTypes.register(ConsoleHTMLEscaping(), named: ConsoleHTMLEscaping.name)
        var library = MustacheLibrary()
        var stylesheet = ""
        for file in files {
            if file.name.hasSuffix(".mustache") {
                do {
                    try library.register(file.text, named: String(file.name.dropLast(".mustache".count)))
                } catch {
                    preconditionFailure("console/\(file.name) is not a valid Mustache template: \(error)")
                }
            } else if file.name == "console.css" {
                stylesheet = file.text
            }
        }
        self.library = library
        self.stylesheet = stylesheet
    }

    /// `template` rendered with `page`, as an HTML response.
    func render(_ template: String, _ page: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html(template, page))))
    }

    /// `template` rendered with `page`.
    func html(_ template: String, _ page: Any) -> String {
        guard let html = library.render(page, withTemplate: template) else {
            preconditionFailure("the console has no template named \(template)")
        }
        return html
    }

    /// An error page; it shows no search box (it may be shown to someone who is not signed in).
    func error(status: HTTPResponse.Status, message: String) -> Response {
        render(
            "error",
            ErrorPage(
                frame: PageFrame(title: "\(status.code) \(status.reasonPhrase)"), heading: status.reasonPhrase,
                message: message),
            status: status)
    }

    /// The stylesheet.
    func stylesheetResponse() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: stylesheet)))
    }

    /// A 303 to `location` (a path of this server).
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

// MARK: - What the templates render

/// What the header of every page shows.
struct PageFrame {
    var title: String
    var signedIn = false
    /// The session's CSRF token, for the sign-out form.
    var csrf = ""
    /// The search box's text.
    var query = ""
    var focusSearch = false
}

struct LoginPage {
    var frame: PageFrame
    /// How long a session lasts, in words.
    var lifetime: String
    var message: String?
    /// The login form's CSRF token (also in its cookie).
    var csrf: String
}

// Templates read stored properties only (Mirror does not see computed ones): flags are set in `init`.
struct HomePage {
    var frame: PageFrame
    var message: String?
    var recent: [RecentObject]
    var hasRecent: Bool

    init(frame: PageFrame, message: String?, recent: [RecentObject]) {
        self.frame = frame
        self.message = message
        self.recent = recent
        hasRecent = !recent.isEmpty
    }
}

struct ErrorPage {
    var frame: PageFrame
    var heading: String
    var message: String
}

/// A subscription, payment or customer with one page of its history.
struct ObjectPage {
    var frame: PageFrame
    /// `Subscription`, `Payment`, `Customer`.
    var kind: String
    var id: String
    var links: [PageLink]
    var notes: [String]
    /// The arguments of the `ledger history` command that prints the same entries.
    var historyArguments: String
    /// The events this page shows (``TimelinePaging``).
    var entries: [TimelineEntry]
    var hasLinks: Bool
    var entryCount: Int
    /// The object's events in all pages.
    var eventCount: Int
    var navigation: TimelineNavigation
    /// The object's as-of page (set by the controller).
    var asOfHref = ""

    init(
        frame: PageFrame, kind: String, id: String, links: [PageLink], notes: [String], historyArguments: String,
        entries: [TimelineEntry], eventCount: Int, navigation: TimelineNavigation
    ) {
        self.frame = frame
        self.kind = kind
        self.id = id
        self.links = links
        self.notes = notes
        self.historyArguments = historyArguments
        self.entries = entries
        hasLinks = !links.isEmpty
        entryCount = entries.count
        self.eventCount = eventCount
        self.navigation = navigation
    }
}

struct PageLink {
    var label: String
    var href: String
    var text: String
}
