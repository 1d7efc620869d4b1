/// Decodes the bytes between a JSON string's quotes to UTF-8.
///
/// Shared by the ingest scanner (input already validated) and the projection's
/// JSON tape (bodies validated at ingest, but a projector must never stop on
/// one): a malformed escape or lone surrogate becomes U+FFFD instead of failing.
public enum JSONStringEscapes {
    public static func unescape(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < raw.count else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = raw[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexQuad(raw, at: index).map(UInt32.init) ?? 0xFFFD
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate needs its low half (`\uDC00`–`\uDFFF`) right after it.
                    if index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u"),
                        let low = hexQuad(raw, at: index + 2), (0xDC00...0xDFFF).contains(low)
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        index += 6
                    } else {
                        scalar = 0xFFFD
                    }
                }
                output.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: output.append(escape)  // `"`, `\`, `/` stand for themselves.
            }
        }
        return output
    }

    /// The value of the four hex digits at `start` (a `\uXXXX` escape's), or nil when they are not four hex digits.
    public static func hexQuad(_ raw: UnsafeRawBufferPointer, at start: Int) -> UInt16? {
        guard start + 4 <= raw.count else { return nil }
        var unit: UInt16 = 0
        for position in start..<start + 4 {
            let byte = raw[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// Writes `text` (UTF-8) as a JSON string, escaping only what JSON requires: quote, backslash and
    /// control characters; `/` and everything else as is (as Foundation's writer does).
    public static func writeQuoted<Text: Sequence<UInt8>>(_ text: Text, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text {
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
