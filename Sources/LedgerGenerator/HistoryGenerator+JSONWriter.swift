extension HistoryGenerator {
    /// Writes compact JSON bytes with keys in the order they are written.
    ///
    /// Foundation's encoders do not promise a key order, and the generator's
    /// output must be byte-identical for the same seed, so JSON is written by
    /// hand. Separators are tracked with one flag: after `{`, `[` or a key the
    /// next item needs no comma; after any complete value it does.
    struct JSONWriter {
        private(set) var bytes: [UInt8]
        private var commaPending = false

        init(capacity: Int) {
            bytes = []
            bytes.reserveCapacity(capacity)
        }

        private mutating func separate() {
            if commaPending { bytes.append(UInt8(ascii: ",")) }
            commaPending = false
        }

        private mutating func appendStatic(_ text: StaticString) {
            bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        mutating func beginObject() {
            separate()
            bytes.append(UInt8(ascii: "{"))
        }

        mutating func endObject() {
            bytes.append(UInt8(ascii: "}"))
            commaPending = true
        }

        mutating func beginArray() {
            separate()
            bytes.append(UInt8(ascii: "["))
        }

        mutating func endArray() {
            bytes.append(UInt8(ascii: "]"))
            commaPending = true
        }

        /// Writes `"key":`; keys are static ASCII identifiers and need no escaping.
        mutating func key(_ name: StaticString) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            appendStatic(name)
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
        }

        mutating func string(_ value: String) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            var value = value
            value.withUTF8 { buffer in
                // Almost every value is plain ASCII; copy it in one go and escape byte by byte only when needed.
                if buffer.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                    for byte in buffer { appendEscaped(byte) }
                } else {
                    bytes.append(contentsOf: buffer)
                }
            }
            bytes.append(UInt8(ascii: "\""))
            commaPending = true
        }

        /// Escapes per RFC 8259: quote, backslash and control characters; other UTF-8 passes through.
        private mutating func appendEscaped(_ byte: UInt8) {
            switch byte {
            case UInt8(ascii: "\""): appendStatic("\\\"")
            case UInt8(ascii: "\\"): appendStatic("\\\\")
            case 0x0A: appendStatic("\\n")
            case 0x0D: appendStatic("\\r")
            case 0x09: appendStatic("\\t")
            case 0x08: appendStatic("\\b")
            case 0x0C: appendStatic("\\f")
            case 0..<0x20:
                appendStatic("\\u00")
                let digits: StaticString = "0123456789abcdef"
                bytes.append(digits.utf8Start[Int(byte >> 4)])
                bytes.append(digits.utf8Start[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }

        mutating func staticString(_ value: StaticString) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            appendStatic(value)
            bytes.append(UInt8(ascii: "\""))
            commaPending = true
        }

        mutating func int(_ value: Int64) {
            separate()
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            let start = bytes.count
            // Digits come out least significant first; reverse them in place.
            repeat {
                bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            bytes[start...].reverse()
            commaPending = true
        }

        mutating func int(_ value: Int) {
            int(Int64(value))
        }

        mutating func bool(_ value: Bool) {
            separate()
            appendStatic(value ? "true" : "false")
            commaPending = true
        }

        mutating func null() {
            separate()
            appendStatic("null")
            commaPending = true
        }

        /// Writes an already-rendered JSON value verbatim (used to reuse a rendered sub-object).
        mutating func raw(_ value: [UInt8]) {
            separate()
            bytes.append(contentsOf: value)
            commaPending = true
        }

        /// Writes an already-rendered static JSON value verbatim, e.g. `{}` or `[]`.
        mutating func rawStatic(_ value: StaticString) {
            separate()
            appendStatic(value)
            commaPending = true
        }

        // MARK: Fields

        mutating func field(_ name: StaticString, _ value: String) {
            key(name)
            string(value)
        }

        mutating func field(_ name: StaticString, _ value: String?) {
            key(name)
            if let value { string(value) } else { null() }
        }

        mutating func field(_ name: StaticString, static value: StaticString) {
            key(name)
            staticString(value)
        }

        mutating func field(_ name: StaticString, _ value: Int64) {
            key(name)
            int(value)
        }

        mutating func field(_ name: StaticString, _ value: Int64?) {
            key(name)
            if let value { int(value) } else { null() }
        }

        mutating func field(_ name: StaticString, _ value: Int) {
            key(name)
            int(Int64(value))
        }

        mutating func field(_ name: StaticString, _ value: Bool) {
            key(name)
            bool(value)
        }

        mutating func nullField(_ name: StaticString) {
            key(name)
            null()
        }

        mutating func rawField(_ name: StaticString, _ value: StaticString) {
            key(name)
            rawStatic(value)
        }
    }
}
