/// The fields of one `subscription` object the projection reads, as of one event; validated later.
///
/// Reads both API shapes: before 2025-03-31 `current_period_*` sit on the subscription and
/// each item carries a `plan`; from then on the periods sit on the items and only `price` is there.
struct SubscriptionSnapshot: Sendable, Hashable {
    struct Item: Sendable, Hashable {
        var priceID: String?
        /// The price's `lookup_key` and product id, for the mapping's tables.
        var lookupKey: String?
        var productID: String?
        var unitAmount: Int64?
        var quantity: Int64
        var interval: String?
        var intervalCount: Int64?
        var currency: String?
    }

    var id: String
    var customerID: String?
    var status: String
    var cancelAtPeriodEnd: Bool
    var canceledAt: Int64?
    var trialStart: Int64?
    var trialEnd: Int64?
    var periodStart: Int64?
    var periodEnd: Int64?
    var currency: String?
    var items: [Item]
    var metadata: String
    /// The string values of `metadata` by key: what the mapping's rules read (``ProjectionMapping``).
    var metadataStrings: [String: String]
    /// The subscription-level discounts the event carries, in Stripe's order; only MRR reads them.
    var discounts: [SubscriptionDiscount]
    /// Canonical values of the ``chainKeys`` in this object, to match another event's `previous_attributes`.
    var chainValues: [String: String]
    /// Canonical values of the ``chainKeys`` in this event's `data.previous_attributes`.
    var previousValues: [String: String]
    /// The first value present but unusable (a fractional time, a year beyond 9999, metadata jsonb refuses):
    /// the snapshot cannot become a row.
    var problem: ParkReason?

    /// Keys whose `previous_attributes` can chain two same-second events (items are too large to compare).
    static let chainKeys: [StaticString] = [
        "status", "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at", "current_period_start",
        "current_period_end", "trial_start", "trial_end", "latest_invoice", "pause_collection", "metadata",
    ]

    /// Reads `object` (and the event's `previous`); nil when the object has no `id` or `status`.
    init?(object: JSONValue, previous: JSONValue) {
        guard let id = object["id"].string, let status = object["status"].string else { return nil }
        self.id = id
        self.status = status
        customerID = object["customer"].string ?? object["customer"]["id"].string
        var reading = FieldReading()
        cancelAtPeriodEnd = object["cancel_at_period_end"].bool ?? false
        canceledAt = reading.time(object["canceled_at"], "canceled_at")
        trialStart = reading.time(object["trial_start"], "trial_start")
        trialEnd = reading.time(object["trial_end"], "trial_end")
        let itemValues = object["items"]["data"].elements
        items = itemValues.map { Self.item($0, reading: &reading) }
        // Old shape on the subscription; new shape on the items (earliest start, latest end).
        periodStart =
            reading.time(object["current_period_start"], "current_period_start")
            ?? itemValues.compactMap { reading.time($0["current_period_start"], "items.data[].current_period_start") }
            .min()
        periodEnd =
            reading.time(object["current_period_end"], "current_period_end")
            ?? itemValues.compactMap { reading.time($0["current_period_end"], "items.data[].current_period_end") }
            .max()
        currency = object["currency"].string ?? items.first?.currency
        let metadata = object["metadata"]
        if let jsonbProblem = metadata.jsonbProblem {
            reading.record(.valueDoesNotFit(column: "metadata", jsonbProblem + ", which jsonb cannot hold"))
        }
        self.metadata = metadata.isObject ? metadata.canonicalJSON : "{}"
        var metadataStrings: [String: String] = [:]
        for (key, value) in metadata.members {
            if let text = value.string { metadataStrings[key] = text }
        }
        self.metadataStrings = metadataStrings
        discounts = Self.discounts(object)
        var chainValues: [String: String] = [:]
        var previousValues: [String: String] = [:]
        if previous.isObject {
            for key in Self.chainKeys {
                let before = previous[key]
                guard before.exists else { continue }
                let name = key.description
                previousValues[name] = before.canonicalJSON
                chainValues[name] = object[key].canonicalJSON
            }
        }
        self.chainValues = chainValues
        self.previousValues = previousValues
        self.problem = reading.problem
    }

    private static func item(_ item: JSONValue, reading: inout FieldReading) -> Item {
        let price = item["price"]
        let plan = item["plan"]
        let recurring = price["recurring"]
        return Item(
            priceID: price["id"].string ?? plan["id"].string,
            lookupKey: price["lookup_key"].string,
            productID: price["product"].string ?? price["product"]["id"].string ?? plan["product"].string
                ?? plan["product"]["id"].string,
            unitAmount: reading.integer(price["unit_amount"], "items.data[].price.unit_amount")
                ?? reading.integer(plan["amount"], "items.data[].plan.amount"),
            quantity: reading.integer(item["quantity"], "items.data[].quantity") ?? 1,
            interval: recurring["interval"].string ?? plan["interval"].string,
            intervalCount: reading.integer(recurring["interval_count"], "items.data[].price.recurring.interval_count")
                ?? reading.integer(plan["interval_count"], "items.data[].plan.interval_count"),
            currency: price["currency"].string ?? plan["currency"].string)
    }

    /// `discount` (before 2025-03-31) then `discounts` (ids or objects), each discount once by id.
    ///
    /// A discount that cannot be read (an id alone, a coupon id, a value of the wrong shape) is kept without
    /// a value: it never parks the subscription, whose row does not depend on it; MRR ignores it.
    private static func discounts(_ object: JSONValue) -> [SubscriptionDiscount] {
        var discounts: [SubscriptionDiscount] = []
        for value in [object["discount"]] + object["discounts"].elements {
            guard let discount = SubscriptionDiscount(value),
                !discounts.contains(where: { $0.id == discount.id })
            else { continue }
            discounts.append(discount)
        }
        return discounts
    }

    /// True when this event's `previous_attributes` describe exactly `earlier`'s state:
    /// this event is the change that followed it.
    func follows(_ earlier: SubscriptionSnapshot) -> Bool {
        guard !previousValues.isEmpty else { return false }
        for (key, value) in previousValues {
            guard let earlierValue = earlier.currentValue(key), earlierValue == value else { return false }
        }
        return true
    }

    /// This object's canonical value for a chain key, when this event recorded it.
    func currentValue(_ key: String) -> String? {
        chainValues[key] ?? fallbackValue(key)
    }

    /// Values every snapshot knows without `previous_attributes`, so any event can be chained onto.
    private func fallbackValue(_ key: String) -> String? {
        func number(_ value: Int64?) -> String { value.map(String.init) ?? "null" }
        switch key {
        case "status": return "\"\(status)\""
        case "cancel_at_period_end": return cancelAtPeriodEnd ? "true" : "false"
        case "canceled_at": return number(canceledAt)
        case "current_period_start": return number(periodStart)
        case "current_period_end": return number(periodEnd)
        case "trial_start": return number(trialStart)
        case "trial_end": return number(trialEnd)
        case "metadata": return metadata
        default: return nil
        }
    }
}

extension SubscriptionDiscount {
    /// Reads a discount object, or a discount id alone; nil for null, absent or any other shape.
    init?(_ value: JSONValue) {
        if let id = value.string {
            self.init(id: id, value: nil, duration: nil)
            return
        }
        guard value.isObject else { return nil }
        // Before 2025-03-31 the coupon sits on the discount; from then on under `source`.
        let coupon = value["coupon"].isObject ? value["coupon"] : value["source"]["coupon"]
        guard let id = value["id"].string ?? coupon["id"].string ?? coupon.string else { return nil }
        var couponValue: Value?
        if let partsPerMillion = coupon["percent_off"].percentPartsPerMillion {
            couponValue = .percentOff(partsPerMillion: partsPerMillion)
        } else if let cents = coupon["amount_off"].int64, cents >= 0, let currency = coupon["currency"].string {
            couponValue = .amountOff(cents: cents, currency: currency)
        }
        self.init(
            id: id, value: couponValue, duration: coupon["duration"].string.flatMap(Duration.init(rawValue:)),
            start: value["start"].int64, end: value["end"].int64)
    }
}

extension JSONValue {
    /// A percentage `0 < p ≤ 100` with at most four decimals (Stripe's `percent_off`), in parts per million.
    var percentPartsPerMillion: Int64? {
        guard let node, node.kind == .number else { return nil }
        let text = tape.bytes.withUnsafeBufferPointer {
            Array(UnsafeBufferPointer(rebasing: $0[Int(node.start)..<Int(node.end)]))
        }
        var value: Int64 = 0
        var fractionDigits: Int?
        for byte in text {
            if byte == UInt8(ascii: "."), fractionDigits == nil {
                fractionDigits = 0
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, value < SubscriptionDiscount.wholePartsPerMillion else { return nil }
            value = value * 10 + Int64(digit)
            if let digits = fractionDigits {
                guard digits < 4 else { return nil }
                fractionDigits = digits + 1
            }
        }
        for _ in (fractionDigits ?? 0)..<4 { value *= 10 }
        guard value > 0, value <= SubscriptionDiscount.wholePartsPerMillion else { return nil }
        return value
    }
}
