import Foundation

/// The fake's object lists (`GET /v1/subscriptions`, `/v1/payment_intents`, …), as Stripe lists them: newest
/// `created` first, `customer`, `created[gte]` and (subscriptions) `status` filters, `limit`, `starting_after`,
/// `has_more`; each object's bytes exactly as stored.
extension FakeStripe {
    /// The list paths served besides `/v1/events`.
    static let objectPaths = [
        "/v1/subscriptions", "/v1/invoices", "/v1/payment_intents", "/v1/charges", "/v1/refunds", "/v1/disputes",
    ]

    /// Replaces the objects `path` lists (in any order; each needs `id` and `created`).
    func setObjects(_ path: String, _ objects: [[UInt8]]) {
        precondition(Self.objectPaths.contains(path), "the fake does not serve \(path)")
        state.withLock { $0.objects[path] = objects }
    }

    /// Replaces the one object of `path` whose `id` is `id`, keeping its place.
    func replaceObject(_ path: String, id: String, with object: [UInt8]) {
        state.withLock { state in
            guard let index = state.objects[path]?.firstIndex(where: { Self.fields($0)["id"] as? String == id })
            else { preconditionFailure("the fake holds no \(id) at \(path)") }
            state.objects[path]?[index] = object
        }
    }

    /// One page of `path`'s objects.
    func objectPage(_ path: String, _ query: [String: String]) -> Page {
        let limit = min(query["limit"].flatMap { Int($0) } ?? 10, 100)
        let lower = query["created[gte]"].flatMap { Int64($0) } ?? .min
        let stored = state.withLock { $0.objects[path] ?? [] }
        var listed = stored.map { ($0, Self.fields($0)) }.filter { _, fields in
            if let customer = query["customer"], fields["customer"] as? String != customer { return false }
            // Stripe leaves canceled subscriptions out unless asked for every status.
            if path == "/v1/subscriptions", query["status"] != "all", fields["status"] as? String == "canceled" {
                return false
            }
            return Self.created(fields) >= lower
        }
        listed.sort {
            (Self.created($0.1), $0.1["id"] as? String ?? "") > (Self.created($1.1), $1.1["id"] as? String ?? "")
        }
        if let after = query["starting_after"], let index = listed.firstIndex(where: { $0.1["id"] as? String == after })
        {
            listed.removeFirst(index + 1)
        }
        var body = Array("{\n  \"object\": \"list\",\n  \"data\": [\n".utf8)
        for (index, (object, _)) in listed.prefix(limit).enumerated() {
            if index > 0 { body += Array(",\n".utf8) }
            body += object
        }
        body += Array("\n  ],\n  \"has_more\": \(listed.count > limit),\n  \"url\": \"\(path)\"\n}".utf8)
        return Page(body: body, items: min(listed.count, limit), hasMore: listed.count > limit)
    }

    private static func created(_ fields: [String: Any]) -> Int64 { (fields["created"] as? NSNumber)?.int64Value ?? 0 }

    private static func fields(_ object: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(object))) as? [String: Any] ?? [:]
    }
}
