/// A log stream's id, `<category>:<key>`: `subscription:sub_123`, `payment:pi_123`, `event:evt_123`,
/// `ledger:snapshots`.
///
/// The one place the categories are spelled: ingest names streams with it, and the projection, audits
/// and SQL read a Stripe id back out of a stream id with it, never with a character offset. A parked
/// object's key (`subscription:<id>`, `payment:<id>`) is written the same way.
public struct StreamID: Sendable, Hashable, CustomStringConvertible {
    /// The part before the first colon; categories never contain one, keys may.
    public struct Category: RawRepresentable, Sendable, Hashable {
        public let rawValue: String

        public init(rawValue: String) { self.rawValue = rawValue }

        /// One Stripe subscription's events.
        public static let subscription = Category(rawValue: "subscription")
        /// One Stripe payment intent's events.
        public static let payment = Category(rawValue: "payment")
        /// An event whose object has no id that can name a stream: the stream holds that event alone.
        public static let event = Category(rawValue: "event")
        /// An object whose kind is unknown.
        public static let object = Category(rawValue: "object")
        /// The ledger's own records (``SnapshotRecord``).
        public static let ledger = Category(rawValue: "ledger")
    }

    public var category: Category
    public var key: String

    public init(_ category: Category, _ key: String) {
        self.category = category
        self.key = key
    }

    /// Splits `text` at its first colon; nil when it has none.
    public init?(parsing text: String) {
        // By bytes, not characters: a key may begin with a combining mark, which would join the colon.
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        self.init(Category(rawValue: String(text[..<colon])), String(text[text.utf8.index(after: colon)...]))
    }

    /// The stream of a Stripe subscription's events.
    public static func subscription(_ stripeID: String) -> StreamID { StreamID(.subscription, stripeID) }
    /// The stream of a Stripe payment intent's events.
    public static func payment(_ paymentIntentID: String) -> StreamID { StreamID(.payment, paymentIntentID) }

    /// The key when `text` is a stream of `category`, else nil.
    public static func key(of text: String, in category: Category) -> String? {
        guard let stream = StreamID(parsing: text), stream.category == category else { return nil }
        return stream.key
    }

    /// The text stored in `ledger.events.stream_id`.
    public var description: String { "\(category.rawValue):\(key)" }
}
