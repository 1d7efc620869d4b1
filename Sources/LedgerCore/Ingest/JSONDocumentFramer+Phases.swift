// The byte loops of each framing phase. Each reads from `position`, returns an item
// when one completes (leaving `position` just past it), or nil after changing phase
// or consuming the chunk. Hot state is copied into locals and written back on exit.

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let newline = UInt8(ascii: "\n")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let comma = UInt8(ascii: ",")
private let space = UInt8(ascii: " ")
// Broadcast words as literals, so the hot loop reads constants, not lazily initialised globals.
private let quotes: UInt64 = 0x2222_2222_2222_2222
private let backslashes: UInt64 = 0x5C5C_5C5C_5C5C_5C5C
private let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
private let spaces: UInt64 = 0x2020_2020_2020_2020

/// Bytes that may appear outside a string in valid JSON: whitespace, structure,
/// number characters and the letters of `true`, `false`, `null`. Anything else
/// proves a document is broken without waiting for its end. Bit n of the low mask
/// is byte n (`\t \n \r space " , + - . : 0-9`); bit n of the high mask is byte
/// 64 + n (`E [ ] a e f l n r s t u { }`). Literals, not computed, so the hot loop
/// reads constants rather than lazily initialised globals.
private let allowedOutsideStringLow: UInt64 = 0x07FF_7805_0000_2600
private let allowedOutsideStringHigh: UInt64 = 0x283C_5062_2800_0020

@inline(__always)
private func isAllowedOutsideString(_ byte: UInt8) -> Bool {
    if byte < 64 { return (allowedOutsideStringLow >> UInt64(byte)) & 1 == 1 }
    if byte < 128 { return (allowedOutsideStringHigh >> UInt64(byte - 64)) & 1 == 1 }
    return false
}

extension JSONDocumentFramer {
    /// Between items: whitespace, then the first byte of the next item (or the array's own punctuation).
    mutating func scanBetween(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        var index = position
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline { line += 1; index += 1; continue }
            if Self.isWhitespace(byte) { index += 1; continue }
            if mode == .undetermined {
                // The first non-blank byte decides the mode for the whole input.
                mode = byte == openBracket ? .array : .stream
                if mode == .array { position = index + 1; return nil }
            }
            if byte == openBrace {
                elementDueAfterComma = false
                beginItem(at: index, phase: .document)
                return nil
            }
            if mode == .stream {
                beginItem(at: index, phase: .skippingLine)
                reason = Self.topLevelReason(byte)
                position = index + 1
                return nil
            }
            if byte == closeBracket {
                position = index + 1
                phase = .arrayClosed
                guard elementDueAfterComma else { return nil }
                elementDueAfterComma = false
                return .malformed(bytes: [], line: line, reason: "trailing ',' before the array's closing ']'")
            }
            beginItem(at: index, phase: .skippingElement)
            reason = "array element is not a JSON object (starts with \(Self.describe(byte)))"
            return nil
        }
        position = index
        return nil
    }

    static func topLevelReason(_ byte: UInt8) -> String {
        switch byte {
        case closeBrace, closeBracket:
            "unbalanced: \(describe(byte)) with no open object"
        case openBracket:
            "expected a JSON object, found an array"
        case quote, UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            "expected a JSON object, found a bare scalar starting with \(describe(byte))"
        default:
            "expected a JSON object, found garbage starting with \(describe(byte))"
        }
    }

    /// Array mode after an element: `,`, `]`, or the start of a malformed stretch.
    mutating func scanAfterElement(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        var index = position
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline { line += 1; index += 1; continue }
            if Self.isWhitespace(byte) { index += 1; continue }
            if byte == comma {
                elementDueAfterComma = true
                phase = .between
                position = index + 1
                return nil
            }
            if byte == closeBracket {
                phase = .arrayClosed
                position = index + 1
                return nil
            }
            beginItem(at: index, phase: .skippingElement)
            reason = "expected ',' or ']' after an array element, found \(Self.describe(byte))"
            return nil
        }
        position = index
        return nil
    }

    /// Array mode after `]`: only whitespace may follow.
    mutating func scanAfterArray(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        var index = position
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline { line += 1; index += 1; continue }
            if Self.isWhitespace(byte) { index += 1; continue }
            beginItem(at: index, phase: .skippingRemainder)
            reason = "unexpected content after the array's closing ']' (starts with \(Self.describe(byte)))"
            return nil
        }
        position = index
        return nil
    }

    /// Inside a document: finds where it closes, or proves it broken.
    mutating func scanDocument(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        let count = bytes.count
        let stream = mode == .stream
        let raw = UnsafeRawBufferPointer(bytes)
        var index = position
        var depth = self.depth
        var kinds = bracketKinds
        var inString = self.inString
        var line = self.line
        if escaped, index < count {
            escaped = false
            if bytes[index] == newline { line += 1 }
            index += 1
        }
        scan: while index < count {
            if inString {
                while index < count {
                    if index + 8 <= count {
                        // Skip string content a word at a time until a quote, backslash or newline.
                        let word = ByteWord.load(raw, at: index)
                        let stops = ByteWord.equal(word, quotes) | ByteWord.equal(word, backslashes)
                            | ByteWord.equal(word, newlines)
                        if stops == 0 {
                            index += 8
                            continue
                        }
                        index += ByteWord.firstLane(stops)
                    }
                    let byte = bytes[index]
                    if byte == quote {
                        inString = false
                        index += 1
                        continue scan
                    }
                    if byte == backslash {
                        if index + 1 < count {
                            if bytes[index + 1] == newline { line += 1 }
                            index += 2
                        } else {
                            escaped = true
                            index += 1
                        }
                        continue
                    }
                    if byte == newline {
                        line += 1
                        if stream {
                            // A raw newline never occurs inside a valid string: in JSONL it means the line was cut.
                            self.line = line
                            return abandonDocument(
                                at: index + 1, "truncated: line \(line - 1) ended inside a string")
                        }
                    }
                    index += 1
                }
                break scan
            }
            let byte = bytes[index]
            if byte == space, index + 8 <= count, ByteWord.load(raw, at: index) == spaces {
                // Indentation of pretty-printed input.
                index += 8
                continue
            }
            switch byte {
            case quote:
                inString = true
            case openBrace:
                let previous = index > 0 ? bytes[index - 1] : byteBeforeInput
                if stream, depth > 0, previous == newline {
                    // A `{` in column 1 while a document is open: in JSONL the open one was cut short.
                    self.line = line
                    position = index
                    let item = malformed(
                        end: index, "truncated: line \(line) starts a new object before this one closed")
                    beginItem(at: index, phase: .document)
                    return item
                }
                depth += 1
                if depth <= UInt64.bitWidth { kinds = kinds << 1 | 1 }
            case openBracket:
                depth += 1
                if depth <= UInt64.bitWidth { kinds <<= 1 }
            case closeBrace, closeBracket:
                if depth <= UInt64.bitWidth {
                    // `]` closing an object (or `}` an array) breaks the document even though the count balances.
                    guard kinds & 1 == (byte == closeBrace ? 1 : 0) else {
                        self.line = line
                        self.depth = depth
                        self.inString = false
                        let opened = kinds & 1 == 1 ? "an object" : "an array"
                        return brokenDocument(
                            at: index, "invalid JSON: \(Self.describe(byte)) closes \(opened) on line \(line)")
                    }
                    kinds >>= 1
                }
                depth -= 1
                if depth == 0 {
                    self.line = line
                    self.depth = 0
                    self.inString = false
                    position = index + 1
                    let item = closeDocument(end: index + 1)
                    phase = stream ? .between : .afterElement
                    return item
                }
            case newline:
                line += 1
            default:
                if !isAllowedOutsideString(byte) {
                    self.line = line
                    self.depth = depth
                    self.inString = false
                    return brokenDocument(
                        at: index, "invalid JSON: \(Self.describe(byte)) outside a string on line \(line)")
                }
            }
            index += 1
        }
        self.line = line
        self.depth = depth
        bracketKinds = kinds
        self.inString = inString
        position = count
        return nil
    }

    /// The open document has a byte at `index` that valid JSON cannot have there.
    ///
    /// Stream: it runs on as malformed bytes to the next object line. Array: the
    /// element is skipped with its structure still tracked (from `index`, whose byte
    /// is re-read) so it still ends at its `,` or `]`.
    mutating func brokenDocument(at index: Int, _ reason: String) -> FramedItem? {
        if mode == .stream { return abandonDocument(at: index + 1, reason) }
        phase = .skippingElement
        self.reason = reason
        position = index
        return nil
    }

    /// Stream mode: the open document is broken; it runs on as malformed bytes to the next object line.
    mutating func abandonDocument(at index: Int, _ reason: String) -> FramedItem? {
        phase = .skippingLines
        self.reason = reason
        inString = false
        depth = 0
        position = index
        return nil
    }
}
