import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres

/// An object the console has a page for.
enum ConsoleObject: Sendable, Hashable {
    case subscription(String)
    case payment(String)
    case customer(String)

    /// The page's path; the id is percent-encoded as one path segment.
    var path: String {
        switch self {
        case .subscription(let id): "/ui/subscriptions/\(Self.segment(id))"
        case .payment(let id): "/ui/payments/\(Self.segment(id))"
        case .customer(let id): "/ui/customers/\(Self.segment(id))"
        }
    }

    var id: String {
        switch self {
        case .subscription(let id), .payment(let id), .customer(let id): id
        }
    }

    /// The object a stream is about, when the console has a page for it.
    init?(stream: StreamID) {
        switch stream.category {
        case .subscription: self = .subscription(stream.key)
        case .payment: self = .payment(stream.key)
        default: return nil
        }
    }

    static func segment(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }
}

/// What the search box finds: the page of the object a Stripe id or a row UUID names.
///
/// `sub_…`, `cus_…`, `pi_…` and a subscription row's UUID are read by ``AuditReference`` (as
/// `ledger history` reads them); `evt_…` by the event's stream; `in_…` and `ch_…` by their own
/// streams (`invoice:`, `charge:`), whose newest body names the subscription or PaymentIntent.
enum ConsoleSearch {
    /// Stripe's invoice and charge objects: streams of their own, with no page of their own.
    static let invoiceCategory = StreamID.Category(rawValue: "invoice")
    static let chargeCategory = StreamID.Category(rawValue: "charge")

    /// The page `text` leads to, or why there is none (a sentence for the search page).
    static func resolve(_ text: String, connection: PostgresConnection) throws -> Result<ConsoleObject, SearchMiss> {
        let text = text.trimmingCharacters(in: .whitespaces)
        let store = EventStore(connection: connection)
        if text.hasPrefix("evt_") {
            guard let stream = try store.stream(ofSourceEvent: text).flatMap(StreamID.init(parsing:)) else {
                return .failure(SearchMiss("the log has no event \(text)"))
            }
            return try object(of: stream, store: store).map { .success($0) }
                ?? .failure(
                    SearchMiss("event \(text) is in stream \(stream), which names no subscription, payment or customer")
                )
        }
        for (prefix, category) in [("in_", invoiceCategory), ("ch_", chargeCategory)] where text.hasPrefix(prefix) {
            let stream = StreamID(category, text)
            guard try store.hasEvents(inStream: stream.description) else {
                return .failure(SearchMiss("the log has no event of \(text)"))
            }
            return try object(of: stream, store: store).map { .success($0) }
                ?? .failure(SearchMiss("\(text)'s events name no subscription, PaymentIntent or customer"))
        }
        let reference: AuditReference
        do {
            reference = try AuditReference(parsing: text)
        } catch {
            return .failure(
                SearchMiss("'\(text)' is none of sub_…, cus_…, pi_…, in_…, ch_…, evt_… or a subscription row UUID"))
        }
        let found: ConsoleObject? =
            switch reference {
            case .subscription(let id):
                try store.hasEvents(inStream: StreamID.subscription(id).description) ? .subscription(id) : nil
            case .paymentIntent(let id):
                try store.hasEvents(inStream: StreamID.payment(id).description) ? .payment(id) : nil
            case .customer(let id): try store.hasEvents(ofCustomer: id) ? .customer(id) : nil
            case .subscriptionRowID(let row):
                try SubscriptionRows(connection: connection).stripeSubscriptionID(ofRow: row).map {
                    .subscription($0)
                }
            }
        return found.map { .success($0) } ?? .failure(SearchMiss("the log knows nothing of \(reference)"))
    }

    /// The page for a stream's object: its own, or for an invoice or charge the subscription or
    /// PaymentIntent its newest event names, else its customer's.
    static func object(of stream: StreamID, store: EventStore) throws -> ConsoleObject? {
        if let object = ConsoleObject(stream: stream) { return object }
        if stream.category == invoiceCategory || stream.category == chargeCategory,
            let newest = try store.readStream(stream.description, through: .everything).last,
            let object = try StripeObjectLinks(body: newest.body).first(in: store)
        {
            return object
        }
        return try store.customer(ofStream: stream.description).map { .customer($0) }
    }

    /// The objects of the newest events, newest first: subscriptions and payments, each once.
    static func recent(connection: PostgresConnection) throws -> [RecentObject] {
        let store = EventStore(connection: connection)
        let head = try store.head().position
        let scanned = Int64(Limits.consoleRecentEventsScanned)
        let events = try store.read(after: max(head - scanned, 0), through: head, limit: Int(scanned))
        var seen: Set<ConsoleObject> = []
        var recent: [RecentObject] = []
        for event in events.reversed() where recent.count < Limits.consoleRecentObjectsMax {
            guard let object = StreamID(parsing: event.streamID).flatMap(ConsoleObject.init(stream:)),
                seen.insert(object).inserted
            else { continue }
            recent.append(RecentObject(object, event))
        }
        return recent
    }
}

/// Why a search found no page.
struct SearchMiss: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A row of the search page's "recently changed" list.
struct RecentObject {
    var object: String
    var kind: String
    var href: String
    var type: String
    var position: Int64
    var recordedAt: String

    init(_ object: ConsoleObject, _ event: RecordedEvent) {
        self.object = object.id
        kind =
            switch object {
            case .subscription: "subscription"
            case .payment: "payment"
            case .customer: "customer"
            }
        href = object.path
        type = event.type
        position = event.position
        recordedAt = event.recordedAt.description
    }
}

/// The subscription and PaymentIntent a Stripe invoice or charge body names (`data.object`).
struct StripeObjectLinks {
    var paymentIntent: String?
    var subscription: String?

    init(body: [UInt8]) {
        let object = String(validating: body, as: UTF8.self)
            .flatMap { try? JSONTree(parsing: $0) }?.members?["data"]?.members?["object"]?.members
        paymentIntent = Self.text(object?["payment_intent"])
        // Before API 2025-03-31 an invoice names its subscription at the top; since, under `parent`.
        subscription =
            Self.text(object?["subscription"])
            ?? Self.text(object?["parent"]?.members?["subscription_details"]?.members?["subscription"])
    }

    static func text(_ value: JSONTree?) -> String? {
        if case .string(let text)? = value, !text.isEmpty { return text }
        return nil
    }

    /// The PaymentIntent's page when its stream exists, else the subscription's.
    func first(in store: EventStore) throws -> ConsoleObject? {
        if let paymentIntent, try store.hasEvents(inStream: StreamID.payment(paymentIntent).description) {
            return .payment(paymentIntent)
        }
        if let subscription, try store.hasEvents(inStream: StreamID.subscription(subscription).description) {
            return .subscription(subscription)
        }
        return nil
    }
}
