/// Text-format array literals (`{"a","b"}`) for `= ANY($1::text[])` parameters.
///
/// The literal travels as one bind parameter; elements are quoted and escaped
/// here, so nothing is ever spliced into SQL text.
public enum PostgresArrayLiteral {
    public static func make(_ elements: some Sequence<String>) -> String {
        var literal = "{"
        var first = true
        for element in elements {
            if !first { literal.append(",") }
            first = false
            literal.append("\"")
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { literal.append("\\") }
                literal.unicodeScalars.append(character)
            }
            literal.append("\"")
        }
        literal.append("}")
        return literal
    }
}
