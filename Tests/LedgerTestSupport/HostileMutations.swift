import Foundation
import LedgerTestRandom

/// What a Stripe event is about, as the hostile suites check it.
public enum HostileObjectKind: String, Sendable {
    case subscription, paymentIntent, charge, invoice, invoicePayment, other
    /// An event whose `data.object` has no `id` (`balance.available`, `invoice.upcoming`).
    case noObjectID
}

/// One real Stripe event shape to mutate: a webhook fixture of 2020-08-27 or an OpenAPI example of 2025/2026
/// wrapped in an envelope, made projectable (subscriptions name the test license in their metadata).
public struct HostileTemplate: Sendable {
    public var name: String
    public var event: HostileJSON
    public var kind: HostileObjectKind
    public var objectID: String?
    public var type: String { event["type"]?.plainString ?? "" }

    /// True when the unmutated event becomes a row whose metadata can be checked: a subscription or
    /// PaymentIntent, except a subscription whose items mix currencies (the trial_will_end fixture), which
    /// is rightly parked.
    public var checksRow: Bool {
        switch kind {
        case .paymentIntent: return true
        case .subscription:
            let items = event["data"]?["object"]?["items"]?["data"]
            guard case .array(let elements)? = items else { return false }
            let currencies = Set(elements.compactMap { ($0["price"] ?? $0["plan"])?["currency"]?.plainString })
            return currencies.count <= 1
        case .charge, .invoice, .invoicePayment, .other, .noObjectID: return false
        }
    }
}

/// The fixtures of `Tests/Fixtures/stripe`, loaded once per suite.
public enum HostileFixtures {
    /// The license every hostile subscription names; ``HostileFixtures/licenseSQL`` creates it.
    public static let licenseID = "5d1e7a3c-7b1f-4c9a-9e2d-0a1b2c3d4e5f"

    /// A user and the license the subscriptions name, so a valid subscription event becomes a row.
    public static let licenseSQL = """
        INSERT INTO users (id, email, password_hash)
            VALUES ('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', 'hostile@example.test', 'x');
        INSERT INTO licenses (id, user_id, license_key, plan_type, status)
            VALUES ('\(licenseID)', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', 'hostile-license', 'pro', 'active');
        """

    /// Every template, in a fixed order (the seed indexes into it).
    public static func templates() throws -> [HostileTemplate] {
        var templates: [HostileTemplate] = []
        let webhooks = Repository.stripeFixtures.appendingPathComponent("webhook-events-2020-08-27")
        let files = try FileManager.default.contentsOfDirectory(atPath: webhooks.path).filter { $0.hasSuffix(".json") }
            .sorted()
        for file in files where file != "customer.subscription.deleted.json" {
            // A deletion is terminal: a later genuine event for the object is rightly ignored, so it cannot
            // be the poison before a follow-up that must apply.
            let bytes = try Array(Data(contentsOf: webhooks.appendingPathComponent(file)))
            templates.append(template("2020-08-27/\(file.dropLast(5))", try HostileJSON(parsing: bytes)))
        }
        for (file, version) in [
            ("fixtures3-2025-02-14.json", "2025-02-24.acacia"), ("fixtures3-2026-07-29.json", "2026-07-29"),
        ] {
            let url = Repository.stripeFixtures.appendingPathComponent("openapi/\(file)")
            let all = try HostileJSON(parsing: Array(Data(contentsOf: url)))
            let wrapped: [(resource: String, type: String)] = [
                ("subscription", "customer.subscription.updated"), ("payment_intent", "payment_intent.succeeded"),
                ("charge", "charge.succeeded"), ("invoice", "invoice.paid"),
                ("invoice_payment", "invoice_payment.paid"),
            ]
            for (resource, type) in wrapped {
                guard let object = all["resources"]?[resource] else { continue }
                templates.append(
                    template("\(version)/\(resource)", envelope(type: type, version: version, object: object)))
            }
            if version.hasPrefix("2026"), let balance = all["resources"]?["balance"] {
                templates.append(
                    template(
                        "\(version)/balance.available",
                        envelope(type: "balance.available", version: version, object: balance)))
            }
        }
        // A real invoice.upcoming has no id: the invoice does not exist yet.
        if var upcoming = templates.first(where: { $0.name == "2020-08-27/invoice.created" })?.event {
            upcoming.set("type", .text("invoice.upcoming"))
            upcoming.modify(at: [.member(memberIndex(upcoming, "data")), .member(0)][...]) { object in
                guard case .object(let members) = object else { return object }
                return .object(members.filter { $0.name != "id" })
            }
            templates.append(template("2020-08-27/invoice.upcoming", upcoming))
        }
        return templates
    }

    static func memberIndex(_ value: HostileJSON, _ key: String) -> Int {
        guard case .object(let members) = value else { return 0 }
        return members.firstIndex { $0.name == key } ?? 0
    }

    static func envelope(type: String, version: String, object: HostileJSON) -> HostileJSON {
        .object([
            HostileMember(key: Array("id".utf8), value: .text("evt_template")),
            HostileMember(key: Array("object".utf8), value: .text("event")),
            HostileMember(key: Array("api_version".utf8), value: .text(version)),
            HostileMember(key: Array("created".utf8), value: .number("1700000000")),
            HostileMember(
                key: Array("data".utf8), value: .object([HostileMember(key: Array("object".utf8), value: object)])),
            HostileMember(key: Array("livemode".utf8), value: .bool(false)),
            HostileMember(key: Array("pending_webhooks".utf8), value: .number("1")),
            HostileMember(key: Array("type".utf8), value: .text(type)),
        ])
    }

    static func template(_ name: String, _ event: HostileJSON) -> HostileTemplate {
        var event = event
        let object = event["data"]?["object"]
        let objectID = object?["id"]?.plainString
        let kind: HostileObjectKind
        switch object?["object"]?.plainString {
        case _ where objectID == nil: kind = .noObjectID
        case "subscription": kind = .subscription
        case "payment_intent": kind = .paymentIntent
        case "charge": kind = .charge
        case "invoice": kind = .invoice
        case "invoice_payment": kind = .invoicePayment
        default: kind = .other
        }
        if kind == .subscription {
            setObjectMember(
                &event, "metadata",
                .object([
                    HostileMember(key: Array("license_id".utf8), value: .text(licenseID)),
                    HostileMember(key: Array("plan_type".utf8), value: .text("pro")),
                ]))
        }
        return HostileTemplate(name: name, event: event, kind: kind, objectID: objectID)
    }

    /// Sets `data.object[key]`.
    public static func setObjectMember(_ event: inout HostileJSON, _ key: String, _ value: HostileJSON) {
        guard var data = event["data"], var object = data["object"] else { return }
        object.set(key, value)
        data.set("object", object)
        event.set("data", data)
    }
}

/// One change made to a poison event, as a reproducer names it.
public struct HostileMutation: Sendable, CustomStringConvertible {
    public var kind: String
    public var target: String
    public var value: String

    public var description: String { "\(kind) at \(target): \(value)" }
}

/// One poison event and the genuine follow-up for the same object that must still be projected.
public struct HostileCase: Sendable, CustomStringConvertible {
    public var index: Int
    public var template: HostileTemplate
    public var mutations: [HostileMutation]
    public var poison: [UInt8]
    public var poisonEventID: String
    public var followUp: [UInt8]
    public var followUpEventID: String
    /// The marker the follow-up writes into its object's metadata (subscriptions and PaymentIntents).
    public var marker: String

    public var description: String {
        let body = String(decoding: poison.prefix(4000), as: UTF8.self)
        return "case \(index) on \(template.name) (\(template.type), object \(template.objectID ?? "none")): "
            + mutations.map(\.description).joined(separator: "; ") + "\n  poison \(poisonEventID): \(body)"
            + (poison.count > 4000 ? "… (\(poison.count) bytes)" : "")
    }

    /// True when the follow-up's row can be checked by its metadata marker.
    public var followUpHasRow: Bool { template.checksRow }
}

/// Hostile values, each as it is written into the JSON text.
public enum HostileValues {
    public static let boundaryNumbers = [
        "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "99999999999999", "1e13", "1.5", "-0", "1E400", "-1", "-500", "0.0", "1e-7",
        "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
    ]
    /// Unix seconds: before 1970, year 1, year 10000, year 5138, far future, as floats and exponents.
    public static let times = [
        "-1", "-62135596801", "-9223372036854775808", "253402300800", "99999999999", "99999999999999", "1e13",
        "1E400", "1.5", "-0", "2147483648", "4102444800", "9223372036854775807", "1648320106.5",
    ]
    /// Contents of a poison string, as written between the quotes.
    public static let strings: [(name: String, bytes: [UInt8])] = [
        ("NUL", Array(#"\u0000"#.utf8)),
        ("NUL inside", Array(#"declined\u0000here"#.utf8)),
        ("lone high surrogate", Array(#"\ud800"#.utf8)),
        ("lone low surrogate", Array(#"\udfff"#.utf8)),
        ("surrogate then letter", Array(#"\ud800A"#.utf8)),
        ("raw 0xFF", [0x61, 0xFF, 0x62]),
        ("overlong NUL", [0xC0, 0x80]),
        ("encoded surrogate", [0xED, 0xA0, 0x80]),
        ("truncated sequence", [0x61, 0xE2, 0x82]),
        ("lone continuation", [0x80]),
        ("empty", []),
        ("60 characters", Array(String(repeating: "x", count: 60).utf8)),
        ("256 characters", Array(String(repeating: "y", count: 256).utf8)),
        ("303 characters", Array(("in_" + String(repeating: "z", count: 300)).utf8)),
        ("600 bytes", Array(("pi_" + String(repeating: "q", count: 597)).utf8)),
        ("171 euro signs (513 bytes)", Array(String(repeating: "€", count: 171).utf8)),
        ("2000 bytes", Array(String(repeating: "w", count: 2000).utf8)),
        ("quote and backslash", Array(#"\"\\"#.utf8)),
        ("escaped control", Array(#"\b\f\n\r\t\u001f"#.utf8)),
        ("RTL override", Array("\u{202E}evil".utf8)),
    ]
    /// Long ids: past varchar(255) in bytes and characters, past 512 bytes within 255 characters.
    public static func longID(prefix: String, _ random: inout SeededGenerator) -> String {
        switch random.below(4) {
        case 0: prefix + String(repeating: "a", count: 300)
        case 1: prefix + String(repeating: "b", count: 600)
        case 2: prefix + String(repeating: "é", count: 250)
        default: prefix + String(repeating: "€", count: 171)
        }
    }
}
