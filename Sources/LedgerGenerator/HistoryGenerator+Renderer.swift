extension HistoryGenerator {
    /// Renders pending events as Stripe webhook JSON in one API version's shapes.
    ///
    /// Keys follow Stripe's wire order (`id`, `object`, then alphabetical);
    /// prices and plans never change during a run, so they are rendered once.
    struct Renderer {
        typealias Writer = JSONWriter

        let apiVersion: APIVersion
        let legacy: Bool
        let catalog: Catalog
        let renderedPrices: [[UInt8]]
        let renderedPlans: [[UInt8]]

        init(apiVersion: APIVersion, catalog: Catalog) {
            self.apiVersion = apiVersion
            self.legacy = apiVersion == .v2020_08_27
            self.catalog = catalog
            var prices: [[UInt8]] = []
            var plans: [[UInt8]] = []
            for price in catalog.allPrices {
                prices.append(Renderer.renderPrice(price, legacy: legacy))
                plans.append(Renderer.renderPlan(price, legacy: legacy))
            }
            renderedPrices = prices
            renderedPlans = plans
        }

        /// The complete event envelope for one pending event.
        func render(_ event: PendingEvent) -> [UInt8] {
            var w = Writer(capacity: 8192)
            w.beginObject()
            w.field("id", event.eventID)
            w.field("object", static: "event")
            w.field("api_version", apiVersion.rawValue)
            w.field("created", event.created)
            w.key("data")
            w.beginObject()
            w.key("object")
            writePayload(&w, event.payload)
            writePreviousAttributes(&w, event)
            w.endObject()
            w.field("livemode", false)
            w.field("pending_webhooks", event.pendingWebhooks)
            w.key("request")
            w.beginObject()
            w.field("id", event.request.id)
            w.field("idempotency_key", event.request.idempotencyKey)
            w.endObject()
            w.field("type", event.type.rawValue)
            w.endObject()
            return w.bytes
        }

        private func writePayload(_ w: inout Writer, _ payload: Payload) {
            switch payload {
            case .subscription(let subscription, _, _):
                writeSubscription(&w, subscription)
            case .invoice(let invoice):
                writeInvoice(&w, invoice)
            case .paymentIntent(let payment):
                writePaymentIntent(&w, payment)
            case .charge(let payment, _):
                writeCharge(&w, payment)
            case .invoicePayment(let invoice, let payment):
                writeInvoicePayment(&w, invoice, payment)
            }
        }

        /// Only `*.updated` events and `charge.refunded` carry `previous_attributes`, as in Stripe's deliveries.
        private func writePreviousAttributes(_ w: inout Writer, _ event: PendingEvent) {
            switch event.payload {
            case .subscription(_, let previous, let changed):
                guard event.type == .subscriptionUpdated, let previous else { return }
                w.key("previous_attributes")
                writeSubscription(&w, previous, only: changed)
            case .charge(_, let previous):
                guard let previous else { return }
                w.key("previous_attributes")
                w.beginObject()
                w.field("amount_refunded", previous.amountRefunded)
                w.field("refunded", previous.amountRefunded >= previous.amount)
                w.key("refunds")
                w.beginObject()
                w.key("data")
                w.beginArray()
                for refund in previous.refunds { writeRefund(&w, refund, previous) }
                w.endArray()
                w.field("total_count", previous.refunds.count)
                w.endObject()
                w.endObject()
            case .invoice, .paymentIntent, .invoicePayment:
                return
            }
        }

        func currencyCode(_ currency: Currency) -> StaticString {
            switch currency {
            case .usd: "usd"
            case .eur: "eur"
            case .gbp: "gbp"
            }
        }

        private static func renderPrice(_ price: Price, legacy: Bool) -> [UInt8] {
            var w = Writer(capacity: 768)
            w.beginObject()
            w.field("id", price.id)
            w.field("object", static: "price")
            w.field("active", true)
            w.field("billing_scheme", static: "per_unit")
            w.field("created", price.created)
            w.field("currency", price.currency.rawValue)
            if !legacy { w.nullField("custom_unit_amount") }
            w.field("livemode", false)
            w.field("lookup_key", price.lookupKey)
            w.rawField("metadata", "{}")
            w.field("nickname", "\(price.plan.productName) \(price.interval == .month ? "Monthly" : "Yearly")")
            w.field("product", price.productID)
            w.key("recurring")
            w.beginObject()
            if legacy { w.nullField("aggregate_usage") }
            w.field("interval", price.interval.rawValue)
            w.field("interval_count", 1)
            if !legacy { w.nullField("meter") }
            w.nullField("trial_period_days")
            w.field("usage_type", static: "licensed")
            w.endObject()
            w.field("tax_behavior", static: "unspecified")
            w.nullField("tiers_mode")
            w.nullField("transform_quantity")
            w.field("type", static: "recurring")
            w.field("unit_amount", price.unitAmount)
            w.field("unit_amount_decimal", String(price.unitAmount))
            w.endObject()
            return w.bytes
        }

        private static func renderPlan(_ price: Price, legacy: Bool) -> [UInt8] {
            var w = Writer(capacity: 640)
            w.beginObject()
            w.field("id", price.id)
            w.field("object", static: "plan")
            w.field("active", true)
            if legacy { w.nullField("aggregate_usage") }
            w.field("amount", price.unitAmount)
            w.field("amount_decimal", String(price.unitAmount))
            w.field("billing_scheme", static: "per_unit")
            w.field("created", price.created)
            w.field("currency", price.currency.rawValue)
            w.field("interval", price.interval.rawValue)
            w.field("interval_count", 1)
            w.field("livemode", false)
            w.rawField("metadata", "{}")
            if !legacy { w.nullField("meter") }
            w.field("nickname", "\(price.plan.productName) \(price.interval == .month ? "Monthly" : "Yearly")")
            w.field("product", price.productID)
            w.nullField("tiers_mode")
            w.nullField("transform_usage")
            w.nullField("trial_period_days")
            w.field("usage_type", static: "licensed")
            w.endObject()
            return w.bytes
        }
    }
}
