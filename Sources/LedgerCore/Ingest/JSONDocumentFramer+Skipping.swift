// Loops that run over malformed stretches until framing can resume.

extension JSONDocumentFramer {
    /// Stream mode: stray bytes end with their line; the next line is framed afresh.
    mutating func scanSkippedLine(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        var index = position
        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
        position = index
        guard index < bytes.count else { return nil }
        let item = malformed(end: index, reason)
        phase = .between
        return item
    }

    /// Stream mode: a broken document ends where a line starts with `{` (in column 1).
    mutating func scanSkippedLines(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        let newline = UInt8(ascii: "\n")
        let openBrace = UInt8(ascii: "{")
        var index = position
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline {
                line += 1
            } else if byte == openBrace, (index > 0 ? bytes[index - 1] : byteBeforeInput) == newline {
                position = index
                let item = malformed(end: index, reason)
                beginItem(at: index, phase: .document)
                return item
            }
            index += 1
        }
        position = index
        return nil
    }

    /// Array mode: a malformed element ends at `,` or `]` at the array's own level.
    mutating func scanSkippedElement(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        var index = position
        if escaped, index < bytes.count {
            escaped = false
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        while index < bytes.count {
            if inString {
                // Plain string content holds no byte this loop acts on.
                index = JSONLexer.plainStringEnd(
                    UnsafeRawBufferPointer(bytes), from: index, end: bytes.count, stops: .newline)
                guard index < bytes.count else { break }
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") { line += 1 }
            if inString {
                if byte == UInt8(ascii: "\"") {
                    inString = false
                } else if byte == UInt8(ascii: "\\") {
                    if index + 1 == bytes.count {
                        escaped = true
                    } else {
                        if bytes[index + 1] == UInt8(ascii: "\n") { line += 1 }
                        index += 1
                    }
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"):
                if depth > 0 { depth -= 1 }
            case UInt8(ascii: "]"), UInt8(ascii: ","):
                if depth > 0 {
                    if byte == UInt8(ascii: "]") { depth -= 1 }
                } else {
                    position = index + 1
                    let item = malformed(end: index, reason)
                    elementDueAfterComma = byte == UInt8(ascii: ",")
                    phase = byte == UInt8(ascii: ",") ? .between : .arrayClosed
                    return item
                }
            default:
                break
            }
            index += 1
        }
        position = index
        return nil
    }
}
