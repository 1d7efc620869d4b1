import Foundation
import HummingbirdCore
import LedgerCore
import Logging

/// Which of a timeline's events one page shows: a keyset over log positions, never an offset, so a link
/// keeps pointing at the same events while the log grows (`?after=P`: the first events past position P;
/// `?before=P`: the last events before it; neither: the first events), at most ``limit`` of them.
///
/// The page still replays the object's whole history: an event's column changes are its row before and
/// after it, which only a replay from the customer's first event knows (``AuditHistory``). What the page
/// bounds is what grows with the history and cost the most: the entries rendered, and the bodies, which
/// are one link away (`/ui/events/N`) instead of inline.
struct TimelinePaging: Sendable, Equatable {
    enum Anchor: Sendable, Equatable {
        case first
        /// The events after this position.
        case after(Int64)
        /// The events before this position.
        case before(Int64)
    }

    var anchor: Anchor
    var limit: Int

    init(_ anchor: Anchor = .first, limit: Int = Limits.consoleTimelinePageEvents) {
        precondition((1...Limits.consoleTimelinePageEventsMax).contains(limit), "a page shows 1…max events")
        self.anchor = anchor
        self.limit = limit
    }

    /// Reads `?after=`, `?before=` and `?limit=`; a value that is not one of them, out of range, or both
    /// anchors at once is a 400 naming the parameter and its form (the value itself is never echoed).
    init(_ uri: URI, logger: Logger) throws(APIError) {
        let query = try QueryParameters(
            uri,
            accepted: [
                "after": "a log position: the page starts after it",
                "before": "a log position: the page ends before it",
                "limit": "events per page, 1…\(Limits.consoleTimelinePageEventsMax)",
            ], logger: logger)
        let after = try query.integer("after", in: 0...Int64.max)
        let before = try query.integer("before", in: 1...Int64.max)
        let limit = try query.integer("limit", in: 1...Int64(Limits.consoleTimelinePageEventsMax))
        let anchor: Anchor
        switch (after, before) {
        case (nil, nil): anchor = .first
        case (let after?, nil): anchor = .after(after)
        case (nil, let before?): anchor = .before(before)
        case (_?, _?): throw APIError.badRequest("give after or before, not both: a page starts or ends at a position")
        }
        self.init(anchor, limit: limit.map(Int.init) ?? Limits.consoleTimelinePageEvents)
    }

    /// The indices of `positions` (a timeline's, ascending) this page shows.
    func window(of positions: [Int64]) -> Range<Int> {
        switch anchor {
        case .first:
            return 0..<min(limit, positions.count)
        case .after(let position):
            // Linear, as the replay that produced `positions` is.
            let start = positions.firstIndex { $0 > position } ?? positions.count
            return start..<min(start + limit, positions.count)
        case .before(let position):
            let end = positions.firstIndex { $0 >= position } ?? positions.count
            return max(0, end - limit)..<end
        }
    }

    /// The query of the page `anchor` with this page's limit (the default limit is left out).
    func query(_ anchor: Anchor) -> String {
        var parameters: [String] = []
        switch anchor {
        case .first: break
        case .after(let position): parameters.append("after=\(position)")
        case .before(let position): parameters.append("before=\(position)")
        }
        if limit != Limits.consoleTimelinePageEvents { parameters.append("limit=\(limit)") }
        return parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")
    }
}

/// What a timeline page says about the events it shows and links to the others.
struct TimelineNavigation {
    /// `Events 26–50 of 130 (#1041 to #2203), in log order.` or why there are none here.
    var summary: String
    var firstHref: String?
    var earlierHref: String?
    var laterHref: String?
    var newestHref: String?

    /// The links of the page showing `window` of `positions` (all of the object's, ascending) at `path`.
    init(_ paging: TimelinePaging, window: Range<Int>, positions: [Int64], path: String) {
        let total = positions.count
        if window.isEmpty {
            summary =
                total == 0
                ? "No events." : "No events here: the object has \(total) events in all; the links below show them."
        } else {
            let first = positions[window.lowerBound]
            let last = positions[window.upperBound - 1]
            summary =
                "Events \(window.lowerBound + 1)–\(window.upperBound) of \(total) (#\(first) to #\(last)), in log order."
        }
        if window.lowerBound > 0 {
            firstHref = path + paging.query(.first)
            // The earlier page ends before this one's first event (an empty page past the end: before the end).
            let end = window.lowerBound < total ? positions[window.lowerBound] : positions[total - 1] + 1
            earlierHref = path + paging.query(.before(end))
        }
        if window.upperBound < total {
            // An empty page before the first event: the later page is the first.
            laterHref = path + paging.query(window.isEmpty ? .first : .after(positions[window.upperBound - 1]))
            newestHref = path + paging.query(.before(positions[total - 1] + 1))
        }
    }
}
