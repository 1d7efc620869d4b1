/// Text-format array literals (`{"a","b"}`) for `= ANY($1::text[])` parameters.
///
/// The literal travels as one bind parameter; elements are quoted and escaped
/// here, so nothing is ever spliced into SQL text.
public enum PostgresArrayLiteral {
    public static func make(_ elements: some Sequence<String>) -> String {
        // Built as bytes: appending to a String scalar by scalar is slow for
        // thousands of elements, and this runs once per append batch.
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for element in elements {
            if literal.count > 1 { literal.append(UInt8(ascii: ",")) }
            literal.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                literal.append(byte)
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}
