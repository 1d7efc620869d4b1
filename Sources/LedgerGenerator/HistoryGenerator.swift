import LedgerCore

/// A deterministic generator of realistic Stripe webhook event histories for subscriptions.
///
/// Same configuration, same events, byte for byte: all randomness comes from
/// a seeded PRNG, times from the configured start. Events are produced
/// lazily in delivery order, so millions of events stream in bounded memory.
///
/// ```swift
/// let generator = try HistoryGenerator(.init(customers: 200, months: 12, seed: 42))
/// for event in generator.events() { write(event.json) }
/// ```
public struct HistoryGenerator: Sendable {
    /// The Stripe API versions whose payload shapes the generator can produce.
    public enum APIVersion: String, CaseIterable, Sendable {
        /// Pre-2025 shapes: periods on the subscription, invoice links to subscription, payment intent and charge.
        case v2020_08_27 = "2020-08-27"
        /// Current shapes: periods on subscription items, `invoice.parent`, `invoice_payment` objects.
        case v2026_07_29 = "2026-07-29"
    }

    /// What to generate.
    public struct Configuration: Sendable, Equatable {
        /// Number of customers, each with one subscription; sign-ups are spread over the period.
        public var customers: Int
        /// Length of the simulated period in calendar months.
        public var months: Int
        /// The PRNG seed; the whole output is a function of the configuration.
        public var seed: UInt64
        /// The API version whose payload shapes are produced.
        public var apiVersion: APIVersion
        /// Fraction of events delivered a second time, later, byte-identical (0…1).
        public var duplicateProbability: Double
        /// Fraction of events delivered late, out of `created` order (0…1).
        public var shuffleProbability: Double
        /// Start of the simulated period in Unix seconds (UTC).
        public var startSeconds: Int64

        /// 2025-01-01T00:00:00Z, the default start.
        public static let defaultStartSeconds: Int64 = 1_735_689_600

        /// Creates a configuration; `HistoryGenerator.init` validates it.
        public init(
            customers: Int, months: Int, seed: UInt64, apiVersion: APIVersion = .v2026_07_29,
            duplicateProbability: Double = 0, shuffleProbability: Double = 0,
            startSeconds: Int64 = Configuration.defaultStartSeconds
        ) {
            self.customers = customers
            self.months = months
            self.seed = seed
            self.apiVersion = apiVersion
            self.duplicateProbability = duplicateProbability
            self.shuffleProbability = shuffleProbability
            self.startSeconds = startSeconds
        }

        /// Parses a `YYYY-MM-DD` day as Unix seconds at midnight UTC.
        public static func startSeconds(day: String) throws(ConfigurationError) -> Int64 {
            guard let seconds = CivilTime.parseDay(day) else { throw .invalidStartDay(day) }
            return seconds
        }

        /// The first instant after the simulated period.
        var windowEnd: Int64 {
            CivilTime.addingMonths(months, to: startSeconds, anchorDay: CivilTime.dayOfMonth(startSeconds))
        }

        /// When customer `customer` signs up: uniform over the period, leaving its last day free.
        func signUpTime(customer: Int) -> Int64 {
            var random = Random(seed: seed, stream: StreamID.signUp, index: UInt64(customer))
            let span = max(1, windowEnd - startSeconds - CivilTime.secondsPerDay)
            return startSeconds + random.int64(in: 0...(span - 1))
        }
    }

    /// A configuration the generator refuses, with a message a user can act on.
    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case customersOutOfRange(Int)
        case monthsOutOfRange(Int)
        case probabilityOutOfRange(name: String, value: Double)
        case unsupportedAPIVersion(String)
        case invalidStartDay(String)

        public var description: String {
            switch self {
            case .customersOutOfRange(let value):
                "customers must be between 1 and \(Limits.generateCustomersMax), got \(value)"
            case .monthsOutOfRange(let value):
                "months must be between 1 and \(Limits.generateMonthsMax), got \(value)"
            case .probabilityOutOfRange(let name, let value):
                "\(name) must be a probability between 0 and 1, got \(value)"
            case .unsupportedAPIVersion(let value):
                "unsupported Stripe API version '\(value)'; supported: "
                    + APIVersion.allCases.map(\.rawValue).joined(separator: ", ")
            case .invalidStartDay(let value):
                "start must be a date like 2025-01-01, got '\(value)'"
            }
        }
    }

    /// The validated configuration.
    public let configuration: Configuration

    /// Validates `configuration`; throws ``ConfigurationError`` when a value is out of range.
    public init(_ configuration: Configuration) throws(ConfigurationError) {
        guard (1...Limits.generateCustomersMax).contains(configuration.customers) else {
            throw .customersOutOfRange(configuration.customers)
        }
        guard (1...Limits.generateMonthsMax).contains(configuration.months) else {
            throw .monthsOutOfRange(configuration.months)
        }
        for (name, value) in [
            ("duplicates", configuration.duplicateProbability), ("shuffle", configuration.shuffleProbability),
        ] where !(value >= 0 && value <= 1) {
            throw .probabilityOutOfRange(name: name, value: value)
        }
        self.configuration = configuration
    }

    /// Parses an API version string, listing the supported ones when it is unknown.
    public static func apiVersion(_ text: String) throws(ConfigurationError) -> APIVersion {
        guard let version = APIVersion(rawValue: text) else { throw .unsupportedAPIVersion(text) }
        return version
    }

    /// The event history in delivery order, generated lazily.
    public func events() -> Events {
        Events(configuration: configuration)
    }

    /// A lazily generated event history; each iteration starts from the beginning and yields the same events.
    public struct Events: Sequence, Sendable {
        let configuration: Configuration

        /// Starts generating from the first event.
        public func makeIterator() -> Iterator {
            Iterator(configuration: configuration)
        }

        /// Yields events one at a time; holds only per-customer state and the bounded delivery window.
        public struct Iterator: IteratorProtocol {
            private var scheduler: DeliveryScheduler

            init(configuration: Configuration) {
                let catalog = Catalog(seed: configuration.seed, created: configuration.startSeconds - 90 * 86_400)
                let renderer = Renderer(apiVersion: configuration.apiVersion, catalog: catalog)
                let merger = TimelineMerger(configuration: configuration, renderer: renderer)
                scheduler = DeliveryScheduler(source: merger, configuration: configuration)
            }

            /// The next delivered event, or nil at the end of the history.
            public mutating func next() -> GeneratedEvent? {
                scheduler.next()
            }
        }
    }
}
