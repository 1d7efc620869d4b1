import Foundation

/// Appends values to an output buffer as the export formats write them, byte by byte where it must
/// and in one copy where it can: exports write hundreds of thousands of records a second, so no
/// value goes through Foundation's encoders.
public enum ExportBytes {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the decimal digits of `value`.
    public static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// Appends lower-case hex of `bytes`.
    public static func appendHex(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        for byte in bytes {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    /// Appends 16 bytes as a lower-case UUID, `8-4-4-4-12`, as PostgreSQL prints one.
    public static func appendUUID(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        precondition(bytes.count == 16, "a UUID is 16 bytes")
        for index in 0..<16 {
            if index == 4 || index == 6 || index == 8 || index == 10 { output.append(UInt8(ascii: "-")) }
            output.append(hexDigits[Int(bytes[index] >> 4)])
            output.append(hexDigits[Int(bytes[index] & 0x0F)])
        }
    }

    /// Appends `text` (UTF-8) as a JSON string: quotes, `"` and `\` escaped, control characters as escapes.
    public static func appendJSONString(_ text: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Almost every value needs no escape: copy it in one go.
        if !text.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text)
        } else {
            for byte in text {
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case ..<0x20:
                    output.append(contentsOf: Array("\\u00".utf8))
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0x0F)])
                default: output.append(byte)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends `text` as a JSON string.
    public static func appendJSONString(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0), to: &output) }
    }

    /// Appends a stored JSON object or array as it is, except that line breaks become spaces.
    ///
    /// In valid JSON a raw CR or LF can only be whitespace between tokens (inside strings they must
    /// be escaped), so the value is unchanged and the record stays on one line. Only the outer
    /// brackets are checked: the log accepts only valid JSON bodies (ingest and `append` validate
    /// them), and parsing each body again would cost most of the export's time.
    public static func appendRawJSON(_ json: UnsafeRawBufferPointer, to output: inout [UInt8]) -> Bool {
        guard isBracketed(json) else { return false }
        guard let base = json.baseAddress,
            memchr(base, 0x0A, json.count) != nil || memchr(base, 0x0D, json.count) != nil
        else {
            output.append(contentsOf: json)
            return true
        }
        for byte in json { output.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte) }
        return true
    }

    /// True when the first and last non-whitespace bytes are `{` and `}`, or `[` and `]`.
    static func isBracketed(_ json: UnsafeRawBufferPointer) -> Bool {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        guard let first = json.firstIndex(where: { !isSpace($0) }),
            let last = json.lastIndex(where: { !isSpace($0) }), first < last
        else { return false }
        switch (json[first], json[last]) {
        case (UInt8(ascii: "{"), UInt8(ascii: "}")), (UInt8(ascii: "["), UInt8(ascii: "]")): return true
        default: return false
        }
    }

    /// Appends one CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, or is empty
    /// (so an empty string differs from NULL, which ``appendCSVNull(to:)`` writes as nothing); quotes doubled.
    public static func appendCSVField(_ text: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        let needsQuotes =
            text.isEmpty
            || text.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            output.append(contentsOf: text)
            return
        }
        // One pass into space reserved up front: bodies are kilobytes of JSON with hundreds of quotes,
        // and an append per quote cost more than the rest of the record.
        let quotes = text.reduce(0) { $0 &+ ($1 == UInt8(ascii: "\"") ? 1 : 0) }
        var index = output.count
        output.append(contentsOf: repeatElement(UInt8(ascii: "\""), count: text.count + quotes + 2))
        output.withUnsafeMutableBufferPointer { buffer in
            index += 1
            for byte in text {
                buffer[index] = byte
                index += byte == UInt8(ascii: "\"") ? 2 : 1
            }
        }
    }

    /// Appends `text` as one CSV field.
    public static func appendCSVField(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendCSVField(UnsafeRawBufferPointer($0), to: &output) }
    }

    /// SQL NULL in CSV: an empty, unquoted field (as PostgreSQL's `COPY … CSV` reads it).
    public static func appendCSVNull(to output: inout [UInt8]) {}

    /// The CSV record separator of RFC 4180.
    public static func appendCSVRecordEnd(to output: inout [UInt8]) {
        output.append(0x0D)
        output.append(0x0A)
    }
}
