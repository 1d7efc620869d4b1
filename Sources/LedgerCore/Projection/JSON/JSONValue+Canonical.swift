/// Decodes JSON string escapes; malformed escapes become U+FFFD rather than failing,
/// because the body was validated at ingest and a projector must never stop on it.
enum JSONStringUnescaper {
    static func decode(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte == 0x5C, index + 1 < range.upperBound else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexQuad(bytes, index, range.upperBound).map(UInt32.init) ?? 0xFFFD
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate needs its low half (`\uDC00`–`\uDFFF`) right after it.
                    if index + 6 <= range.upperBound, bytes[index] == 0x5C, bytes[index + 1] == UInt8(ascii: "u"),
                        let low = hexQuad(bytes, index + 2, range.upperBound), (0xDC00...0xDFFF).contains(low)
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        index += 6
                    } else {
                        scalar = 0xFFFD
                    }
                }
                output.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: output.append(escape)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func hexQuad(_ bytes: [UInt8], _ start: Int, _ end: Int) -> UInt16? {
        guard start + 4 <= end else { return nil }
        var unit: UInt16 = 0
        for byte in bytes[start..<start + 4] {
            guard let digit = byte.hexDigitValue else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }
}

extension UInt8 {
    fileprivate var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension JSONValue {
    /// The value as canonical JSON: compact, object keys sorted by their UTF-8 bytes, strings minimally escaped.
    ///
    /// Invariant: two documents that differ only in key order or whitespace give the same text,
    /// so a `metadata` column written from it is stable across replays and API versions.
    public var canonicalJSON: String {
        var output: [UInt8] = []
        writeCanonical(into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    func writeCanonical(into output: inout [UInt8]) {
        guard let node else {
            output.append(contentsOf: "null".utf8)
            return
        }
        switch node.kind {
        case .object:
            let members = self.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            output.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.writeCanonical(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array:
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                element.writeCanonical(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .string:
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: tape.bytes[Int(node.start)..<Int(node.end)])
            output.append(UInt8(ascii: "\""))
        case .escapedString:
            Self.writeString(string ?? "", into: &output)
        case .number, .trueLiteral, .falseLiteral, .null:
            output.append(contentsOf: tape.bytes[Int(node.start)..<Int(node.end)])
        }
    }

    /// Writes `text` as a JSON string, escaping only what JSON requires.
    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
