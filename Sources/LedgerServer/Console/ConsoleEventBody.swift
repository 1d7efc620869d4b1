import Foundation
import Hummingbird
import LedgerCore
import LedgerPostgres
import Mustache

extension ConsoleController {
    /// `GET /ui/events/{position}`: one stored event — its body pretty-printed and exactly as stored, and its
    /// ledger metadata — the timeline's link for each event. One read by primary key.
    func eventPage(_ request: Request, _ context: Context) async throws -> Response {
        let text = try context.parameters.require("position")
        // Checked once signed in: without a session every path leads to sign-in, whatever it holds.
        return try await signedIn(request) { frame in
            guard text.utf8.count <= 19,
                text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let position = Int64(text), position > 0
            else {
                throw APIError.badRequest("an event is named by its log position: a decimal integer from 1")
            }
            var pageFrame = frame
            pageFrame.title = "Event #\(position)"
            pageFrame.focusSearch = false
            let frame = pageFrame
            let event = try await database { connection in
                try EventStore(connection: connection).read(after: position - 1, through: position, limit: 1).first
            }
            guard let event else { throw APIError.notFound("the log has no event at position \(position)") }
            return pages.render("event", EventBodyPage(event, frame: frame))
        }
    }
}

/// One event's page: what the timeline shows of it, and its body and metadata.
struct EventBodyPage {
    var frame: PageFrame
    var position: Int64
    var type: String
    var recordedAt: String
    var occurredAt: String
    var source: String
    var sourceEventID: String?
    var stream: String
    /// The event in its object's timeline (the page that starts with it), when the console has a page for the stream.
    var timelineHref: String?
    /// The body parsed and printed again with indentation and sorted keys; the stored text when it is not JSON.
    var prettyBody: String
    /// The body exactly as stored (UTF-8 text, else base64).
    var storedBody: String
    var bodyBytes: Int
    var bodyEncoding: String
    var metadata: String

    init(_ event: RecordedEvent, frame: PageFrame) {
        self.frame = frame
        position = event.position
        type = event.type
        recordedAt = event.recordedAt.description
        occurredAt = event.occurredAt.description
        source = event.source
        sourceEventID = event.sourceEventID
        stream = event.streamID
        timelineHref = StreamID(parsing: event.streamID).flatMap(ConsoleObject.init(stream:)).map {
            $0.path + TimelinePaging().query(.after(event.position - 1)) + "#position-\(event.position)"
        }
        bodyBytes = event.body.count
        if let text = String(validating: event.body, as: UTF8.self) {
            storedBody = text
            bodyEncoding = "UTF-8"
            prettyBody = ConsolePrettyJSON.pretty(text) ?? text
        } else {
            storedBody = Data(event.body).base64EncodedString()
            bodyEncoding = "base64, not UTF-8"
            prettyBody = storedBody
        }
        metadata = ConsolePrettyJSON.pretty(event.metadata) ?? event.metadata
    }
}

// Lookups by name instead of through Mirror, as for the timeline (see ``TimelineEntry``'s).
extension EventBodyPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": frame
        case "position": position
        case "type": type
        case "recordedAt": recordedAt
        case "occurredAt": occurredAt
        case "source": source
        case "sourceEventID": sourceEventID
        case "stream": stream
        case "timelineHref": timelineHref
        case "prettyBody": prettyBody
        case "storedBody": storedBody
        case "bodyBytes": bodyBytes
        case "bodyEncoding": bodyEncoding
        case "metadata": metadata
        default: nil
        }
    }
}
