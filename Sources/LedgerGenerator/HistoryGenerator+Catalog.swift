extension HistoryGenerator {
    /// The product tiers the ledger sells; `rawValue` is the `plan_type` stored in metadata and licenses.
    enum Plan: String, CaseIterable {
        case free, starter, pro, enterprise

        var tier: Int {
            switch self {
            case .free: 0
            case .starter: 1
            case .pro: 2
            case .enterprise: 3
            }
        }

        var productName: String {
            switch self {
            case .free: "Free"
            case .starter: "Starter"
            case .pro: "Pro"
            case .enterprise: "Enterprise"
            }
        }

        /// List price per seat in the currency's minor unit; free is 0 so its invoices are $0.
        func unitAmount(_ interval: Interval) -> Int64 {
            let monthly: Int64 =
                switch self {
                case .free: 0
                case .starter: 1900
                case .pro: 4900
                case .enterprise: 19900
                }
            switch interval {
            case .month: return monthly
            case .quarter: return monthly * 29 / 10
            case .year: return monthly * 10
            }
        }

        static func byTier(_ tier: Int) -> Plan {
            allCases[max(0, min(allCases.count - 1, tier))]
        }
    }

    /// How often a price recurs: Stripe's `recurring.interval` × `interval_count` (quarterly is month × 3).
    enum Interval: CaseIterable {
        case month, quarter, year

        var months: Int {
            switch self {
            case .month: 1
            case .quarter: 3
            case .year: 12
            }
        }

        /// The wire `interval`.
        var stripeInterval: StaticString { self == .year ? "year" : "month" }

        /// The wire `interval_count`.
        var count: Int { self == .quarter ? 3 : 1 }

        /// As in an invoice line's description: `$49.00 / month`, `$142.10 / 3 months`.
        var per: String {
            switch self {
            case .month: "month"
            case .quarter: "3 months"
            case .year: "year"
            }
        }

        /// As in a price's nickname.
        var nickname: String {
            switch self {
            case .month: "Monthly"
            case .quarter: "Quarterly"
            case .year: "Yearly"
            }
        }

        /// As in a price's lookup key.
        var adjective: String {
            switch self {
            case .month: "monthly"
            case .quarter: "quarterly"
            case .year: "yearly"
            }
        }
    }

    /// Settlement currencies, lower-case as Stripe sends them.
    enum Currency: String, CaseIterable {
        case usd, eur, gbp

        var symbol: String {
            switch self {
            case .usd: "$"
            case .eur: "€"
            case .gbp: "£"
            }
        }
    }

    /// One recurring price: a plan at an interval in a currency.
    struct Price {
        let index: Int
        let id: String
        let productID: String
        let plan: Plan
        let interval: Interval
        let currency: Currency
        let unitAmount: Int64
        let created: Int64
        let lookupKey: String
    }

    /// Every product and price of the run, drawn once from the seed so all customers share them.
    struct Catalog {
        let products: [String]
        private let prices: [Price]
        let coupons: [Coupon]

        init(seed: UInt64, created: Int64) {
            var random = Random(seed: seed, stream: StreamID.catalog, index: 0)
            var products: [String] = []
            for _ in Plan.allCases {
                products.append(random.identifier("prod_", count: 14))
            }
            var prices: [Price] = []
            for plan in Plan.allCases {
                for interval in [Interval.month, .year] {
                    for currency in Currency.allCases {
                        prices.append(
                            Price(
                                index: prices.count, id: random.identifier("price_", count: 24),
                                productID: products[plan.tier], plan: plan, interval: interval,
                                currency: currency, unitAmount: plan.unitAmount(interval),
                                created: created + Int64(prices.count),
                                lookupKey: "\(plan.rawValue)_\(interval.adjective)_\(currency.rawValue)"))
                    }
                }
            }
            // Drawn after the monthly and yearly prices, so adding them left those prices' ids as they were.
            for plan in Plan.allCases {
                for currency in Currency.allCases {
                    prices.append(
                        Price(
                            index: prices.count, id: random.identifier("price_", count: 24),
                            productID: products[plan.tier], plan: plan, interval: .quarter, currency: currency,
                            unitAmount: plan.unitAmount(.quarter), created: created + Int64(prices.count),
                            lookupKey: "\(plan.rawValue)_quarterly_\(currency.rawValue)"))
                }
            }
            self.products = products
            self.prices = prices
            coupons = Catalog.drawCoupons(&random, created: created)
        }

        var allPrices: [Price] { prices }

        func price(_ plan: Plan, _ interval: Interval, _ currency: Currency) -> Price {
            let currencyIndex = Currency.allCases.firstIndex(of: currency) ?? 0
            let currencies = Currency.allCases.count
            switch interval {
            case .month: return prices[(plan.tier * 2) * currencies + currencyIndex]
            case .year: return prices[(plan.tier * 2 + 1) * currencies + currencyIndex]
            case .quarter: return prices[(Plan.allCases.count * 2 + plan.tier) * currencies + currencyIndex]
            }
        }

        /// Percentage coupons of each duration, and an amount-off coupon per currency (it only applies in its own).
        private static func drawCoupons(_ random: inout Random, created: Int64) -> [Coupon] {
            var coupons: [Coupon] = []
            let percentages: [(Int, Coupon.Duration, Int?)] = [
                (20, .forever, nil), (50, .repeating, 3), (25, .once, nil), (10, .repeating, 12),
            ]
            for (percent, duration, months) in percentages {
                coupons.append(
                    Coupon(
                        id: random.identifier("", count: 8).uppercased(), name: "\(percent)% off", percentOff: percent,
                        amountOff: nil, currency: nil, duration: duration, durationInMonths: months,
                        created: created + Int64(coupons.count)))
            }
            for currency in Currency.allCases {
                coupons.append(
                    Coupon(
                        id: random.identifier("", count: 8).uppercased(), name: "\(currency.symbol)5 off",
                        percentOff: nil, amountOff: 500, currency: currency, duration: .repeating, durationInMonths: 6,
                        created: created + Int64(coupons.count)))
            }
            return coupons
        }
    }

    /// Separate PRNG streams, so adding draws for one purpose never shifts another's.
    enum StreamID {
        static let catalog: UInt64 = 1
        static let signUp: UInt64 = 2
        static let customer: UInt64 = 3
        static let delivery: UInt64 = 4
        static let testMode: UInt64 = 5
    }
}
