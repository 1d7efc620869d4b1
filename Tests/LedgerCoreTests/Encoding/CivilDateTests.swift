import LedgerCore
import Testing

@Suite("civil dates and event times")
struct CivilDateTests {
    @Test func daysAndDatesRoundTripAcrossLeapYearsAndTheEpoch() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilDate.days(year: 1969, month: 12, day: 31) == -1)
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let date = CivilDate.civil(days: days)
            #expect(CivilDate.days(year: date.year, month: date.month, day: date.day) == days)
        }
        #expect(CivilDate.civil(days: CivilDate.days(year: 2024, month: 2, day: 29)) == (2024, 2, 29))
    }

    @Test func eventTimePrintsISO8601WithMicroseconds() {
        #expect(EventTime(microsecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(
            EventTime(microsecondsSinceEpoch: 1_709_210_096_789_012).description == "2024-02-29T12:34:56.789012Z")
        #expect(EventTime(microsecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999999Z")
        #expect(EventTime(postgresMicroseconds: 0) == EventTime(secondsSinceEpoch: 946_684_800))
    }
}
