// The byte loops between documents. Each reads from `position`, returns an item
// when one completes (leaving `position` just past it), or nil after changing phase
// or consuming the chunk.

private let quote = UInt8(ascii: "\"")
private let newline = UInt8(ascii: "\n")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let comma = UInt8(ascii: ",")

extension JSONDocumentFramer {
    /// Between items: whitespace, then the first byte of the next item (or the array's own punctuation).
    mutating func scanBetween(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        guard let index = skipBlanks(bytes) else { return nil }
        let byte = bytes[index]
        if mode == .undetermined {
            // The first non-blank byte decides the mode for the whole input.
            mode = byte == openBracket ? .array : .stream
            if mode == .array {
                position = index + 1
                return nil
            }
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
        reason = "array element is not a JSON object (starts with \(JSONLexer.describe(byte)))"
        return nil
    }

    /// Skips whitespace from `position`, counting lines; the index of the first other
    /// byte, or nil (with `position` at the end) when the buffer holds only whitespace.
    mutating func skipBlanks(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = position
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline {
                line += 1
            } else if !JSONLexer.isWhitespace(byte) {
                return index
            }
            index += 1
        }
        position = index
        return nil
    }

    static func topLevelReason(_ byte: UInt8) -> String {
        switch byte {
        case closeBrace, closeBracket:
            "unbalanced: \(JSONLexer.describe(byte)) with no open object"
        case openBracket:
            "expected a JSON object, found an array"
        case quote, UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            "expected a JSON object, found a bare scalar starting with \(JSONLexer.describe(byte))"
        default:
            "expected a JSON object, found garbage starting with \(JSONLexer.describe(byte))"
        }
    }

    /// Array mode after an element: `,`, `]`, or the start of a malformed stretch.
    mutating func scanAfterElement(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        guard let index = skipBlanks(bytes) else { return nil }
        let byte = bytes[index]
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
        reason = "expected ',' or ']' after an array element, found \(JSONLexer.describe(byte))"
        return nil
    }

    /// Array mode after `]`: only whitespace may follow.
    mutating func scanAfterArray(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        guard let index = skipBlanks(bytes) else { return nil }
        let byte = bytes[index]
        beginItem(at: index, phase: .skippingRemainder)
        reason = "unexpected content after the array's closing ']' (starts with \(JSONLexer.describe(byte)))"
        return nil
    }
}
