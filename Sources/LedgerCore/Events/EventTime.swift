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

    /// An instant from Unix seconds (Stripe's `created`).
    public init(secondsSinceEpoch seconds: Int64) {
        self.microsecondsSinceEpoch = seconds * 1_000_000
    }

    /// An instant from a `Date`, truncated to whole microseconds.
    public init(_ date: Date) {
        self.microsecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    /// Microseconds since 2000-01-01, PostgreSQL's binary `timestamptz` form.
    public var postgresMicroseconds: Int64 { microsecondsSinceEpoch - 946_684_800_000_000 }

    /// The instant from PostgreSQL's binary `timestamptz` form.
    public init(postgresMicroseconds: Int64) {
        self.microsecondsSinceEpoch = postgresMicroseconds + 946_684_800_000_000
    }

    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// ISO 8601 in UTC with microseconds, e.g. `2025-03-01T12:00:00.000000Z`.
    ///
    /// Written digit by digit (not `String(format:)`, ~10× slower): snapshots format
    /// hundreds of thousands of these.
    public var description: String {
        let seconds =
            microsecondsSinceEpoch >= 0
            ? microsecondsSinceEpoch / 1_000_000 : (microsecondsSinceEpoch - 999_999) / 1_000_000
        let micros = microsecondsSinceEpoch - seconds * 1_000_000
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
