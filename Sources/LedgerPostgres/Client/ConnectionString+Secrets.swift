/// Where the secrets of a connection string are: read the way libpq reads it, erring towards hiding
/// more. On bytes: every delimiter libpq knows is ASCII, never part of a UTF-8 sequence.
extension ConnectionString {
    /// A secret's place in the text and its value as libpq would use it (quotes and escapes undone).
    struct SecretSpan: Equatable {
        var range: Range<Int>
        var value: String
    }

    static func secretSpans(in bytes: [UInt8]) -> [SecretSpan] {
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.count
        let lowered = bytes[start...].prefix(13).map { $0 | 0x20 }
        for prefix in ["postgresql://", "postgres://"] where lowered.starts(with: Array(prefix.utf8)) {
            return uriSpans(bytes, from: start + prefix.utf8.count)
        }
        // libpq takes text without `=` as a plain database name; one with `user:password@` in it
        // is a URL typed without its scheme, and libpq would quote it back whole.
        if !bytes.contains(UInt8(ascii: "=")) { return uriSpans(bytes, from: start) }
        return keywordSpans(bytes)
    }

    // MARK: - URI

    /// `user:password@` before the host, and `password=` in the query.
    ///
    /// libpq ends the user part at the first `@`; a password with a raw `@`, `/` or `?` is read
    /// here up to the last `@` instead, unless that `@` is inside a query of known keywords
    /// (`?user=me@corp`), so no part of the password is left showing.
    private static func uriSpans(_ bytes: [UInt8], from start: Int) -> [SecretSpan] {
        let at = UInt8(ascii: "@")
        let question = UInt8(ascii: "?")
        let firstQuestion = bytes[start...].firstIndex(of: question) ?? bytes.count
        var userEnd = bytes[start...].lastIndex(of: at)
        if let lastAt = userEnd, firstQuestion < lastAt, isQuery(bytes[(firstQuestion + 1)..<lastAt]) {
            userEnd = bytes[start..<firstQuestion].lastIndex(of: at)
        }
        var spans: [SecretSpan] = []
        var queryFrom = start
        if let userEnd {
            if let colon = bytes[start..<userEnd].firstIndex(of: UInt8(ascii: ":")) {
                spans.append(SecretSpan(range: colon + 1..<userEnd, value: percentDecoded(bytes[colon + 1..<userEnd])))
            }
            queryFrom = userEnd + 1
        }
        // Both readings of where the query starts, so a raw `@` in a query value cannot hide it.
        for from in Set([start, queryFrom]) {
            if let query = bytes[from...].firstIndex(of: question) { spans += querySpans(bytes, from: query + 1) }
        }
        return spans
    }

    /// True when `text` is `key=value` pairs joined by `&`, every key one libpq knows.
    private static func isQuery(_ text: ArraySlice<UInt8>) -> Bool {
        text.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).allSatisfy { parameter in
            guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")) else { return false }
            return keywords.contains(percentDecoded(parameter[parameter.startIndex..<equals]))
        }
    }

    /// `password=` parameters of a query; a value runs over `&` up to the next known keyword.
    private static func querySpans(_ bytes: [UInt8], from start: Int) -> [SecretSpan] {
        var parameters: [Range<Int>] = []
        var cursor = start
        while cursor <= bytes.count {
            let end = bytes[cursor...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
            parameters.append(cursor..<end)
            cursor = end + 1
        }
        func key(_ parameter: Range<Int>) -> (name: String, equals: Int)? {
            guard let equals = bytes[parameter].firstIndex(of: UInt8(ascii: "=")) else { return nil }
            return (percentDecoded(bytes[parameter.lowerBound..<equals]), equals)
        }
        var spans: [SecretSpan] = []
        var index = 0
        while index < parameters.count {
            guard let (name, equals) = key(parameters[index]), secretKeywords.contains(name.lowercased()) else {
                index += 1
                continue
            }
            var last = index
            while last + 1 < parameters.count, !(key(parameters[last + 1]).map { keywords.contains($0.name) } ?? false)
            {
                last += 1
            }
            let range = equals + 1..<parameters[last].upperBound
            spans.append(SecretSpan(range: range, value: percentDecoded(bytes[range])))
            index = last + 1
        }
        return spans
    }

    /// `%XX` decoded; a `%` not followed by two hex digits is kept as it is.
    static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> String {
        var decoded: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.endIndex, let high = hexValue(bytes[index + 1]),
                let low = hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Keyword/value pairs

    /// `password = value` pairs, spaces around `=` allowed, values quoted (`'…'`, `\'` and `\\`
    /// escaped) or not; an unquoted value runs over spaces up to the next known keyword.
    ///
    /// A word that is not `keyword = value` with a keyword libpq knows makes the string malformed
    /// (libpq refuses it): it could be a piece of a password (a URL typed without its scheme, with
    /// an `=` in its password), so the whole text is one secret then.
    private static func keywordSpans(_ bytes: [UInt8]) -> [SecretSpan] {
        let whole = [SecretSpan(range: 0..<bytes.count, value: String(decoding: bytes, as: UTF8.self))]
        var spans: [SecretSpan] = []
        var index = skipSpaces(bytes, from: 0)
        while index < bytes.count {
            let keywordStart = index
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "=") { index += 1 }
            let keyword = String(decoding: bytes[keywordStart..<index], as: UTF8.self)
            index = skipSpaces(bytes, from: index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: "="), keywords.contains(keyword.lowercased())
            else { return whole }
            let valueStart = skipSpaces(bytes, from: index + 1)
            var valueEnd = valueStart < bytes.count ? endOfValue(bytes, from: valueStart) : valueStart
            if secretKeywords.contains(keyword.lowercased()) {
                var next = skipSpaces(bytes, from: valueEnd)
                while next < bytes.count, !startsKeyword(bytes, at: next) {
                    valueEnd = endOfValue(bytes, from: next)
                    next = skipSpaces(bytes, from: valueEnd)
                }
                spans.append(
                    SecretSpan(range: valueStart..<valueEnd, value: unquoted(bytes[valueStart..<valueEnd])))
            }
            index = skipSpaces(bytes, from: valueEnd)
        }
        return spans
    }

    /// Where the value starting at `start` ends: after its closing quote, or at a space.
    private static func endOfValue(_ bytes: [UInt8], from start: Int) -> Int {
        let quoted = bytes[start] == UInt8(ascii: "'")
        var index = quoted ? start + 1 : start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                index += 2
            } else if quoted && byte == UInt8(ascii: "'") {
                return index + 1
            } else if !quoted && isSpace(byte) {
                return index
            } else {
                index += 1
            }
        }
        return bytes.count  // unterminated: the rest of the text is the value
    }

    /// True when a keyword libpq knows, then `=`, starts at `index`.
    private static func startsKeyword(_ bytes: [UInt8], at index: Int) -> Bool {
        var end = index
        while end < bytes.count, bytes[end] == UInt8(ascii: "_") || isAlphanumeric(bytes[end]) { end += 1 }
        let after = skipSpaces(bytes, from: end)
        return end > index && after < bytes.count && bytes[after] == UInt8(ascii: "=")
            && keywords.contains(String(decoding: bytes[index..<end], as: UTF8.self))
    }

    /// A value as libpq stores it: outer quotes removed, backslash escapes undone.
    private static func unquoted(_ value: ArraySlice<UInt8>) -> String {
        var body = value
        if body.first == UInt8(ascii: "'") {
            body = body.dropFirst()
            if body.last == UInt8(ascii: "'") { body = body.dropLast() }
        }
        var result: [UInt8] = []
        var escaped = false
        for byte in body {
            if !escaped && byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                result.append(byte)
                escaped = false
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func skipSpaces(_ bytes: [UInt8], from start: Int) -> Int {
        var index = min(start, bytes.count)
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        return index
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
