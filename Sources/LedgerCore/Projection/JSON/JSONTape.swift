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
    public init(parsing bytes: [UInt8]) throws(JSONTapeError) {
        guard bytes.count < Int(UInt32.max) else { throw JSONTapeError(offset: 0, message: "document too large") }
        self.bytes = bytes
        var builder = Builder()
        builder.nodes.reserveCapacity(bytes.count / 12 + 8)
        try bytes.withUnsafeBufferPointer { buffer throws(JSONTapeError) in
            try builder.parse(buffer)
        }
        self.nodes = builder.nodes
    }

    /// The document's top-level value.
    public var root: JSONValue { JSONValue(tape: self, index: 0) }
}

/// Where and why bytes could not be laid out as a JSON tape.
public struct JSONTapeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem.
    public let offset: Int
    /// What was wrong, for a parked event's reason.
    public let message: String

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONTape {
    /// The single-pass tape builder; iterative, so depth costs heap, bounded by ``Limits/jsonDepthMax``.
    struct Builder {
        var nodes: [Node] = []
        /// Open containers: node index and whether it is an object.
        var open: [(index: Int, isObject: Bool)] = []

        mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONTapeError) {
            var index = skipWhitespace(bytes, 0)
            index = try value(bytes, index)
            while !open.isEmpty {
                index = skipWhitespace(bytes, index)
                guard index < bytes.count else { throw JSONTapeError(offset: index, message: "input ended early") }
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
                    throw JSONTapeError(offset: index, message: "expected ',' or a closing bracket")
                }
            }
            guard skipWhitespace(bytes, index) == bytes.count else {
                throw JSONTapeError(offset: index, message: "unexpected bytes after the value")
            }
        }

        mutating func close() {
            let top = open.removeLast()
            nodes[top.index].end = UInt32(nodes.count)
        }

        /// Reads an object key and its colon; returns the index of the value.
        mutating func key(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONTapeError) -> Int {
            guard start < bytes.count, bytes[start] == UInt8(ascii: "\"") else {
                throw JSONTapeError(offset: start, message: "expected a string key")
            }
            var index = try string(bytes, start)
            index = skipWhitespace(bytes, index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw JSONTapeError(offset: index, message: "expected ':' after a key")
            }
            return skipWhitespace(bytes, index + 1)
        }

        /// Records the value at `start`; returns the index after it (after the opening bracket for containers).
        mutating func value(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONTapeError) -> Int {
            guard start < bytes.count else { throw JSONTapeError(offset: start, message: "expected a value") }
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
                throw JSONTapeError(offset: start, message: "expected a value")
            }
        }

        mutating func openContainer(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONTapeError) -> Int {
            guard open.count < Limits.jsonDepthMax else {
                throw JSONTapeError(offset: start, message: "nesting deeper than \(Limits.jsonDepthMax) levels")
            }
            let isObject = bytes[start] == UInt8(ascii: "{")
            open.append((nodes.count, isObject))
            nodes.append(Node(kind: isObject ? .object : .array, start: UInt32(start), end: 0))
            let index = skipWhitespace(bytes, start + 1)
            guard index < bytes.count else { throw JSONTapeError(offset: index, message: "input ended early") }
            if bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                close()
                return index + 1
            }
            return try isObject ? value(bytes, key(bytes, index)) : value(bytes, index)
        }

        mutating func literal(
            _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ text: StaticString, _ kind: Kind
        ) throws(JSONTapeError) -> Int {
            let count = text.utf8CodeUnitCount
            guard start + count <= bytes.count else { throw JSONTapeError(offset: start, message: "invalid literal") }
            for offset in 0..<count where bytes[start + offset] != text.utf8Start[offset] {
                throw JSONTapeError(offset: start, message: "invalid literal")
            }
            nodes.append(Node(kind: kind, start: UInt32(start), end: UInt32(start + count)))
            return start + count
        }

        /// Records the string opening at `start`; returns the index after its closing quote.
        mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONTapeError) -> Int {
            var index = start + 1
            var escaped = false
            let raw = UnsafeRawBufferPointer(bytes)
            while true {
                // Skip plain bytes a word at a time, stopping at a quote or backslash.
                while index + 8 <= bytes.count {
                    let word = ByteWord.load(raw, at: index)
                    let stops =
                        ByteWord.equal(word, 0x2222_2222_2222_2222) | ByteWord.equal(word, 0x5C5C_5C5C_5C5C_5C5C)
                    if stops != 0 {
                        index += ByteWord.firstLane(stops)
                        break
                    }
                    index += 8
                }
                while index < bytes.count, bytes[index] != 0x22, bytes[index] != 0x5C { index += 1 }
                guard index < bytes.count else { throw JSONTapeError(offset: start, message: "unterminated string") }
                if bytes[index] == 0x22 { break }
                escaped = true
                index += 2
            }
            nodes.append(Node(kind: escaped ? .escapedString : .string, start: UInt32(start + 1), end: UInt32(index)))
            return index + 1
        }

        @inline(__always)
        static func isNumberByte(_ byte: UInt8) -> Bool {
            byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte | 0x20 == UInt8(ascii: "e")
        }

        @inline(__always)
        func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
            var index = start
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { break }
                index += 1
            }
            return index
        }
    }
}
