import LedgerCore

/// Whether two bodies of one Stripe event (same `evt_` id) are two renderings of the same content.
///
/// Stripe renders an event afresh for each webhook delivery and each listing: the bytes differ in
/// whitespace (and may in key order), and `pending_webhooks` counts the deliveries still owed at that
/// moment. So a webhook that arrives after `ledger sync events` listed its event (or the reverse) is
/// the same fact, not a conflict. The invariant: two bodies are the same event exactly when they are
/// equal as JSON (keys in any order, any whitespace, any string escaping) once the top-level
/// ``volatileMembers`` are dropped; any other difference, however small (`data.object.status`), is
/// still a conflicting duplicate. `request` is kept: Stripe documents no change of it between
/// renderings of one API version (its shape changed only with version 2017-05-25).
enum StripeEventRendering {
    /// Top-level members whose value depends on when the event was rendered, not on what happened.
    static let volatileMembers: Set<String> = ["pending_webhooks"]

    /// True when `stored` and `delivered` parse as JSON objects with the same content outside
    /// ``volatileMembers``; false when either does not parse (then only bytes can say they match).
    static func sameEvent(_ stored: [UInt8], _ delivered: [UInt8]) -> Bool {
        guard let left = content(of: stored), let right = content(of: delivered) else { return false }
        return left == right
    }

    /// One top-level member: its key and its value as canonical JSON.
    private struct Member: Equatable {
        var key: String
        var value: String

        /// By key, then (a repeated key) by value: the order does not depend on the document's.
        func precedes(_ other: Member) -> Bool {
            key == other.key
                ? value.utf8.lexicographicallyPrecedes(other.value.utf8)
                : key.utf8.lexicographicallyPrecedes(other.key.utf8)
        }
    }

    /// The members outside ``volatileMembers``, sorted by key (UTF-8 bytes, as canonical JSON sorts).
    private static func content(of body: [UInt8]) -> [Member]? {
        guard let tape = try? JSONTape(parsing: body), tape.root.isObject else { return nil }
        return tape.root.members
            .filter { !volatileMembers.contains($0.key) }
            .map { Member(key: $0.key, value: $0.value.canonicalJSON) }
            .sorted { $0.precedes($1) }
    }
}
