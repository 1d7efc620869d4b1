import LedgerCore
import LedgerTestRandom
import Testing

/// The ledger's one reader of typed times (CLI options, query parameters).
@Suite("EventTime(iso8601:)")
struct EventTimeParsingTests {
    @Test(
        arguments: [
            ("2025-03-01", 1_740_787_200_000_000),
            ("2025-03-01T12:00:00Z", 1_740_830_400_000_000),
            ("2025-03-01t12:00:00z", 1_740_830_400_000_000),
            ("2025-03-01 12:00:00Z", 1_740_830_400_000_000),
            ("2025-03-01T13:30:00+01:30", 1_740_830_400_000_000),
            ("2025-03-01T10:00:00-0200", 1_740_830_400_000_000),
            ("2025-03-01T14:00:00+02", 1_740_830_400_000_000),
            // Microseconds are kept, so a recorded_at the ledger printed reads back exactly; nanoseconds are cut.
            ("2025-03-01T12:00:00.123456Z", 1_740_830_400_123_456),
            ("2025-03-01T12:00:00.1Z", 1_740_830_400_100_000),
            ("2025-03-01T12:00:00.123456789Z", 1_740_830_400_123_456),
            ("1970-01-01T00:00:00Z", 0),
            ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
            ("2024-02-29", 1_709_164_800_000_000),
        ] as [(String, Int64)])
    func acceptedFormsGiveTheirInstant(text: String, micros: Int64) {
        #expect(EventTime(iso8601: text)?.microsecondsSinceEpoch == micros)
    }

    @Test(arguments: [
        // A time of day without a zone names no instant (it was once read as that day's midnight).
        "2026-12-02T09:29:45", "2025-03-01T12:00:00.5",
        // Other spellings and broken values.
        "2025/03/01", "2025-3-1", "25-03-01", "2025-03-01T12:00Z", "2025-13-01", "2025-02-29", "2025-03-32",
        "2025-03-01T24:00:00Z", "2025-03-01T12:60:00Z", "2025-03-01T12:00:60Z", "2025-03-01T12:00:00+24:00",
        "2025-03-01T12:00:00.Z", "2025-03-01T12:00:00.1234567890Z", "2025-03-01T12:00:00Z ", " 2025-03-01",
        "2025-03-01T12:00:00Zjunk", "", "now", "1740830400",
        // Outside the ledger's window, which is where `as_of=0001-01-01` once answered 500.
        "0001-01-01", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "+275760-09-13", "99999-01-01",
        "2025-03-01T12:00:00\u{0}Z", "２０２５-03-01",
    ])
    func everythingElseIsRefused(text: String) {
        #expect(EventTime(iso8601: text) == nil)
    }

    @Test func printedInstantsReadBackExactly() {
        var generator = SeededGenerator(seed: 20_261_202)
        for _ in 0..<2_000 {
            let micros = Int64.random(in: 0...253_402_300_799_999_999, using: &generator)
            let time = EventTime(microsecondsSinceEpoch: micros)
            #expect(EventTime(iso8601: time.description) == time, "seed 20261202, \(time)")
        }
    }
}
