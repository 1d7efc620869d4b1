/// The projection's string decoding: see ``JSONStringEscapes``.
enum JSONStringUnescaper {
    static func decode(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        bytes.withUnsafeBytes { buffer in
            String(decoding: JSONStringEscapes.unescape(UnsafeRawBufferPointer(rebasing: buffer[range])), as: UTF8.self)
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
                JSONStringEscapes.writeQuoted(member.key.utf8, into: &output)
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
            let raw = tape.bytes[Int(node.start)..<Int(node.end)]
            // A body that skipped ingest's validation may hold raw control bytes, which JSON (and jsonb) refuse.
            guard !raw.contains(where: { $0 < 0x20 }) else {
                JSONStringEscapes.writeQuoted((string ?? "").utf8, into: &output)
                return
            }
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: raw)
            output.append(UInt8(ascii: "\""))
        case .escapedString:
            JSONStringEscapes.writeQuoted((string ?? "").utf8, into: &output)
        case .number, .trueLiteral, .falseLiteral, .null:
            output.append(contentsOf: tape.bytes[Int(node.start)..<Int(node.end)])
        }
    }
}

extension JSONValue {
    /// Why PostgreSQL's `jsonb` would refuse this value's canonical JSON, or nil when it stores it.
    ///
    /// jsonb cannot hold U+0000 in a string or key (SQLSTATE 22P05), nor a number beyond `numeric`'s
    /// range: 131,072 digits before the decimal point and 16,383 after (22003). The margins below stay
    /// under both, so a value this accepts is never refused.
    public var jsonbProblem: String? {
        guard let node else { return nil }
        switch node.kind {
        case .object:
            for member in members {
                if member.key.unicodeScalars.contains(where: { $0.value == 0 }) { return "a key contains U+0000" }
                if let problem = member.value.jsonbProblem { return problem }
            }
            return nil
        case .array:
            return elements.lazy.compactMap(\.jsonbProblem).first
        case .escapedString:
            return (string ?? "").unicodeScalars.contains { $0.value == 0 } ? "a string contains U+0000" : nil
        case .number:
            return tape.bytes.withUnsafeBufferPointer { bytes in
                Self.numericProblem(UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.end)]))
            }
        case .string, .trueLiteral, .falseLiteral, .null:
            return nil
        }
    }

    /// Digits before and after the point of a JSON number, against `numeric`'s limits.
    private static func numericProblem(_ text: UnsafeBufferPointer<UInt8>) -> String? {
        var integerDigits = 0
        var fractionDigits = 0
        var exponent = 0
        var exponentNegative = false
        var part = 0  // 0 integer, 1 fraction, 2 exponent
        for byte in text {
            switch byte {
            case UInt8(ascii: "."): part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = 2
            case UInt8(ascii: "-") where part == 2: exponentNegative = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                switch part {
                case 0: integerDigits += 1
                case 1: fractionDigits += 1
                default: exponent = min(exponent * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000)
                }
            default: continue
            }
        }
        if exponentNegative { exponent = -exponent }
        let before = integerDigits + max(exponent, 0)
        let after = fractionDigits - min(exponent, 0)
        guard before <= 131_000, after <= 16_000 else {
            return "a number has \(before) digits before and \(after) after the point; numeric holds 131,072 and 16,383"
        }
        return nil
    }
}
