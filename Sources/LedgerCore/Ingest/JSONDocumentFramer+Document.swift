// The hot loop: scanning inside a document for where it closes, or for proof it is broken.

private let quote = JSONLexer.quote
private let backslash = JSONLexer.backslash
private let newline = JSONLexer.newline
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let openBracket = UInt8(ascii: "[")

/// Bytes that may appear outside a string in valid JSON: whitespace, structure,
/// number characters and the letters of `true`, `false`, `null`. Anything else
/// proves a document is broken without waiting for its end. Bit n of the low mask
/// is byte n (`\t \n \r space " , + - . : 0-9`); bit n of the high mask is byte
/// 64 + n (`E [ ] a e f l n r s t u { }`).
private let allowedOutsideStringLow: UInt64 = 0x07FF_7805_0000_2600
private let allowedOutsideStringHigh: UInt64 = 0x283C_5062_2800_0020
/// The allowed bytes that need no action (allowed minus `" { } [ ] \n`): the common case, tested first.
private let plainOutsideStringLow: UInt64 = 0x07FF_7801_0000_2200
private let plainOutsideStringHigh: UInt64 = 0x003C_5062_0000_0020

@inline(__always)
private func isInMask(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
    if byte < 64 { return (low >> UInt64(byte)) & 1 == 1 }
    if byte < 128 { return (high >> UInt64(byte - 64)) & 1 == 1 }
    return false
}

/// The document scan's hot state, kept in locals (registers) and written back on exit.
struct DocumentCursor {
    var index: Int
    var depth: Int
    var kinds: UInt64
    var inString: Bool
    var line: Int
}

/// What one significant byte outside a string did to the scan.
enum DocumentStep {
    case proceed
    /// Stop scanning and return this (nil: the phase changed, scanning goes on elsewhere).
    case stop(FramedItem?)
}

extension JSONDocumentFramer {
    /// Inside a document: finds where it closes, or proves it broken.
    mutating func scanDocument(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        let count = bytes.count
        let raw = UnsafeRawBufferPointer(bytes)
        var cursor = DocumentCursor(index: position, depth: depth, kinds: bracketKinds, inString: inString, line: line)
        if escaped, cursor.index < count {
            escaped = false
            if bytes[cursor.index] == newline { cursor.line += 1 }
            cursor.index += 1
        }
        while cursor.index < count {
            if cursor.inString {
                if !skipStringContent(bytes, raw, &cursor) {
                    // A raw newline never occurs inside a valid string: in JSONL it means the line was cut.
                    save(cursor)
                    return abandonDocument(
                        at: cursor.index, "truncated: line \(cursor.line - 1) ended inside a string")
                }
                continue
            }
            let byte = bytes[cursor.index]
            if byte == JSONLexer.space, JSONLexer.isIndentation(raw, at: cursor.index, end: count) {
                cursor.index += 8  // Indentation of pretty-printed input.
                continue
            }
            if isInMask(byte, low: plainOutsideStringLow, high: plainOutsideStringHigh) {
                cursor.index += 1
                continue
            }
            if case .stop(let item) = significantByte(byte, bytes, &cursor) { return item }
            cursor.index += 1
        }
        save(cursor)
        position = count
        return nil
    }

    mutating func save(_ cursor: DocumentCursor) {
        depth = cursor.depth
        bracketKinds = cursor.kinds
        inString = cursor.inString
        line = cursor.line
    }

    /// Runs through string content to the closing quote (past it) or the chunk's end.
    ///
    /// Returns false at a raw newline in stream mode (`cursor.index` just past it).
    @inline(__always)
    mutating func skipStringContent(
        _ bytes: UnsafeBufferPointer<UInt8>, _ raw: UnsafeRawBufferPointer, _ cursor: inout DocumentCursor
    ) -> Bool {
        let count = bytes.count
        while cursor.index < count {
            cursor.index = JSONLexer.plainStringEnd(raw, from: cursor.index, end: count, stops: .newline)
            guard cursor.index < count else { break }
            let byte = bytes[cursor.index]
            cursor.index += 1
            if byte == quote {
                cursor.inString = false
                return true
            }
            if byte == backslash {
                guard cursor.index < count else {
                    escaped = true
                    return true
                }
                if bytes[cursor.index] == newline { cursor.line += 1 }
                cursor.index += 1
            } else if byte == newline {
                cursor.line += 1
                if mode == .stream { return false }
            }
        }
        return true
    }

    /// Handles a byte outside a string that is structure, a quote, a newline or invalid.
    @inline(__always)
    mutating func significantByte(
        _ byte: UInt8, _ bytes: UnsafeBufferPointer<UInt8>, _ cursor: inout DocumentCursor
    ) -> DocumentStep {
        let index = cursor.index
        switch byte {
        case quote:
            cursor.inString = true
        case openBrace:
            let previous = index > 0 ? bytes[index - 1] : byteBeforeInput
            if mode == .stream, cursor.depth > 0, previous == newline {
                // A `{` in column 1 while a document is open: in JSONL the open one was cut short.
                line = cursor.line
                position = index
                let item = malformed(
                    end: index, "truncated: line \(cursor.line) starts a new object before this one closed")
                beginItem(at: index, phase: .document)
                return .stop(item)
            }
            cursor.depth += 1
            if cursor.depth <= UInt64.bitWidth { cursor.kinds = cursor.kinds << 1 | 1 }
        case openBracket:
            cursor.depth += 1
            if cursor.depth <= UInt64.bitWidth { cursor.kinds <<= 1 }
        case closeBrace, UInt8(ascii: "]"):
            return closingByte(byte, &cursor)
        case newline:
            cursor.line += 1
        default:
            if !isInMask(byte, low: allowedOutsideStringLow, high: allowedOutsideStringHigh) {
                save(cursor)
                return .stop(
                    brokenDocument(
                        at: index, "invalid JSON: \(JSONLexer.describe(byte)) outside a string on line \(cursor.line)"))
            }
        }
        return .proceed
    }

    /// `}` or `]`: checks it matches what it closes (first 64 levels) and emits the document at depth 0.
    @inline(__always)
    mutating func closingByte(_ byte: UInt8, _ cursor: inout DocumentCursor) -> DocumentStep {
        if cursor.depth <= UInt64.bitWidth {
            // `]` closing an object (or `}` an array) breaks the document even though the count balances.
            guard cursor.kinds & 1 == (byte == closeBrace ? 1 : 0) else {
                save(cursor)
                let opened = cursor.kinds & 1 == 1 ? "an object" : "an array"
                return .stop(
                    brokenDocument(
                        at: cursor.index,
                        "invalid JSON: \(JSONLexer.describe(byte)) closes \(opened) on line \(cursor.line)"))
            }
            cursor.kinds >>= 1
        }
        cursor.depth -= 1
        guard cursor.depth == 0 else { return .proceed }
        save(cursor)
        position = cursor.index + 1
        let item = closeDocument(end: position)
        phase = mode == .stream ? .between : .afterElement
        return .stop(item)
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
