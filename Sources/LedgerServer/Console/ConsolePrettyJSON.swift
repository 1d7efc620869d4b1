import Foundation
import LedgerCore
import LedgerPostgres

/// An event body pretty-printed for the timeline: what Foundation's `JSONEncoder` writes with `.prettyPrinted`,
/// `.sortedKeys` and `.withoutEscapingSlashes` for the body parsed as a ``JSONTree`` (two-space indents,
/// `"key" : value`, keys in `String` order), computed in one pass over the bytes.
///
/// Why: parsing a body into a `JSONTree` through `JSONDecoder` and encoding it again cost a quarter of a
/// subscription's timeline page (`tools/bench ui`). The fast path takes only what it can print exactly as that
/// path does — strict JSON whose numbers are integers that fit in 64 bits (not `-0`), whose object keys are
/// printable ASCII without escapes and never repeat in one object, whose `\u` escapes name no lone surrogate,
/// nested at most ``depthMax`` deep — and hands anything else to the `JSONTree` path, so the page shows the
/// same text either way (a test compares the two over seeded random documents and the Stripe fixtures).
enum ConsolePrettyJSON {
    /// Deeper documents take the `JSONTree` path (Foundation's decoder has its own depth limit).
    static let depthMax = 64

    /// The pretty text of `json`, nil when it is not JSON.
    static func pretty(_ json: String) -> String? {
        fast(json) ?? foundation(json)
    }

    /// The `JSONTree` path: parse with `JSONDecoder`, print with `JSONEncoder`.
    static func foundation(_ json: String) -> String? {
        guard let tree = try? JSONTree(parsing: json) else { return nil }
        if case .object(let members) = tree, members.isEmpty { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(tree)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The one-pass path; nil for anything it does not print exactly as ``foundation(_:)`` does.
    static func fast(_ json: String) -> String? {
        var json = json
        return json.withUTF8 { bytes -> String? in
            var parser = Parser(bytes: bytes)
            guard let root = parser.document() else { return nil }
            if case .object(let members) = root, members.isEmpty { return "{}" }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count * 2)
            write(root, depth: 0, bytes: bytes, to: &output)
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// A parsed value; ranges point into the document's bytes.
    indirect enum Value {
        /// Members sorted by key; a key is ASCII without escapes, so byte order is `String` order.
        case object([(key: Range<Int>, value: Value)])
        case array([Value])
        /// A string without escapes: its bytes are printed as they stand.
        case plainString(Range<Int>)
        /// A string with escapes, decoded to UTF-8.
        case escapedString([UInt8])
        /// An integer (as Foundation prints the `Int64`, since the literal is canonical) or a literal.
        case verbatim(Range<Int>)
    }

    static func write(_ value: Value, depth: Int, bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        func indent(_ level: Int) { output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level)) }
        switch value {
        case .object(let members):
            output.append(contentsOf: "{\n".utf8)
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(contentsOf: ",\n".utf8) }
                indent(depth + 1)
                output.append(UInt8(ascii: "\""))
                output.append(contentsOf: bytes[member.key])
                output.append(contentsOf: "\" : ".utf8)
                write(member.value, depth: depth + 1, bytes: bytes, to: &output)
            }
            output.append(UInt8(ascii: "\n"))
            indent(depth)
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            output.append(contentsOf: "[\n".utf8)
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(contentsOf: ",\n".utf8) }
                indent(depth + 1)
                write(element, depth: depth + 1, bytes: bytes, to: &output)
            }
            output.append(UInt8(ascii: "\n"))
            indent(depth)
            output.append(UInt8(ascii: "]"))
        case .plainString(let range):
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: bytes[range])
            output.append(UInt8(ascii: "\""))
        case .escapedString(let decoded): JSONStringEscapes.writeQuoted(decoded, into: &output)
        case .verbatim(let range): output.append(contentsOf: bytes[range])
        }
    }

    /// A strict recursive-descent JSON reader (RFC 8259) that gives up (nil) on what the fast path does not take.
    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0

        mutating func document() -> Value? {
            skipWhitespace()
            guard let root = value() else { return nil }
            skipWhitespace()
            return index == bytes.count ? root : nil
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value() -> Value? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return integer()
            }
        }

        mutating func literal(_ text: StaticString) -> Value? {
            let start = index
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count,
                text.withUTF8Buffer({ $0.elementsEqual(bytes[start..<start + count]) })
            else { return nil }
            index += count
            return .verbatim(start..<index)
        }

        /// `-?(0|[1-9][0-9]*)` fitting in 64 bits, not `-0`; a fraction or exponent gives up.
        mutating func integer() -> Value? {
            let literalStart = index
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let start = index
            var magnitude: UInt64 = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (added, overflow2) = shifted.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                magnitude = added
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                return nil
            }
            guard magnitude <= UInt64(Int64.max), !(negative && magnitude == 0) else { return nil }
            return .verbatim(literalStart..<index)
        }

        mutating func object() -> Value? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= ConsolePrettyJSON.depthMax else { return nil }
            index += 1
            var members: [(key: Range<Int>, value: Value)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = asciiKey() else { return nil }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                skipWhitespace()
                guard let member = value() else { return nil }
                members.append((key, member))
                skipWhitespace()
                guard index < bytes.count else { return nil }
                index += 1
                switch bytes[index - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "}"): return sorted(members)
                default: return nil
                }
            }
        }

        /// The members in key order; nil when two keys are equal (which one Foundation keeps is its business).
        func sorted(_ members: [(key: Range<Int>, value: Value)]) -> Value? {
            let sorted = members.sorted { bytes[$0.key].lexicographicallyPrecedes(bytes[$1.key]) }
            for (first, second) in zip(sorted, sorted.dropFirst())
            where bytes[first.key].elementsEqual(bytes[second.key]) {
                return nil
            }
            return .object(sorted)
        }

        /// The bytes of the key at `index` (its opening quote): printable ASCII without escapes, else nil.
        mutating func asciiKey() -> Range<Int>? {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                guard (0x20..<0x7F).contains(bytes[index]), bytes[index] != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            index += 1
            return start..<index - 1
        }

        mutating func array() -> Value? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= ConsolePrettyJSON.depthMax else { return nil }
            index += 1
            var elements: [Value] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                guard let element = value() else { return nil }
                elements.append(element)
                skipWhitespace()
                guard index < bytes.count else { return nil }
                index += 1
                switch bytes[index - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "]"): return .array(elements)
                default: return nil
                }
            }
        }

        /// The string at `index` (its opening quote): its bytes when it has no escapes, else decoded. A raw
        /// control character or a lone surrogate gives up.
        mutating func string() -> Value? {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                return .plainString(start..<index - 1)
            }
            var decoded = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return .escapedString(decoded)
                case 0..<0x20: return nil
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                    case UInt8(ascii: "b"): decoded.append(0x08)
                    case UInt8(ascii: "f"): decoded.append(0x0C)
                    case UInt8(ascii: "n"): decoded.append(0x0A)
                    case UInt8(ascii: "r"): decoded.append(0x0D)
                    case UInt8(ascii: "t"): decoded.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        decoded.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                default: decoded.append(byte)
                }
            }
            return nil
        }

        /// The scalar of `XXXX` after `\u` (and of a following `\uXXXX` low surrogate); nil for a lone surrogate.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let high = hex4() else { return nil }
            if (0xDC00...0xDFFF).contains(high) { return nil }
            guard (0xD800...0xDBFF).contains(high) else { return Unicode.Scalar(high) }
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            index += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }

        mutating func hex4() -> UInt32? {
            guard let unit = JSONStringEscapes.hexQuad(UnsafeRawBufferPointer(bytes), at: index) else { return nil }
            index += 4
            return UInt32(unit)
        }
    }
}
