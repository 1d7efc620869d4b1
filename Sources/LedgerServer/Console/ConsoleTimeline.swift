import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Mustache

/// An object's page: ``AuditHistory`` (what `ledger history` prints, the one computation of what each
/// event did and which columns it changed), with each event's stored body and metadata beside it and
/// links to the objects it touches.
enum ConsoleTimeline {
    /// A subscription's page shows its payments' events too: `ledger history sub_… --include-payments`. The page
    /// shows the events `paging` picks, each with the columns it changed and a link to its body.
    static func build(_ object: ConsoleObject, paging: TimelinePaging, frame: PageFrame, connection: PostgresConnection)
        throws -> ObjectPage
    {
        let (reference, kind, arguments): (AuditReference, String, String) =
            switch object {
            case .subscription(let id): (.subscription(id), "Subscription", "\(id) --include-payments --json")
            case .payment(let id): (.paymentIntent(id), "Payment", "\(id) --json")
            case .customer(let id): (.customer(id), "Customer", "\(id) --json")
            }
        // One read of the log for the history and the sizes of the bodies it links to.
        let reading = try AuditReading(reference, connection: connection)
        let history = try reading.history(connection: connection)
        let positions = history.entries.map(\.position)
        let window = paging.window(of: positions)
        let events = reading.storedEvents(of: history)
        let entries = history.entries[window].map { entry in TimelineEntry(entry, stored: events[entry.position]) }
        return ObjectPage(
            frame: frame, kind: kind, id: object.id,
            links: try links(of: object, history: history, connection: connection), notes: history.notes,
            historyArguments: arguments, entries: entries, eventCount: positions.count,
            navigation: TimelineNavigation(paging, window: window, positions: positions, path: object.path))
    }

    /// The customer, and the subscriptions and payments whose rows the history changed.
    static func links(of object: ConsoleObject, history: AuditHistory, connection: PostgresConnection) throws
        -> [PageLink]
    {
        var links: [PageLink] = []
        if let customer = history.customerID, object != .customer(customer) {
            links.append(PageLink(label: "Customer", href: ConsoleObject.customer(customer).path, text: customer))
        }
        var seen: Set<ConsoleObject> = [object]
        var subscriptionRows: Set<String> = []
        for change in history.entries.flatMap(\.changes) {
            guard let linked = ConsoleObject(change), seen.insert(linked).inserted else { continue }
            links.append(PageLink(label: linked.label, href: linked.path, text: linked.id))
        }
        // A payment's row names its subscription by row id (subscription_id): resolved as a search resolves a UUID.
        if case .payment = object {
            for change in history.entries.flatMap(\.changes) {
                for column in change.columns where column.column == "subscription_id" {
                    if let row = column.to { subscriptionRows.insert(row) }
                }
            }
            let rows = SubscriptionRows(connection: connection)
            for row in subscriptionRows.sorted() {
                guard let id = UUID(uuidString: row), let stripeID = try rows.stripeSubscriptionID(ofRow: id),
                    seen.insert(.subscription(stripeID)).inserted
                else { continue }
                links.append(
                    PageLink(label: "Subscription", href: ConsoleObject.subscription(stripeID).path, text: stripeID))
            }
        }
        return links
    }
}

extension ConsoleObject {
    /// The object whose row a change is about.
    init?(_ change: RowChange) {
        switch change.table {
        case "subscriptions": self = .subscription(change.object)
        case "payment_transactions": self = .payment(change.object)
        default: return nil
        }
    }

    var label: String {
        switch self {
        case .subscription: "Subscription"
        case .payment: "Payment"
        case .customer: "Customer"
        }
    }
}

/// One event of a timeline, as the template shows it.
struct TimelineEntry {
    var position: Int64
    var type: String
    /// `applied`, `ignored` or `parked`.
    var outcome: String
    var reason: String?
    var recordedAt: String
    var occurredAt: String
    var source: String
    var sourceEventID: String?
    var stream: String
    var changes: [TimelineChange]
    /// The event's page: its body pretty-printed and as stored, and its metadata.
    var bodyHref: String
    var bodyBytes: Int

    init(_ entry: HistoryEntry, stored: RecordedEvent?) {
        position = entry.position
        type = entry.type
        outcome = entry.outcome.rawValue
        reason = entry.reason
        recordedAt = entry.recordedAt
        occurredAt = entry.occurredAt
        source = entry.source
        sourceEventID = entry.sourceEventID
        stream = entry.stream
        changes = entry.changes.map(TimelineChange.init)
        bodyHref = "/ui/events/\(entry.position)"
        bodyBytes = stored?.body.count ?? 0
    }
}

/// The columns one event changed in one row.
struct TimelineChange {
    var table: String
    var object: String
    var href: String
    var columns: [TimelineColumn]

    init(_ change: RowChange) {
        table = change.table
        object = change.object
        href = ConsoleObject(change)?.path ?? "#"
        columns = change.columns.map(TimelineColumn.init)
    }
}

struct TimelineColumn {
    var column: String
    var fromText: String
    var fromIsNull: Bool
    var toText: String
    var toIsNull: Bool

    init(_ change: ColumnChange) {
        column = change.column
        fromText = change.from ?? "NULL"
        fromIsNull = change.from == nil
        toText = change.to ?? "NULL"
        toIsNull = change.to == nil
    }
}

// The template looks up every tag of every entry by name; through Mirror each lookup reflects all of the entry's
// fields (a fifth of the page's time with a few dozen entries, `tools/bench ui`). These answer by name directly,
// each listing its type's stored properties, all of them (a test compares them with Mirror's children).
extension ObjectPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": frame
        case "kind": kind
        case "id": id
        case "links": links
        case "notes": notes
        case "historyArguments": historyArguments
        case "entries": entries
        case "hasLinks": hasLinks
        case "entryCount": entryCount
        case "eventCount": eventCount
        case "navigation": navigation
        case "asOfHref": asOfHref
        default: nil
        }
    }
}

extension TimelineNavigation: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "summary": summary
        case "firstHref": firstHref
        case "earlierHref": earlierHref
        case "laterHref": laterHref
        case "newestHref": newestHref
        default: nil
        }
    }
}

extension TimelineEntry: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "position": position
        case "type": type
        case "outcome": outcome
        case "reason": reason
        case "recordedAt": recordedAt
        case "occurredAt": occurredAt
        case "source": source
        case "sourceEventID": sourceEventID
        case "stream": stream
        case "changes": changes
        case "bodyHref": bodyHref
        case "bodyBytes": bodyBytes
        default: nil
        }
    }
}

extension TimelineChange: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "table": table
        case "object": object
        case "href": href
        case "columns": columns
        default: nil
        }
    }
}

extension TimelineColumn: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "column": column
        case "fromText": fromText
        case "fromIsNull": fromIsNull
        case "toText": toText
        case "toIsNull": toIsNull
        default: nil
        }
    }
}
