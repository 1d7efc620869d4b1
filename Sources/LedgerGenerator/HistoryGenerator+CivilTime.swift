import LedgerCore

extension HistoryGenerator {
    /// Proleptic Gregorian calendar arithmetic on Unix seconds (UTC), without Foundation's Calendar.
    ///
    /// Stripe bills monthly on the anchor's day of month, clamped to the
    /// month's length; this needs exact civil dates, and the generator may not
    /// depend on the host's time zone or calendar settings.
    enum CivilTime {
        static let secondsPerDay: Int64 = 86_400

        /// Days since 1970-01-01 for a civil date.
        static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
            CivilDate.days(year: year, month: month, day: day)
        }

        /// The civil date of a day count since 1970-01-01.
        static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
            CivilDate.civil(days: days)
        }

        static func daysInMonth(year: Int64, month: Int64) -> Int64 {
            CivilDate.daysInMonth(year: year, month: month)
        }

        /// `seconds` moved by `months` calendar months on `anchorDay`, clamped to the month's last day.
        static func addingMonths(_ months: Int, to seconds: Int64, anchorDay: Int64) -> Int64 {
            let dayCount = floorDivide(seconds, secondsPerDay)
            let timeOfDay = seconds - dayCount * secondsPerDay
            let date = civil(days: dayCount)
            let monthIndex = date.year * 12 + (date.month - 1) + Int64(months)
            let year = floorDivide(monthIndex, 12)
            let month = monthIndex - year * 12 + 1
            let day = min(anchorDay, daysInMonth(year: year, month: month))
            return days(year: year, month: month, day: day) * secondsPerDay + timeOfDay
        }

        /// The day of month of `seconds`, the anchor for later billing dates.
        static func dayOfMonth(_ seconds: Int64) -> Int64 {
            civil(days: floorDivide(seconds, secondsPerDay)).day
        }

        /// Parses `YYYY-MM-DD` into Unix seconds at 00:00:00 UTC; nil when malformed or not a real date.
        static func parseDay(_ text: String) -> Int64? {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
                (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
            else { return nil }
            return days(year: year, month: month, day: day) * secondsPerDay
        }

        private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
            let quotient = value / divisor
            return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
        }
    }
}
