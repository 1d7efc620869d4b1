import Foundation
import LedgerPostgres

/// The poison events issue 13 names, each built from its real fixture, so each is its own regression test.
public enum HostileIssueCase: String, Sendable, CaseIterable, CustomStringConvertible {
    // Failure 2: a huge time traps every reader of the log.
    case currentPeriodEndHuge = "subscription current_period_end 99999999999999"
    case canceledAtExponent = "subscription canceled_at 1e13"
    // Failure 3: eight kinds of stored event freeze the projection.
    case subscriptionMetadataNUL = "\\u0000 in subscription metadata"
    case paymentIntentMetadataNUL = "\\u0000 in PaymentIntent metadata"
    case lastPaymentErrorNUL = "\\u0000 in last_payment_error.message"
    case chargeFailureMessageNUL = "\\u0000 in a charge's failure_message"
    case paymentMethodType60 = "60-character payment_method.type"
    case invoiceID303OnPaymentIntent = "303-character invoice id on a PaymentIntent"
    case paymentIntentID303OnCharge = "303-character payment_intent id on a charge"
    case invoiceNegativeDollars = "pre-2025 invoice amount_due -500 currency dollars"
    // Failure 4: a far-future created pins an object.
    case createdYear5138 = "subscription event created in year 5138"

    public var description: String { rawValue }

    /// The eight kinds of failure 3.
    public static let freezing: [HostileIssueCase] = [
        .subscriptionMetadataNUL, .paymentIntentMetadataNUL, .lastPaymentErrorNUL, .chargeFailureMessageNUL,
        .paymentMethodType60, .invoiceID303OnPaymentIntent, .paymentIntentID303OnCharge, .invoiceNegativeDollars,
    ]

    var templateName: String {
        switch self {
        case .currentPeriodEndHuge, .canceledAtExponent, .subscriptionMetadataNUL, .createdYear5138:
            "2020-08-27/customer.subscription.updated"
        case .paymentIntentMetadataNUL: "2020-08-27/payment_intent.succeeded"
        case .lastPaymentErrorNUL, .paymentMethodType60: "2020-08-27/payment_intent.payment_failed"
        case .chargeFailureMessageNUL: "2020-08-27/charge.failed"
        case .invoiceID303OnPaymentIntent: "2020-08-27/payment_intent.requires_action"
        case .paymentIntentID303OnCharge: "2020-08-27/charge.succeeded"
        case .invoiceNegativeDollars: "2020-08-27/invoice.paid"
        }
    }

    /// The poison event (and its genuine follow-up) as case `index` of a log.
    public func hostileCase(_ generator: HostileGenerator, index: Int) throws -> HostileCase {
        let template = try generator.template(templateName)
        var event = template.event
        event.set("id", .text("evt_issue13_\(index)_poison"))
        event.set("created", .number(String(HostileGenerator.firstCreated + Int64(index) * 10)))
        var object = event["data"]?["object"] ?? .object([])
        let nul: HostileJSON = .string(Array(#"card declined\u0000"#.utf8))
        let target: String
        switch self {
        case .currentPeriodEndHuge:
            object.set("current_period_end", .number("99999999999999"))
            target = "data.object.current_period_end"
        case .canceledAtExponent:
            object.set("canceled_at", .number("1e13"))
            target = "data.object.canceled_at"
        case .subscriptionMetadataNUL, .paymentIntentMetadataNUL:
            var metadata = object["metadata"] ?? .object([])
            metadata.set("note", nul)
            object.set("metadata", metadata)
            target = "data.object.metadata.note"
        case .lastPaymentErrorNUL:
            var error = object["last_payment_error"] ?? .object([])
            error.set("message", nul)
            object.set("last_payment_error", error)
            target = "data.object.last_payment_error.message"
        case .chargeFailureMessageNUL:
            object.set("failure_message", nul)
            target = "data.object.failure_message"
        case .paymentMethodType60:
            let long = HostileJSON.text(String(repeating: "m", count: 60))
            var error = object["last_payment_error"] ?? .object([])
            var method = error["payment_method"] ?? .object([])
            method.set("type", long)
            error.set("payment_method", method)
            object.set("last_payment_error", error)
            object.set("payment_method_types", .array([long]))
            target = "data.object.last_payment_error.payment_method.type"
        case .invoiceID303OnPaymentIntent:
            object.set("invoice", .text("in_" + String(repeating: "1", count: 300)))
            target = "data.object.invoice"
        case .paymentIntentID303OnCharge:
            object.set("payment_intent", .text("pi_" + String(repeating: "2", count: 300)))
            target = "data.object.payment_intent"
        case .invoiceNegativeDollars:
            object.set("amount_due", .number("-500"))
            object.set("currency", .text("dollars"))
            target = "data.object.amount_due, data.object.currency"
        case .createdYear5138:
            event.set("created", .number("99999999999"))
            target = "created"
        }
        var data = event["data"] ?? .object([])
        data.set("object", object)
        event.set("data", data)
        return generator.makeCase(
            index: index, template: template, poison: event,
            mutations: [HostileMutation(kind: "issue 13", target: target, value: rawValue)], tag: "issue13")
    }
}

/// Checks over a database that received hostile deliveries.
public enum HostileChecks {
    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: text, as: UTF8.self)
    }

    /// Every delivered document is stored in `ledger.events` or kept in `ledger.rejected_inputs` with a reason,
    /// byte for byte; returns a line per document that is neither (with its index into `documents`).
    public static func unaccounted(_ documents: [[UInt8]], connection: PostgresConnection) throws -> [String] {
        var stored: [String: Int] = [:]
        for row in try connection.query("SELECT encode(body, 'hex') FROM ledger.events") {
            stored[try row.decode(String.self, at: 0), default: 0] += 1
        }
        var rejected: [String: Int] = [:]
        for row in try connection.query(
            "SELECT encode(body, 'hex') FROM ledger.rejected_inputs WHERE length(btrim(reason)) > 0")
        {
            rejected[try row.decode(String.self, at: 0), default: 0] += 1
        }
        var missing: [String] = []
        for (index, document) in documents.enumerated() {
            let key = hex(document)
            if let count = stored[key], count > 0 {
                stored[key] = count - 1
            } else if let count = rejected[key], count > 0 {
                rejected[key] = count - 1
            } else {
                missing.append("document \(index) is neither stored nor rejected with a reason")
            }
        }
        return missing
    }

    /// The metadata marker of the row of `objectID` (a Stripe subscription or PaymentIntent id), nil without a row.
    public static func rowMarker(_ kind: HostileObjectKind, objectID: String, connection: PostgresConnection) throws
        -> String??
    {
        let sql =
            kind == .subscription
            ? "SELECT metadata->>'hostile_case' FROM subscriptions WHERE stripe_subscription_id = $1"
            : "SELECT metadata->>'hostile_case' FROM payment_transactions WHERE stripe_payment_intent_id = $1"
        let rows = try connection.query(sql, [objectID])
        guard let row = rows.first else { return nil }
        return .some(try row.decode(String?.self, at: 0))
    }

    /// For each object with a checkable row, the marker of its last follow-up: the row must hold it.
    public static func expectedMarkers(_ cases: [HostileCase]) -> [(
        kind: HostileObjectKind, id: String, marker: String
    )] {
        var last: [String: (kind: HostileObjectKind, id: String, marker: String)] = [:]
        var order: [String] = []
        for hostile in cases where hostile.followUpHasRow {
            guard let id = hostile.template.objectID else { continue }
            if last[id] == nil { order.append(id) }
            last[id] = (hostile.template.kind, id, hostile.marker)
        }
        return order.compactMap { last[$0] }
    }

    /// The rows that do not hold their last follow-up's marker, as messages.
    public static func staleRows(_ cases: [HostileCase], connection: PostgresConnection) throws -> [String] {
        try expectedMarkers(cases).compactMap { expected in
            let found = try rowMarker(expected.kind, objectID: expected.id, connection: connection)
            switch found {
            case nil: return "\(expected.id) has no row; its last genuine event is \(expected.marker)"
            case .some(let marker) where marker != expected.marker:
                return "\(expected.id) holds \(marker ?? "no marker"), not its last genuine event \(expected.marker)"
            default: return nil
            }
        }
    }

    /// The documents of `cases` in delivery order: each poison, then its follow-up.
    public static func documents(_ cases: [HostileCase]) -> [[UInt8]] {
        cases.flatMap { [$0.poison, $0.followUp] }
    }

    /// The cases as JSON Lines (one document per line; the generator writes no raw newline).
    public static func jsonLines(_ cases: [HostileCase]) -> Data {
        var data = Data()
        for document in documents(cases) {
            data.append(contentsOf: document)
            data.append(0x0A)
        }
        return data
    }
}
