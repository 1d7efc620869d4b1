import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// One stored event as the read API shows it.
///
/// `body` is the stored bytes exactly — as a JSON string when they are UTF-8 (`body_encoding`
/// `utf-8`; parse it to get the Stripe event), else base64 — so a reader can recompute the hash
/// chain or re-check a Stripe signature; decoding and re-encoding the JSON would change the bytes.
/// `metadata` is the JSON object itself, as `ledger export events` writes it.
struct EventResource: Encodable {
    var position: Int64
    var eventId: String
    var streamId: String
    var streamVersion: Int64
    var type: String
    var source: String
    var sourceEventId: String?
    var occurredAt: String
    var recordedAt: String
    var customerId: String?
    var metadata: JSONTree
    var body: String
    var bodyEncoding: String
    var hash: String

    init(_ event: RecordedEvent) {
        position = event.position
        eventId = event.eventID.uuidString.lowercased()
        streamId = event.streamID
        streamVersion = event.streamVersion
        type = event.type
        source = event.source
        sourceEventId = event.sourceEventID
        occurredAt = event.occurredAt.description
        recordedAt = event.recordedAt.description
        customerId = event.customerID
        // Stored metadata is a JSON object (checked before append); anything else is kept as a string.
        metadata = (try? JSONTree(parsing: event.metadata)) ?? .string(event.metadata)
        if let text = String(validating: event.body, as: UTF8.self) {
            body = text
            bodyEncoding = "utf-8"
        } else {
            body = Data(event.body).base64EncodedString()
            bodyEncoding = "base64"
        }
        hash = HexEncoding.encode(event.hash)
    }
}

/// A page of `GET /v1/events`: ask again with `after=next_after` for the next one.
struct EventPage: Encodable {
    var events: [EventResource]
    /// The position to pass as `after` next: the last event's, or `after` itself when the page is empty.
    var nextAfter: Int64
    /// The log's head when the page was read; `next_after == head` means the reader is caught up.
    var head: Int64
}

/// `GET /v1/status`: the log, each projection, the live projector, the appender.
struct StatusResource: Encodable {
    struct Server: Encodable {
        var version: String
        var groupCommit: Bool
        var readAPI: Bool
        var webhookSecrets: Int
    }

    var server: Server
    var log: LedgerStatus
    var projector: LiveProjector.Status?
    var groupCommit: GroupCommitStatistics?
}

/// ``GroupCommitAppender/Statistics`` with the figures a reader wants first.
struct GroupCommitStatistics: Encodable {
    var transactions: Int
    var eventsWritten: Int
    var requestsAnswered: Int
    var largestRequestsPerTransaction: Int
    var averageRequestsPerTransaction: Double

    init(_ statistics: GroupCommitAppender.Statistics) {
        transactions = statistics.transactions
        eventsWritten = statistics.eventsWritten
        requestsAnswered = statistics.requestsAnswered
        largestRequestsPerTransaction = statistics.largestRequestsPerTransaction
        averageRequestsPerTransaction =
            statistics.transactions == 0
            ? 0 : (Double(statistics.requestsAnswered) / Double(statistics.transactions) * 100).rounded() / 100
    }
}
