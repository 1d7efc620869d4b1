/// A borrowed, read-only JSON DOM: one pass over the bytes records a flat tape of nodes
/// that point back into the bytes, so a projector reads only the fields it needs.
///
/// Invariant: a container node's `end` is the index of the node after its whole subtree,
/// so a lookup skips a sibling subtree in one step and never re-reads its bytes. Scalars
/// are not decoded until asked for. Bodies reaching a projector were validated at ingest;
/// the tape checks structure only (brackets, quotes, colons, commas), never crashes on
/// other input, and rejects what it cannot lay out.
public struct JSONTape: Sendable {
    /// What a node is; raw values are stored in the tape.
    enum Kind: UInt8 {
        case object, array, string, escapedString, number, trueLiteral, falseLiteral, null
    }

    struct Node: Sendable {
        var kind: Kind
        /// First byte: after the opening quote for strings, the bracket for containers.
        var start: UInt32
        /// Strings and numbers: the byte after the value (before the closing quote).
        /// Containers: the index of the first node after the subtree.
        var end: UInt32
    }

    let bytes: [UInt8]
    var nodes: [Node]

    /// Lays out `bytes` (one JSON document) as a tape; throws when the structure is broken.
    public init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        guard bytes.count < Int(UInt32.max) else { throw JSONSyntaxError(offset: 0, message: "document too large") }
        self.bytes = bytes
        var builder = Builder()
        builder.nodes.reserveCapacity(bytes.count / 12 + 8)
        try bytes.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in
            try builder.parse(buffer)
        }
        self.nodes = builder.nodes
    }

    /// The document's top-level value.
    public var root: JSONValue { JSONValue(tape: self, index: 0) }
}

extension JSONTape {
    /// The single-pass tape builder; iterative, so depth costs heap, bounded by ``Limits/jsonDepthMax``.
    struct Builder {
        var nodes: [Node] = []
        /// Open containers: node index and whether it is an object.
        var open: [(index: Int, isObject: Bool)] = []

        mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) {
            var index = skipWhitespace(bytes, 0)
            index = try value(bytes, index)
            while !open.isEmpty {
                index = skipWhitespace(bytes, index)
                guard index < bytes.count else { throw JSONSyntaxError(offset: index, message: "input ended early") }
                let byte = bytes[index]
                let top = open[open.count - 1]
                if byte == UInt8(ascii: ",") {
                    index = skipWhitespace(bytes, index + 1)
                    if top.isObject { index = try key(bytes, index) }
                    index = try value(bytes, index)
                } else if byte == (top.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    close()
                    index += 1
                } else {
                    throw JSONSyntaxError(offset: index, message: "expected ',' or a closing bracket")
                }
            }
            guard skipWhitespace(bytes, index) == bytes.count else {
                throw JSONSyntaxError(offset: index, message: "unexpected bytes after the value")
            }
        }

        mutating func close() {
            let top = open.removeLast()
            nodes[top.index].end = UInt32(nodes.count)
        }

        /// Reads an object key and its colon; returns the index of the value.
        mutating func key(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONSyntaxError) -> Int {
            guard start < bytes.count, bytes[start] == UInt8(ascii: "\"") else {
                throw JSONSyntaxError(offset: start, message: "expected a string key")
            }
            var index = try string(bytes, start)
            index = skipWhitespace(bytes, index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw JSONSyntaxError(offset: index, message: "expected ':' after a key")
            }
            return skipWhitespace(bytes, index + 1)
        }

        /// Records the value at `start`; returns the index after it (after the opening bracket for containers).
        mutating func value(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONSyntaxError) -> Int {
            guard start < bytes.count else { throw JSONSyntaxError(offset: start, message: "expected a value") }
            switch bytes[start] {
            case UInt8(ascii: "\""):
                return try string(bytes, start)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                return try openContainer(bytes, start)
            case UInt8(ascii: "t"):
                return try literal(bytes, start, "true", .trueLiteral)
            case UInt8(ascii: "f"):
                return try literal(bytes, start, "false", .falseLiteral)
            case UInt8(ascii: "n"):
                return try literal(bytes, start, "null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var index = start + 1
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
                nodes.append(Node(kind: .number, start: UInt32(start), end: UInt32(index)))
                return index
            default:
                throw JSONSyntaxError(offset: start, message: "expected a value")
            }
        }

        mutating func openContainer(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONSyntaxError) -> Int {
            guard open.count < Limits.jsonDepthMax else {
                throw JSONSyntaxError(offset: start, message: "nesting deeper than \(Limits.jsonDepthMax) levels")
            }
            let isObject = bytes[start] == UInt8(ascii: "{")
            open.append((nodes.count, isObject))
            nodes.append(Node(kind: isObject ? .object : .array, start: UInt32(start), end: 0))
            let index = skipWhitespace(bytes, start + 1)
            guard index < bytes.count else { throw JSONSyntaxError(offset: index, message: "input ended early") }
            if bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                close()
                return index + 1
            }
            return try isObject ? value(bytes, key(bytes, index)) : value(bytes, index)
        }

        mutating func literal(
            _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ text: StaticString, _ kind: Kind
        ) throws(JSONSyntaxError) -> Int {
            let count = text.utf8CodeUnitCount
            guard start + count <= bytes.count else { throw JSONSyntaxError(offset: start, message: "invalid literal") }
            for offset in 0..<count where bytes[start + offset] != text.utf8Start[offset] {
                throw JSONSyntaxError(offset: start, message: "invalid literal")
            }
            nodes.append(Node(kind: kind, start: UInt32(start), end: UInt32(start + count)))
            return start + count
        }

        /// Records the string opening at `start`; returns the index after its closing quote.
        mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONSyntaxError) -> Int {
            let raw = UnsafeRawBufferPointer(bytes)
            var index = start + 1
            var escaped = false
            while true {
                index = JSONLexer.plainStringEnd(raw, from: index, end: bytes.count, stops: .none)
                guard index < bytes.count else { throw JSONSyntaxError(offset: start, message: "unterminated string") }
                if bytes[index] == JSONLexer.quote { break }
                escaped = true
                index += 2  // A backslash takes the byte after it.
            }
            nodes.append(Node(kind: escaped ? .escapedString : .string, start: UInt32(start + 1), end: UInt32(index)))
            return index + 1
        }

        /// Bytes a number may hold; the tape checks structure only, so it does not check their order.
        @inline(__always)
        static func isNumberByte(_ byte: UInt8) -> Bool {
            JSONLexer.isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte | 0x20 == UInt8(ascii: "e")
        }

        @inline(__always)
        func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
            JSONLexer.whitespaceEnd(UnsafeRawBufferPointer(bytes), from: start, end: bytes.count)
        }
    }
}
