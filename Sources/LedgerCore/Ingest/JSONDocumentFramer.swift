/// Cuts a byte stream into top-level JSON documents: one object, an array of objects, or JSONL / concatenated objects.
///
/// Feed chunks as they arrive, drain ``next()`` after each, and call ``finish()``
/// at end of input (then drain once more):
///
/// ```swift
/// var framer = JSONDocumentFramer()
/// for chunk in chunks {
///     framer.feed(chunk)
///     while let item = framer.next() { handle(item) }
/// }
/// framer.finish()
/// while let item = framer.next() { handle(item) }
/// ```
///
/// The framer tracks strings, escapes and nesting but does not validate a
/// document; `StripeEventEnvelope.scan(_:)` does. It
/// holds at most one document (bounded by ``Limits/ingestDocumentBytesMax``)
/// plus the current chunk, and the result does not depend on how the input is
/// cut into chunks.
///
/// Recovery. In JSONL / concatenated mode stray bytes between documents (garbage,
/// a bare scalar, an unbalanced `}`) are reported to the end of their line. A
/// document that is truncated or holds a byte that cannot appear outside a JSON
/// string is reported as ``FramedItem/malformed(bytes:line:reason:)`` and framing
/// resumes at the next line that starts (in column 1) with `{`. In array mode a bad
/// element is skipped up to the next `,` or `]` at the array's own level; an
/// element that never closes makes the remainder one malformed item.
public struct JSONDocumentFramer: Sendable {
    enum Mode: Sendable {
        case undetermined, stream, array
    }

    enum Phase: Sendable {
        /// Stream: at the top level. Array: an element is due.
        case between
        /// Array: `,` or `]` is due.
        case afterElement
        case arrayClosed
        case document
        /// Inside a document already known to exceed the size bound: structure is tracked, bytes dropped.
        case discarding
        /// Stream: stray bytes between documents run to the end of their line.
        case skippingLine
        /// Stream: a broken document runs on up to the next line that starts with `{`.
        case skippingLines
        /// Array: a malformed element runs up to `,` or `]` at the array's level.
        case skippingElement
        /// Everything up to the end of input is one malformed item.
        case skippingRemainder
        case done
    }

    var mode = Mode.undetermined
    var phase = Phase.between
    // Structure of the open item; meaningful in .document, .discarding and .skippingElement.
    var depth = 0
    var inString = false
    /// Kinds of the open brackets, innermost in bit 0 (1 = object), for the first 64 levels.
    var bracketKinds: UInt64 = 0
    /// A backslash was the last byte of the previous chunk: the next byte is escaped.
    var escaped = false
    /// Array: a `,` was consumed and no element has followed it yet.
    var elementDueAfterComma = false
    var line = 1
    var itemLine = 1
    /// Index in `input` where the open item's bytes (in this chunk) begin.
    var itemStart = 0
    /// Bytes of the open item that arrived in earlier chunks; `carry` keeps at most the bound of them.
    var itemBytesEarlier = 0
    var carry: [UInt8] = []
    var reason = ""
    var input: [UInt8] = []
    var position = 0
    /// The byte before `input[0]`; a newline at the very start so column 1 of line 1 counts as a line start.
    var byteBeforeInput: UInt8 = UInt8(ascii: "\n")
    var finished = false
    /// No byte has been framed yet: a UTF-8 byte order mark (EF BB BF) here is skipped, not reported.
    var atStartOfInput = true

    /// A framer waiting for its first chunk.
    public init() {}

    /// Appends the next chunk of input (copied; raw memory works too); drain ``next()`` before feeding again.
    public mutating func feed(_ chunk: some Collection<UInt8>) {
        precondition(!finished, "JSONDocumentFramer.feed called after finish()")
        retireScannedBytes()
        if position < input.count {
            var joined = Array(input[position...])
            joined.append(contentsOf: chunk)
            input = joined
        } else {
            input = Array(chunk)
        }
        position = 0
        itemStart = 0
    }

    /// Marks the end of input; the next calls to ``next()`` report whatever was left open.
    public mutating func finish() {
        finished = true
    }

    /// The next completed item, or nil when more input (or ``finish()``) is needed.
    public mutating func next() -> FramedItem? {
        let input = self.input
        return input.withUnsafeBufferPointer { bytes in nextItem(bytes) }
    }

    mutating func nextItem(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        if atStartOfInput, !skipByteOrderMark(bytes) { return nil }
        while position < bytes.count {
            if let item = step(bytes) { return item }
        }
        guard finished else { return nil }
        return finishItem(bytes)
    }

    /// Skips a byte order mark at the very start of input (editors on Windows write one).
    ///
    /// Returns false while the bytes so far are a strict prefix of the mark and more may come:
    /// the result must not depend on how the input is cut into chunks.
    mutating func skipByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let available = min(bytes.count - position, mark.count)
        for offset in 0..<available where bytes[position + offset] != mark[offset] {
            atStartOfInput = false
            return true
        }
        if available == mark.count {
            position += mark.count
        } else if !finished {
            return false
        }
        // A partial mark at end of input is left to be reported as stray bytes.
        atStartOfInput = false
        return true
    }

    /// Runs the current phase until it emits an item, changes phase, or consumes the chunk.
    mutating func step(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        switch phase {
        case .between: return scanBetween(bytes)
        case .afterElement: return scanAfterElement(bytes)
        case .arrayClosed: return scanAfterArray(bytes)
        case .document, .discarding: return scanDocument(bytes)
        case .skippingLine: return scanSkippedLine(bytes)
        case .skippingLines: return scanSkippedLines(bytes)
        case .skippingElement: return scanSkippedElement(bytes)
        case .skippingRemainder, .done:
            line += countNewlines(bytes, from: position)
            position = bytes.count
            return nil
        }
    }

    /// Reports the item left open at end of input, once.
    mutating func finishItem(_ bytes: UnsafeBufferPointer<UInt8>) -> FramedItem? {
        let end = bytes.count
        let item: FramedItem?
        switch phase {
        case .document:
            item = malformed(end: end, "truncated: input ended inside a JSON value")
        case .discarding:
            let total = itemBytesEarlier + end - itemStart
            item = malformed(end: end, "\(Self.oversizeReason(total)); input ended inside it")
        case .skippingLine, .skippingLines, .skippingElement, .skippingRemainder:
            item = malformed(end: end, reason)
        case .between, .afterElement:
            item =
                mode == .array
                ? .malformed(bytes: [], line: line, reason: "truncated: input ended before the array's closing ']'")
                : nil
        case .arrayClosed, .done:
            item = nil
        }
        phase = .done
        return item
    }
}

extension JSONDocumentFramer {
    /// Opens an item at `index`; the phase's scanner then reads its first byte.
    mutating func beginItem(at index: Int, phase: Phase) {
        self.phase = phase
        itemStart = index
        itemLine = line
        itemBytesEarlier = 0
        carry = []
        depth = 0
        bracketKinds = 0
        inString = false
        escaped = false
        position = index
    }

    var itemIsOpen: Bool {
        switch phase {
        case .document, .discarding, .skippingLine, .skippingLines, .skippingElement, .skippingRemainder: true
        case .between, .afterElement, .arrayClosed, .done: false
        }
    }

    /// Moves the scanned part of the open item out of the chunk before the chunk is replaced.
    ///
    /// Invariant: `carry` never holds more than ``Limits/ingestDocumentBytesMax`` bytes, so
    /// memory stays at one document plus one chunk however long a broken item runs.
    mutating func retireScannedBytes() {
        if position > 0 { byteBeforeInput = input[position - 1] }
        guard itemIsOpen else { return }
        let span = position - itemStart
        let room = Limits.ingestDocumentBytesMax - carry.count
        if room > 0 { carry.append(contentsOf: input[itemStart..<itemStart + min(span, room)]) }
        itemBytesEarlier += span
        if phase == .document, itemBytesEarlier > Limits.ingestDocumentBytesMax { phase = .discarding }
    }

    /// The open item's bytes up to `end` (exclusive), capped at the size bound; closes the item.
    mutating func takeItemBytes(end: Int, trimmingWhitespace: Bool) -> ArraySlice<UInt8> {
        let limit = Limits.ingestDocumentBytesMax
        var bytes: ArraySlice<UInt8>
        if itemBytesEarlier == 0 {
            bytes = input[itemStart..<min(end, itemStart + limit)]
        } else {
            let room = limit - carry.count
            if room > 0 { carry.append(contentsOf: input[itemStart..<min(end, itemStart + room)]) }
            bytes = carry[...]
            carry = []
        }
        itemBytesEarlier = 0
        if trimmingWhitespace {
            while let last = bytes.last, JSONLexer.isWhitespace(last) { bytes.removeLast() }
        }
        return bytes
    }

    mutating func malformed(end: Int, _ reason: String) -> FramedItem {
        let total = itemBytesEarlier + end - itemStart
        let bytes = takeItemBytes(end: end, trimmingWhitespace: true)
        return .malformed(
            bytes: bytes, line: itemLine, reason: reason + Self.truncationNote(kept: bytes.count, of: total))
    }

    /// Emits the document that closed just before `end`, or a rejection if it outgrew the bound.
    mutating func closeDocument(end: Int) -> FramedItem {
        let total = itemBytesEarlier + end - itemStart
        if phase == .discarding || total > Limits.ingestDocumentBytesMax {
            let bytes = takeItemBytes(end: end, trimmingWhitespace: false)
            return .malformed(
                bytes: bytes, line: itemLine,
                reason: Self.oversizeReason(total) + Self.truncationNote(kept: bytes.count, of: total))
        }
        return .document(bytes: takeItemBytes(end: end, trimmingWhitespace: false), line: itemLine)
    }

    static func oversizeReason(_ total: Int) -> String {
        "document is \(total) bytes; at most \(Limits.ingestDocumentBytesMax) (ingestDocumentBytesMax), skipped"
    }

    /// Says that a malformed item's stored bytes are only its beginning, so nobody takes them for the whole.
    static func truncationNote(kept: Int, of total: Int) -> String {
        guard total > Limits.ingestDocumentBytesMax else { return "" }
        return "; only its first \(kept) of \(total) bytes are kept"
    }

    func countNewlines(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var count = 0
        for index in start..<bytes.count where bytes[index] == 0x0A { count += 1 }
        return count
    }
}
