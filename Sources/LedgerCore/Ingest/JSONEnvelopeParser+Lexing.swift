// Strings (escapes, surrogate pairs, UTF-8) and numbers, validated byte by byte.

extension JSONEnvelopeParser {
    /// Scans the string opening at `index`; leaves `index` past its closing quote and says whether it held escapes.
    mutating func scanString() throws(JSONSyntaxError) -> Bool {
        let opening = index
        index += 1
        var escaped = false
        while true {
            index = JSONLexer.plainStringEnd(bytes, from: index, end: end, stops: .controlOrNonASCII)
            guard index < end else { throw JSONSyntaxError(offset: opening, message: "unterminated string") }
            let byte = bytes[index]
            if byte == 0x22 {
                index += 1
                return escaped
            }
            if byte == 0x5C {
                escaped = true
                try scanEscape(opening: opening)
            } else if byte < 0x20 {
                throw JSONSyntaxError(
                    offset: index, message: "control character 0x\(String(byte, radix: 16)) inside a string")
            } else {
                try scanMultibyteCharacter()
            }
        }
    }

    /// Scans the escape at `index` (a backslash); `\u` high surrogates must be followed by a low one.
    mutating func scanEscape(opening: Int) throws(JSONSyntaxError) {
        guard index + 1 < end else { throw JSONSyntaxError(offset: opening, message: "unterminated string") }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            let start = index
            guard let unit = hexQuad(at: index + 2) else {
                throw JSONSyntaxError(offset: start, message: "\\u must be followed by four hex digits")
            }
            index += 6
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 1 < end, bytes[index] == 0x5C, bytes[index + 1] == UInt8(ascii: "u"),
                    let low = hexQuad(at: index + 2), (0xDC00...0xDFFF).contains(low)
                else { throw JSONSyntaxError(offset: start, message: "unpaired surrogate \(hexEscape(unit))") }
                index += 6
            case 0xDC00...0xDFFF:
                throw JSONSyntaxError(offset: start, message: "unpaired surrogate \(hexEscape(unit))")
            default:
                break
            }
        default:
            throw JSONSyntaxError(offset: index, message: "invalid escape \\\(describeByte(at: index + 1))")
        }
    }

    func hexEscape(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// The code unit spelled by four hex digits at `offset`, or nil.
    func hexQuad(at offset: Int) -> UInt16? {
        JSONStringEscapes.hexQuad(UnsafeRawBufferPointer(rebasing: bytes[..<end]), at: offset)
    }

    /// Validates one multi-byte UTF-8 sequence at `index`.
    ///
    /// Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF.
    mutating func scanMultibyteCharacter() throws(JSONSyntaxError) {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw JSONSyntaxError(offset: index, message: "invalid UTF-8 (byte 0x\(String(lead, radix: 16)))")
        }
        guard index + length <= end, secondRange.contains(bytes[index + 1]) else {
            throw JSONSyntaxError(offset: index, message: "invalid UTF-8 sequence")
        }
        for offset in 2..<max(2, length) where bytes[index + offset] & 0xC0 != 0x80 {
            throw JSONSyntaxError(offset: index, message: "invalid UTF-8 sequence")
        }
        index += length
    }

    /// Scans the number at `index` per RFC 8259's grammar; true when it has no fraction or exponent.
    mutating func scanNumber() throws(JSONSyntaxError) -> Bool {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, JSONLexer.isDigit(bytes[index]) else {
            throw JSONSyntaxError(offset: start, message: "invalid number: a digit must follow '-'")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < end, JSONLexer.isDigit(bytes[index]) {
                throw JSONSyntaxError(offset: start, message: "invalid number: leading zeros are not allowed")
            }
        } else {
            skipDigits()
        }
        var integer = true
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, JSONLexer.isDigit(bytes[index]) else {
                throw JSONSyntaxError(offset: start, message: "invalid number: a digit must follow '.'")
            }
            skipDigits()
            integer = false
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, JSONLexer.isDigit(bytes[index]) else {
                throw JSONSyntaxError(offset: start, message: "invalid number: the exponent needs a digit")
            }
            skipDigits()
            integer = false
        }
        return integer
    }

    @inline(__always)
    mutating func skipDigits() {
        while index < end, JSONLexer.isDigit(bytes[index]) { index += 1 }
    }
}
