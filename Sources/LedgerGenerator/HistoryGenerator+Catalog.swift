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
            return interval == .month ? monthly : monthly * 10
        }

        static func byTier(_ tier: Int) -> Plan {
            allCases[max(0, min(allCases.count - 1, tier))]
        }
    }

    /// A price's `recurring.interval`.
    enum Interval: String {
        case month, year

        var months: Int { self == .month ? 1 : 12 }
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
                                lookupKey: "\(plan.rawValue)_\(interval.rawValue)ly_\(currency.rawValue)"))
                    }
                }
            }
            self.products = products
            self.prices = prices
        }

        var allPrices: [Price] { prices }

        func price(_ plan: Plan, _ interval: Interval, _ currency: Currency) -> Price {
            let intervalIndex = interval == .month ? 0 : 1
            let currencyIndex = Currency.allCases.firstIndex(of: currency) ?? 0
            return prices[(plan.tier * 2 + intervalIndex) * Currency.allCases.count + currencyIndex]
        }
    }

    /// Separate PRNG streams, so adding draws for one purpose never shifts another's.
    enum StreamID {
        static let catalog: UInt64 = 1
        static let signUp: UInt64 = 2
        static let customer: UInt64 = 3
        static let delivery: UInt64 = 4
    }
}
