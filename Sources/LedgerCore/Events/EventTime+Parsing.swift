/// The one reader of times typed by people (CLI options, query parameters): every caller parses with it,
/// so the forms, the precision and the window are the same everywhere.
extension EventTime {
    /// The forms ``init(iso8601:)`` accepts, in words for an error message.
    public static let acceptedTextForms =
        "an ISO 8601 time with a zone (2025-03-01T12:00:00Z, 2025-03-01T12:00:00.123456+01:00) "
        + "or a date (2025-03-01, meaning midnight UTC), between 1970 and 9999"

    /// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm)`.
    ///
    /// Invariants: a zone is required with a time of day — a zone-less time names no instant, and guessing
    /// one answered audits for the wrong moment; up to six fraction digits are kept (PostgreSQL's
    /// microseconds, so an instant the ledger printed reads back exactly), further digits are truncated; the
    /// instant must lie in ``secondsWindow``. Anything else is nil. Never traps, whatever the text.
    public init?(iso8601 text: String) {
        var scanner = TimeTextScanner(Array(text.utf8))
        guard let micros = scanner.instant(), scanner.atEnd else { return nil }
        self.init(microsecondsSinceEpoch: micros)
    }
}

/// A cursor over the bytes of a time; each reader returns nil (and the parse fails) on anything unexpected.
private struct TimeTextScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    /// Microseconds since the epoch of a whole date or date-time, checked against the window.
    mutating func instant() -> Int64? {
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            (1...12).contains(month), (1...CivilDate.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        var seconds = days * 86_400
        var micros: Int64 = 0
        if !atEnd {
            guard expect("T") || expect("t") || expect(" "), let hour = digits(2), expect(":"),
                let minute = digits(2), expect(":"), let second = digits(2),
                hour < 24, minute < 60, second < 60
            else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            if expect(".") {
                guard let fraction = fraction() else { return nil }
                micros = fraction
            }
            guard let offset = zoneOffsetSeconds() else { return nil }
            seconds -= offset
        }
        guard EventTime.secondsWindow.contains(seconds) else { return nil }
        return seconds * 1_000_000 + micros
    }

    /// `Z`, `±hh:mm`, `±hhmm` or `±hh`, as seconds east of UTC.
    mutating func zoneOffsetSeconds() -> Int64? {
        if expect("Z") || expect("z") { return 0 }
        let sign: Int64
        if expect("+") {
            sign = 1
        } else if expect("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = digits(2), hours < 24 else { return nil }
        var minutes: Int64 = 0
        if !atEnd {
            _ = expect(":")
            guard let value = digits(2), value < 60 else { return nil }
            minutes = value
        }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// 1–9 fraction digits as microseconds (beyond six truncated).
    mutating func fraction() -> Int64? {
        var micros: Int64 = 0
        var count = 0
        while index < bytes.count, let digit = digit(bytes[index]) {
            guard count < 9 else { return nil }
            if count < 6 { micros = micros * 10 + digit }
            count += 1
            index += 1
        }
        guard count > 0 else { return nil }
        for _ in count..<max(count, 6) { micros *= 10 }
        return micros
    }

    mutating func digits(_ count: Int) -> Int64? {
        guard index + count <= bytes.count else { return nil }
        var value: Int64 = 0
        for offset in 0..<count {
            guard let digit = digit(bytes[index + offset]) else { return nil }
            value = value * 10 + digit
        }
        index += count
        return value
    }

    mutating func expect(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    func digit(_ byte: UInt8) -> Int64? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int64(byte - UInt8(ascii: "0")) : nil
    }
}
