/// One page of a Stripe list response (`{"object":"list","data":[…],"has_more":…}`), its elements
/// kept as the exact bytes Stripe sent.
///
/// `ledger sync events` appends each listed event verbatim, as a webhook delivery does, so an element
/// is never decoded and re-encoded: ``JSONTape`` checks the page's structure and finds where `data`
/// starts, and ``JSONDocumentFramer`` (array mode) cuts the array into its elements. No third JSON
/// scanner: both are the one lexer's (docs/0010).
public struct StripeListPage: Sendable {
    /// Each element of `data`, byte for byte, in the order Stripe listed them.
    public let elements: [ArraySlice<UInt8>]
    /// Stripe's `has_more`: another page follows this one.
    public let hasMore: Bool

    /// A page that is not a Stripe list: the reason names what was wrong, never the bytes.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public init(reason: String) { self.reason = reason }
        public var description: String { "malformed Stripe list page: \(reason)" }
    }

    /// Reads one page; throws ``Malformed`` when the bytes are not a list of JSON objects.
    public init(bytes: [UInt8]) throws(Malformed) {
        let tape: JSONTape
        do {
            tape = try JSONTape(parsing: bytes)
        } catch {
            throw Malformed(reason: error.description)
        }
        let root = tape.root
        guard root["object"].string == "list" else { throw Malformed(reason: "`object` is not \"list\"") }
        guard let hasMore = root["has_more"].bool else { throw Malformed(reason: "`has_more` is not a boolean") }
        let data = root["data"]
        guard let node = data.node, node.kind == .array else { throw Malformed(reason: "`data` is not an array") }
        let expected = data.elements.count
        // The tape's container nodes start at their bracket: the framer reads the array from there and
        // stops at its closing bracket (what follows is the rest of the page, never an element).
        var framer = JSONDocumentFramer()
        framer.feed(bytes[Int(node.start)...])
        framer.finish()
        var elements: [ArraySlice<UInt8>] = []
        elements.reserveCapacity(expected)
        while elements.count < expected, let item = framer.next() {
            switch item {
            case .document(let element, _): elements.append(element)
            case .malformed(_, _, let reason): throw Malformed(reason: "element \(elements.count + 1): \(reason)")
            }
        }
        guard elements.count == expected else {
            throw Malformed(reason: "`data` holds \(expected) elements, \(elements.count) of them objects")
        }
        self.elements = elements
        self.hasMore = hasMore
    }
}
