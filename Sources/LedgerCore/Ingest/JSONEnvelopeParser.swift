/// A validating single-pass JSON parser (RFC 8259, UTF-8) that records where the
/// Stripe envelope fields sit instead of building a tree.
///
/// Invariant: `index` only moves forward, so validation and extraction together
/// cost one read of each byte. Values outside the envelope's objects are checked
/// and skipped; key names are compared only inside the four objects whose fields
/// are wanted (the event, `data`, `data.object`, an expanded `customer`).
struct JSONEnvelopeParser {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    var index = 0
    var fields = EnvelopeFields()

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.end = bytes.count
    }

    /// Objects whose keys are looked at.
    enum Role {
        case other, event, data, dataObject, customer
    }

    mutating func parseDocument() throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < end else { throw JSONSyntaxError(offset: index, message: "empty document") }
        if bytes[index] == UInt8(ascii: "{") {
            try parseObject(depth: 1, role: .event)
        } else {
            fields.topLevel = try parseValue(depth: 0, slot: nil)
        }
        skipWhitespace()
        guard index == end else {
            throw JSONSyntaxError(offset: index, message: "unexpected \(describeByte(at: index)) after the JSON value")
        }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        index = JSONLexer.whitespaceEnd(bytes, from: index, end: end)
    }

    /// Parses the value at `index` inside a container at `depth`; records it if `slot` names an envelope field.
    @discardableResult
    mutating func parseValue(depth: Int, slot: FieldSlot?) throws(JSONSyntaxError) -> FieldValue {
        guard index < end else {
            throw JSONSyntaxError(offset: index, message: "input ended where a value was expected")
        }
        let value: FieldValue
        switch bytes[index] {
        case UInt8(ascii: "\""):
            let start = index + 1
            let escaped = try scanString()
            value = .string(start: start, end: index - 1, escaped: escaped)
        case UInt8(ascii: "{"):
            try parseObject(depth: depth + 1, role: slot?.childRole ?? .other)
            value = .object
        case UInt8(ascii: "["):
            try parseArray(depth: depth + 1)
            value = .array
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            let integer = try scanNumber()
            value = .number(start: start, end: index, integer: integer)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            value = .boolean(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            value = .boolean(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            value = .null
        default:
            throw JSONSyntaxError(
                offset: index, message: "unexpected \(describeByte(at: index)) where a value was expected")
        }
        if let slot { fields.record(value, in: slot) }
        return value
    }

    mutating func parseObject(depth: Int, role: Role) throws(JSONSyntaxError) {
        try checkDepth(depth)
        index += 1
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            guard index < end else { throw JSONSyntaxError(offset: index, message: "input ended inside an object") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw JSONSyntaxError(offset: index, message: "expected a string key, found \(describeByte(at: index))")
            }
            let keyStart = index + 1
            let keyEscaped = try scanString()
            let slot =
                role == .other
                ? nil : Self.slot(forKey: keyStart..<index - 1, escaped: keyEscaped, in: role, bytes: bytes)
            skipWhitespace()
            guard index < end, bytes[index] == UInt8(ascii: ":") else {
                throw JSONSyntaxError(offset: index, message: "expected ':' after an object key")
            }
            index += 1
            skipWhitespace()
            try parseValue(depth: depth, slot: slot)
            skipWhitespace()
            guard index < end else { throw JSONSyntaxError(offset: index, message: "input ended inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return
            default:
                throw JSONSyntaxError(
                    offset: index, message: "expected ',' or '}' in an object, found \(describeByte(at: index))")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONSyntaxError) {
        try checkDepth(depth)
        index += 1
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try parseValue(depth: depth, slot: nil)
            skipWhitespace()
            guard index < end else { throw JSONSyntaxError(offset: index, message: "input ended inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                return
            default:
                throw JSONSyntaxError(
                    offset: index, message: "expected ',' or ']' in an array, found \(describeByte(at: index))")
            }
        }
    }

    /// Invariant: recursion is bounded by ``Limits/jsonDepthMax``, so hostile nesting cannot exhaust the stack.
    @inline(__always)
    func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
        guard depth <= Limits.jsonDepthMax else {
            throw JSONSyntaxError(offset: index, message: "nesting deeper than \(Limits.jsonDepthMax) levels")
        }
    }

    /// Consumes `true`, `false` or `null` (the first letter already chose which) as 4-byte words.
    mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        // Little-endian words of "true", "null" and the "alse" of "false".
        let count = literal.utf8CodeUnitCount
        let wordOffset = index + count - 4
        let expected: UInt32 =
            switch bytes[index] {
            case UInt8(ascii: "t"): 0x6575_7274
            case UInt8(ascii: "n"): 0x6C6C_756E
            default: 0x6573_6C61
            }
        guard end - index >= count,
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: wordOffset, as: UInt32.self)) == expected
        else { throw JSONSyntaxError(offset: index, message: "invalid literal (expected \(literal))") }
        index += count
    }

    func describeByte(at offset: Int) -> String {
        guard offset < end else { return "end of input" }
        return JSONLexer.describe(bytes[offset])
    }
}
