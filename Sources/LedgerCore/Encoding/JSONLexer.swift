/// JSON's lexical rules, written once for the three byte scanners: ``JSONDocumentFramer`` (cuts a
/// stream into documents), the envelope scanner behind `StripeEventEnvelope.scan(_:)` (validates
/// one document) and ``JSONTape`` (lays one out for a projector).
///
/// Invariant: all three end a string at the first `"` not taken by a backslash (a backslash
/// always takes the byte after it) and agree on whitespace, so a document the envelope scanner
/// accepts is framed and laid out exactly as it was validated. Each scanner checks more on top
/// (the envelope scanner escapes and UTF-8, the framer lines); `JSONLexerAgreementTests` holds
/// the three to the same answers on hostile input.
enum JSONLexer {
    /// What ends a run of plain string content besides `"` and `\`: each scanner stops where it has work.
    enum StringStops {
        /// Nothing else: the tape checks structure only.
        case none
        /// A raw newline: the framer counts lines, and in JSON Lines a newline inside a string means the line was cut.
        case newline
        /// Control and non-ASCII bytes: the envelope scanner validates them.
        case controlOrNonASCII
    }

    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    // Broadcast words as literals, so the hot loops read constants, not lazily initialised globals.
    static let quotes: UInt64 = 0x2222_2222_2222_2222
    static let backslashes: UInt64 = 0x5C5C_5C5C_5C5C_5C5C
    static let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
    static let spaces: UInt64 = 0x2020_2020_2020_2020

    /// The index of the first byte from `start` (before `end`) that ends plain string content; `end` if none.
    ///
    /// The hot loop of all three scanners: nearly every byte of a Stripe event is plain string
    /// content, skipped here eight bytes at a time.
    @inline(__always)
    static func plainStringEnd(_ bytes: UnsafeRawBufferPointer, from start: Int, end: Int, stops: StringStops) -> Int {
        var index = start
        while index + 8 <= end {
            let word = ByteWord.load(bytes, at: index)
            var found = ByteWord.equal(word, quotes) | ByteWord.equal(word, backslashes)
            switch stops {
            case .none: break
            case .newline: found |= ByteWord.equal(word, newlines)
            case .controlOrNonASCII: found |= ByteWord.control(word) | (word & ByteWord.highBits)
            }
            if found != 0 { return index + ByteWord.firstLane(found) }
            index += 8
        }
        while index < end, !endsPlainString(bytes[index], stops) { index += 1 }
        return index
    }

    /// Whether `byte` ends plain string content under `stops`.
    @inline(__always)
    static func endsPlainString(_ byte: UInt8, _ stops: StringStops) -> Bool {
        if byte == quote || byte == backslash { return true }
        switch stops {
        case .none: return false
        case .newline: return byte == newline
        case .controlOrNonASCII: return byte < 0x20 || byte >= 0x80
        }
    }

    /// JSON's four whitespace bytes (RFC 8259): space, tab, line feed, carriage return.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Whether eight spaces start at `index`: indentation of pretty-printed input, skipped as one word.
    ///
    /// Pays in the framer's per-byte loop only; in `whitespaceEnd` the extra test cost more than it
    /// saved on Stripe's two-space indentation (measured: a fifth more instructions per pretty-printed document).
    @inline(__always)
    static func isIndentation(_ bytes: UnsafeRawBufferPointer, at index: Int, end: Int) -> Bool {
        index + 8 <= end && ByteWord.load(bytes, at: index) == spaces
    }

    /// The index of the first byte from `start` (before `end`) that is not whitespace; `end` if none.
    @inline(__always)
    static func whitespaceEnd(_ bytes: UnsafeRawBufferPointer, from start: Int, end: Int) -> Int {
        var index = start
        while index < end, isWhitespace(bytes[index]) { index += 1 }
        return index
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// `'x'` for printable ASCII, else the byte in hex, for reasons a user reads.
    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}

/// Where and why bytes stop being JSON (or cannot be laid out as a ``JSONTape``).
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem, 0-based.
    public let offset: Int
    /// What was wrong, for a rejection's or a parked event's reason.
    public let message: String

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}
