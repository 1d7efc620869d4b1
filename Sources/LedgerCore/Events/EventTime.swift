import Foundation

/// An instant with microsecond resolution, the precision PostgreSQL stores.
///
/// Event times are values, never read from a clock inside `LedgerCore`: the
/// caller passes them in, so replays are deterministic.
public struct EventTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// The instants the ledger accepts from outside, in Unix seconds: 1970-01-01T00:00:00Z through
    /// 9999-12-31T23:59:59Z.
    ///
    /// Every time read from an event body or typed by a user is checked against this window before it
    /// becomes an `EventTime` (a value outside it is parked or refused with its reason), so the
    /// microsecond arithmetic below can never overflow and every instant prints as a four-digit year.
    public static let secondsWindow: ClosedRange<Int64> = 0...253_402_300_799

    /// An instant from Unix seconds (Stripe's `created`); nil outside ``secondsWindow``.
    public init?(checkedSecondsSinceEpoch seconds: Int64) {
        guard Self.secondsWindow.contains(seconds) else { return nil }
        self.microsecondsSinceEpoch = seconds * 1_000_000
    }

    /// An instant from Unix seconds already checked against ``secondsWindow``.
    ///
    /// Saturates instead of trapping if a caller forgot the check: a wrong instant is visible in the
    /// row, a trap would stop every reader of the log for good.
    public init(secondsSinceEpoch seconds: Int64) {
        let (micros, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        self.microsecondsSinceEpoch = overflow ? (seconds < 0 ? .min : .max) : micros
    }

    /// An instant from a `Date`, truncated to whole microseconds (saturating far outside any real date).
    public init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        self.microsecondsSinceEpoch = Int64(exactly: micros) ?? (micros < 0 || micros.isNaN ? .min : .max)
    }

    /// Microseconds since 2000-01-01, PostgreSQL's binary `timestamptz` form.
    ///
    /// Saturating, like PostgreSQL's own `infinity` (`Int64.max`), so no stored or computed instant traps.
    public var postgresMicroseconds: Int64 {
        let (value, overflow) = microsecondsSinceEpoch.subtractingReportingOverflow(Self.postgresEpochOffset)
        return overflow ? .min : value
    }

    /// The instant from PostgreSQL's binary `timestamptz` form (`infinity` saturates).
    public init(postgresMicroseconds: Int64) {
        let (value, overflow) = postgresMicroseconds.addingReportingOverflow(Self.postgresEpochOffset)
        self.microsecondsSinceEpoch = overflow ? .max : value
    }

    /// Microseconds from 1970-01-01 to 2000-01-01.
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// ISO 8601 in UTC with microseconds, e.g. `2025-03-01T12:00:00.000000Z`.
    ///
    /// Written digit by digit (not `String(format:)`, ~10× slower): snapshots format
    /// hundreds of thousands of these.
    public var description: String {
        // Floor division without `micros - 999_999`, which overflows at the bottom of the range.
        var seconds = microsecondsSinceEpoch / 1_000_000
        var micros = microsecondsSinceEpoch % 1_000_000
        if micros < 0 {
            seconds -= 1
            micros += 1_000_000
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.civil(days: days)
        guard (0...9999).contains(year) else {
            return String(
                format: "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", year, month, day, secondOfDay / 3600,
                secondOfDay / 60 % 60, secondOfDay % 60, micros)
        }
        return String(unsafeUninitializedCapacity: 27) { buffer in
            func put(_ value: Int64, digits: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                    value /= 10
                }
            }
            put(year, digits: 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, digits: 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, digits: 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, digits: 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, digits: 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, digits: 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(micros, digits: 6, at: 20)
            buffer[26] = UInt8(ascii: "Z")
            return 27
        }
    }
}
