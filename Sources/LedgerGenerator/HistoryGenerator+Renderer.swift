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
        /// The mode of the event being rendered: every object in it states the same `livemode`.
        private(set) var livemode = true
        /// Prices and plans rendered once per mode, indexed `[livemode ? 1 : 0][price.index]`.
        private let pricesByMode: [[[UInt8]]]
        private let plansByMode: [[[UInt8]]]

        init(apiVersion: APIVersion, catalog: Catalog) {
            self.apiVersion = apiVersion
            let legacy = apiVersion == .v2020_08_27
            self.legacy = legacy
            self.catalog = catalog
            var prices: [[[UInt8]]] = []
            var plans: [[[UInt8]]] = []
            for livemode in [false, true] {
                prices.append(catalog.allPrices.map { Renderer.renderPrice($0, legacy: legacy, livemode: livemode) })
                plans.append(catalog.allPrices.map { Renderer.renderPlan($0, legacy: legacy, livemode: livemode) })
            }
            pricesByMode = prices
            plansByMode = plans
        }

        var renderedPrices: [[UInt8]] { pricesByMode[livemode ? 1 : 0] }
        var renderedPlans: [[UInt8]] { plansByMode[livemode ? 1 : 0] }

        /// The complete event envelope for one pending event, every object in the event's mode.
        func render(_ event: PendingEvent) -> [UInt8] {
            var renderer = self
            renderer.livemode = event.livemode
            return renderer.renderEnvelope(event)
        }

        private func renderEnvelope(_ event: PendingEvent) -> [UInt8] {
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
            w.field("livemode", livemode)
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
            case .refund(let refund, let payment, _):
                writeRefund(&w, refund, payment)
            case .dispute(let dispute, _):
                writeDispute(&w, dispute)
            }
        }

        /// Only `*.updated` events and `charge.refunded` carry `previous_attributes`, as in Stripe's deliveries.
        /// A refund's and a dispute's updates report their old `status`.
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
            case .refund(_, _, let previous):
                guard let previous else { return }
                w.key("previous_attributes")
                w.beginObject()
                w.field("status", static: previous.succeeded ? "succeeded" : "pending")
                w.endObject()
            case .dispute(_, let previous):
                guard let previous else { return }
                w.key("previous_attributes")
                w.beginObject()
                if !previous.evidenceSubmitted {
                    w.rawField("evidence_details", #"{"has_evidence":false,"submission_count":0}"#)
                }
                w.field("status", previous.status.rawValue)
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

        private static func renderPrice(_ price: Price, legacy: Bool, livemode: Bool) -> [UInt8] {
            var w = Writer(capacity: 768)
            w.beginObject()
            w.field("id", price.id)
            w.field("object", static: "price")
            w.field("active", true)
            w.field("billing_scheme", static: "per_unit")
            w.field("created", price.created)
            w.field("currency", price.currency.rawValue)
            if !legacy { w.nullField("custom_unit_amount") }
            w.field("livemode", livemode)
            w.field("lookup_key", price.lookupKey)
            w.rawField("metadata", "{}")
            w.field("nickname", "\(price.plan.productName) \(price.interval.nickname)")
            w.field("product", price.productID)
            w.key("recurring")
            w.beginObject()
            if legacy { w.nullField("aggregate_usage") }
            w.field("interval", static: price.interval.stripeInterval)
            w.field("interval_count", price.interval.count)
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

        private static func renderPlan(_ price: Price, legacy: Bool, livemode: Bool) -> [UInt8] {
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
            w.field("interval", static: price.interval.stripeInterval)
            w.field("interval_count", price.interval.count)
            w.field("livemode", livemode)
            w.rawField("metadata", "{}")
            if !legacy { w.nullField("meter") }
            w.field("nickname", "\(price.plan.productName) \(price.interval.nickname)")
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
