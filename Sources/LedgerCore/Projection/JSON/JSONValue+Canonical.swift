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
                Self.writeString(member.key, into: &output)
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
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: tape.bytes[Int(node.start)..<Int(node.end)])
            output.append(UInt8(ascii: "\""))
        case .escapedString:
            Self.writeString(string ?? "", into: &output)
        case .number, .trueLiteral, .falseLiteral, .null:
            output.append(contentsOf: tape.bytes[Int(node.start)..<Int(node.end)])
        }
    }

    /// Writes `text` as a JSON string, escaping only what JSON requires.
    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
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
