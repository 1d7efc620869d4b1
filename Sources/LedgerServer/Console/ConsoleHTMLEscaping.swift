import Mustache

/// The console's HTML escaping for `{{name}}` tags: `< > & " '` become `&lt; &gt; &amp; &quot; &#39;`, as
/// swift-mustache's own HTML content type writes them, byte by byte over UTF-8.
///
/// Why not the library's: it escapes Character by Character through a dictionary, which cost a third of a
/// subscription's timeline page (its bodies are hundreds of kilobytes of text; `tools/bench ui`), and it leaves
/// a quote or bracket unescaped when a combining mark follows it (one Character then), which would let a value
/// end an attribute. Templates opt in with `{{% CONTENT_TYPE: CONSOLE_HTML}}` (``ConsolePages`` registers it);
/// partials such as the page head are rendered with the library's escaping, which gives the same text for them.
struct ConsoleHTMLEscaping: MustacheContentType {
    /// The name templates give in their `CONTENT_TYPE` pragma.
    static let name = "CONSOLE_HTML"

    func escapeText(_ text: String) -> String {
        var contiguous = text
        return contiguous.withUTF8 { bytes in
            guard bytes.contains(where: { Self.replacement(for: $0) != nil }) else { return text }
            var escaped: [UInt8] = []
            escaped.reserveCapacity(bytes.count + bytes.count / 8)
            for byte in bytes {
                if let replacement = Self.replacement(for: byte) {
                    replacement.withUTF8Buffer { escaped.append(contentsOf: $0) }
                } else {
                    escaped.append(byte)
                }
            }
            return String(decoding: escaped, as: UTF8.self)
        }
    }

    /// The entity of a byte that HTML needs escaped; every other byte (ASCII or part of a multi-byte UTF-8
    /// sequence, whose bytes are all ≥ 0x80) is copied.
    static func replacement(for byte: UInt8) -> StaticString? {
        switch byte {
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }
}
