import LedgerCore

/// Stripe lists `/v1/events` newest first; a sync must append oldest first with bounded memory. So the
/// span to catch up is cut into windows of `created` seconds, each listed whole (`created[gte]`,
/// `created[lt]`), sorted oldest first, and appended before the next is listed.
///
/// A value: the driver asks for the next window, reports how many events it held, and the width adapts
/// (halved when a window overflows ``eventsMax``, doubled after a sparse one), so memory is bounded by
/// ``eventsMax`` events whatever the account's volume. A single second is never split: it is listed
/// whole even past the bound (Stripe would need thousands of events in one second).
public struct StripeEventWindows: Sendable, Equatable {
    /// Most events one window holds in memory before it is listed again at half the width.
    public let eventsMax: Int
    /// The first second not listed yet.
    public private(set) var next: Int64
    /// The last second to list (Stripe's clock when the sync started).
    public let through: Int64
    public private(set) var widthSeconds: Int64

    public init(from start: Int64, through end: Int64, eventsMax: Int, widthSeconds: Int64 = 3_600) {
        precondition(eventsMax > 0 && widthSeconds > 0, "positive bounds")
        self.next = start
        self.through = end
        self.eventsMax = eventsMax
        self.widthSeconds = min(widthSeconds, Limits.syncWindowSecondsMax)
    }

    /// `[lower, upper)` in Unix seconds, or nil when the span is covered.
    public var current: (lower: Int64, upper: Int64)? {
        guard next <= through else { return nil }
        return (next, min(next + widthSeconds, through + 1))
    }

    /// Whether a window that has listed `count` events so far must be given up and listed narrower.
    public func overflows(_ count: Int) -> Bool { count > eventsMax && widthSeconds > 1 }

    /// The current window held too many events: list it again at half the width.
    public mutating func narrow() { widthSeconds = max(1, widthSeconds / 2) }

    /// The current window was listed whole and its `count` events appended: move past it.
    public mutating func advance(listed count: Int) {
        guard let window = current else { return }
        next = window.upper
        if count < eventsMax / 4 { widthSeconds = min(widthSeconds * 2, Limits.syncWindowSecondsMax) }
    }
}

/// One listed Stripe event: its bytes as Stripe sent them and the `created` second it was listed by.
public struct ListedStripeEvent: Sendable {
    public var created: Int64
    public var body: ArraySlice<UInt8>
}

extension StripeClient {
    /// What listing one window gave.
    public enum WindowListing: Sendable {
        /// Every event created in the window, oldest first.
        case events([ListedStripeEvent], stripeDate: EventTime?)
        /// More than the bound: nothing kept, list a narrower window.
        case overflowed
    }

    /// Lists every event with `lower <= created < upper`, oldest first, unless the window holds more
    /// than `windows` allows.
    ///
    /// Order: Stripe lists newest first, so pages are reversed; a stable sort by `created` then makes the
    /// order right for a server that lists oldest first (localstripe). Within one second the order is
    /// Stripe's reversed listing, which is all its API tells.
    public func listEvents(in window: (lower: Int64, upper: Int64), windows: StripeEventWindows) async throws
        -> WindowListing
    {
        var listed: [ListedStripeEvent] = []
        var overflowed = false
        var stripeDate: EventTime?
        try await forEachPage(
            "/v1/events", query: [("created[gte]", "\(window.lower)"), ("created[lt]", "\(window.upper)")]
        ) { page, response in
            stripeDate = response.date ?? stripeDate
            for element in page.elements {
                let created = (try? JSONTape(parsing: Array(element)).root["created"].int64) ?? window.lower
                listed.append(ListedStripeEvent(created: created, body: element))
            }
            if windows.overflows(listed.count) {
                overflowed = true
                return false
            }
            return true
        }
        if overflowed { return .overflowed }
        // Reversed listing order breaks ties, so the sort does not rely on being stable.
        let ordered = listed.reversed().enumerated().sorted {
            ($0.element.created, $0.offset) < ($1.element.created, $1.offset)
        }
        return .events(ordered.map(\.element), stripeDate: stripeDate)
    }

    /// Stripe's clock now (the `Date` of a one-event listing), which also checks that the key is accepted.
    public func probe() async throws -> (stripeNow: EventTime, newestEventCreated: Int64?) {
        let response = try await get("/v1/events", query: [("limit", "1")])
        let page = try StripeListPage(bytes: response.body)
        let newest = page.elements.first.flatMap { try? JSONTape(parsing: Array($0)).root["created"].int64 }
        guard let date = response.date else {
            throw StripeAPIError(
                status: 200, path: "/v1/events", attempts: response.attempts,
                message: "the response has no readable Date header, so Stripe's clock is unknown")
        }
        return (date, newest)
    }
}
