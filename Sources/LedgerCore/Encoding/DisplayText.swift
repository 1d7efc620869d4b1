/// Hostile text made safe to show: control characters escaped, cut to a length a log line can carry.
///
/// Park reasons, rejections and log lines quote values from outside; a value with U+0000 could not be
/// written to a PostgreSQL `text` column at all, and a megabyte-long one would flood every listing.
public enum DisplayText {
    /// Characters of a quoted value kept before it is cut with `…`.
    public static let quotedCharactersMax = 40

    /// `text` with every control character (C0, DEL, C1) written as `\u{…}`, cut to `charactersMax`.
    public static func escaped(_ text: String, charactersMax: Int = quotedCharactersMax) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < charactersMax else {
                result += "…"
                break
            }
            count += 1
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
