/// A calendar day in UTC, as a count of days since 1970-01-01: the `day` of the MRR tables.
///
/// Pure arithmetic on ``CivilDate``, so it never depends on the host's time zone or calendar.
public struct UTCDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int64

    public init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The UTC day `time` falls on.
    public init(_ time: EventTime) {
        let microsecondsPerDay: Int64 = 86_400_000_000
        let micros = time.microsecondsSinceEpoch
        daysSinceEpoch =
            micros >= 0 ? micros / microsecondsPerDay : (micros - microsecondsPerDay + 1) / microsecondsPerDay
    }

    public init(year: Int64, month: Int64, day: Int64) {
        daysSinceEpoch = CivilDate.days(year: year, month: month, day: day)
    }

    /// Parses `YYYY-MM-DD`; nil when malformed or not a real date (2025-02-30).
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
            let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
            (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Year, month (1–12) and day of month (1–31).
    public var civil: (year: Int64, month: Int64, day: Int64) { CivilDate.civil(days: daysSinceEpoch) }

    /// The day `count` days later (earlier when negative).
    public func adding(days count: Int64) -> UTCDay { UTCDay(daysSinceEpoch: daysSinceEpoch + count) }

    /// The first day of this day's month.
    public var firstOfMonth: UTCDay {
        let date = civil
        return UTCDay(year: date.year, month: date.month, day: 1)
    }

    /// The first day of the next month.
    public var firstOfNextMonth: UTCDay {
        let date = civil
        return date.month == 12
            ? UTCDay(year: date.year + 1, month: 1, day: 1) : UTCDay(year: date.year, month: date.month + 1, day: 1)
    }

    /// The Monday of this day's ISO week (1970-01-01 was a Thursday).
    public var monday: UTCDay {
        let weekday = ((daysSinceEpoch + 3) % 7 + 7) % 7  // 0 = Monday
        return adding(days: -weekday)
    }

    /// Days in `month` of `year`.
    public static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        let next =
            month == 12
            ? CivilDate.days(year: year + 1, month: 1, day: 1) : CivilDate.days(year: year, month: month + 1, day: 1)
        return next - CivilDate.days(year: year, month: month, day: 1)
    }

    public static func < (lhs: UTCDay, rhs: UTCDay) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = civil
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(year)
        let paddedYear = yearText.count >= 4 ? yearText : String(repeating: "0", count: 4 - yearText.count) + yearText
        return "\(paddedYear)-\(two(month))-\(two(day))"
    }

    /// Encoded as `YYYY-MM-DD` text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = UTCDay(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        self = day
    }
}
