import Foundation
import Entitlements
import Testing

@Suite("Civil dates")
struct CivilDateTests {
    @Test(arguments: [
        (1970, 1, 1, 0, Weekday.thursday),
        (2000, 2, 29, 11_016, .tuesday),
        (2026, 3, 29, 20_541, .sunday),
        (2026, 10, 25, 20_751, .sunday),
        (2149, 6, 6, 65_535, .friday),
        (1969, 12, 31, -1, .wednesday),
    ])
    func knownDates(year: Int, month: Int, day: Int, days: Int32, weekday: Weekday) throws {
        let date = try #require(CivilDate(year: year, month: month, day: day))
        #expect(date.daysSinceEpoch == days)
        #expect(date.weekday == weekday)
        #expect(date.components == (year, month, day))
    }

    @Test(arguments: [(2026, 2, 29), (2025, 13, 1), (2025, 0, 1), (2025, 4, 31), (1900, 2, 29)])
    func impossibleDatesAreNil(year: Int, month: Int, day: Int) {
        #expect(CivilDate(year: year, month: month, day: day) == nil)
    }

    @Test func everyDayRoundTripsThroughComponents() throws {
        for days in Int32(-800)...Int32(70_000) {
            let date = CivilDate(daysSinceEpoch: days)
            let (year, month, day) = date.components
            #expect(CivilDate(year: year, month: month, day: day) == date)
            #expect(CivilDate(iso: date.description) == date)
        }
    }

    @Test(arguments: [
        // (date, Monday of its ISO week, first of month)
        ("2026-03-29", "2026-03-23", "2026-03-01"),  // Sunday
        ("2026-03-30", "2026-03-30", "2026-03-01"),  // Monday
        ("2026-01-01", "2025-12-29", "2026-01-01"),  // Thursday; week starts in the previous year
        ("2024-02-29", "2024-02-26", "2024-02-01"),
    ])
    func periodStarts(date: String, monday: String, first: String) throws {
        let day = try #require(CivilDate(iso: date))
        #expect(day.startOfISOWeek.description == monday)
        #expect(day.startOfMonth.description == first)
        #expect(RidePeriod.day.start(containing: day) == day)
        #expect(RidePeriod.week.start(containing: day).description == monday)
        #expect(RidePeriod.month.start(containing: day).description == first)
    }
}

@Suite("Kyiv time")
struct KyivTimeTests {
    let kyiv = TimeZoneRule.europeKyiv

    @Test(arguments: [
        // (UTC instant, expected local wall clock, expected offset hours)
        ("2026-01-15T12:00:00Z", "2026-01-15 14:00", 2),
        ("2026-07-15T12:00:00Z", "2026-07-15 15:00", 3),
        // Spring forward: last Sunday of March 2026 is the 29th; 01:00 UTC = 03:00 EET -> 04:00 EEST.
        ("2026-03-29T00:59:59Z", "2026-03-29 02:59", 2),
        ("2026-03-29T01:00:00Z", "2026-03-29 04:00", 3),
        // Fall back: last Sunday of October 2026 is the 25th; 01:00 UTC = 04:00 EEST -> 03:00 EET.
        ("2026-10-25T00:59:59Z", "2026-10-25 03:59", 3),
        ("2026-10-25T01:00:00Z", "2026-10-25 03:00", 2),
        // Local midnight is 22:00 or 21:00 UTC the day before.
        ("2026-01-14T21:59:59Z", "2026-01-14 23:59", 2),
        ("2026-01-14T22:00:00Z", "2026-01-15 00:00", 2),
        ("2026-06-14T20:59:59Z", "2026-06-14 23:59", 3),
        ("2026-06-14T21:00:00Z", "2026-06-15 00:00", 3),
        // New Year's Eve: a different year locally than in UTC.
        ("2025-12-31T22:30:00Z", "2026-01-01 00:30", 2),
        // 2024: last Sundays are 31 March and 27 October.
        ("2024-03-31T01:00:00Z", "2024-03-31 04:00", 3),
        ("2024-10-27T00:30:00Z", "2024-10-27 03:30", 3),
        ("2024-10-27T01:30:00Z", "2024-10-27 03:30", 2),
    ])
    func wallClock(utc: String, local: String, offsetHours: Int) throws {
        let instant = try #require(parseUTC(utc))
        #expect(kyiv.offsetSeconds(at: instant) == offsetHours * 3600)
        let wall = kyiv.local(at: instant)
        let minute = wall.minuteOfDay
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        #expect("\(wall.date) \(two(minute / 60)):\(two(minute % 60))" == local)
        #expect(instant.description == utc)
    }

    @Test(arguments: 2020...2040)
    func transitionsFallOnLastSundays(year: Int) throws {
        let rule = try #require(kyiv.daylightSaving)
        for (transition, month) in [(rule.starts, 3), (rule.ends, 10)] {
            let day = transition.day(in: year)
            #expect(day.weekday == .sunday)
            #expect(day.month == month)
            #expect(day.adding(days: 7).month != month, "a later Sunday exists in \(year)-\(month)")
            // One second before the switch the old offset holds, at the switch the new one.
            let at = transition.instant(in: year)
            #expect(kyiv.offsetSeconds(at: at.adding(seconds: -1)) != kyiv.offsetSeconds(at: at))
        }
    }

    @Test func zoneWithoutSummerTimeHasOneOffset() {
        let fixed = TimeZoneRule(name: "UTC+2", standardOffsetSeconds: 7200, daylightSaving: nil)
        #expect(fixed.offsetSeconds(at: Fixture.utc(2026, 7, 1)) == 7200)
    }

    @Test func nthOccurrenceRule() {
        // The US-style "second Sunday of March": 8 March 2026.
        let rule = TransitionRule(month: 3, weekday: .sunday, occurrence: .nth(2), utcSecondOfDay: 0)
        #expect(rule.day(in: 2026).description == "2026-03-08")
        // A fifth Monday that does not exist clamps to the last one.
        let fifth = TransitionRule(month: 2, weekday: .monday, occurrence: .nth(5), utcSecondOfDay: 0)
        #expect(fifth.day(in: 2026).description == "2026-02-23")
    }

    func parseUTC(_ text: String) -> UnixTime? {
        // YYYY-MM-DDThh:mm:ssZ
        let parts = text.dropLast().split(separator: "T")
        guard parts.count == 2, let date = CivilDate(iso: String(parts[0])) else { return nil }
        let clock = parts[1].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return UnixTime(utcMidnightOf: date, plusSeconds: clock[0] * 3600 + clock[1] * 60 + clock[2])
    }
}

@Suite("Time windows")
struct TimeWindowTests {
    static let weekdayDaytime = TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))
    static let lateNight = TimeWindow(weekdays: .friday, from: (22, 0), until: (2, 0))

    @Test(arguments: [
        (weekdayDaytime, "2026-06-15", 6 * 60, true),  // Monday 06:00
        (weekdayDaytime, "2026-06-15", 6 * 60 - 1, false),  // Monday 05:59
        (weekdayDaytime, "2026-06-15", 22 * 60 - 1, true),  // Monday 21:59
        (weekdayDaytime, "2026-06-15", 22 * 60, false),  // Monday 22:00
        (weekdayDaytime, "2026-06-13", 12 * 60, false),  // Saturday noon
        (lateNight, "2026-06-19", 23 * 60, true),  // Friday 23:00
        (lateNight, "2026-06-20", 60, true),  // Saturday 01:00 belongs to Friday's window
        (lateNight, "2026-06-20", 2 * 60, false),  // Saturday 02:00
        (lateNight, "2026-06-20", 23 * 60, false),  // Saturday 23:00
        (lateNight, "2026-06-19", 60, false),  // Friday 01:00 belongs to Thursday
    ])
    func openOrClosed(window: TimeWindow, date: String, minute: Int, open: Bool) throws {
        let day = try #require(CivilDate(iso: date))
        #expect(window.contains(LocalDateTime(date: day, secondOfDay: minute * 60)) == open)
    }
}

@Suite("Time arithmetic at the extremes")
struct TimeExtremesTests {
    @Test(arguments: [Int64.min, Int64.min + 1, -86_401, -1, 0, 1, Int64(UInt32.max), Int64.max - 1, Int64.max])
    func localTimeNeverTraps(seconds: Int64) {
        let local = TimeZoneRule.europeKyiv.local(at: UnixTime(seconds))
        #expect((0..<86_400).contains(local.secondOfDay))
        _ = local.date.startOfISOWeek
        _ = local.date.startOfMonth
        _ = local.date.startOfNextMonth
        _ = local.date.adding(days: Int.max)
        _ = local.date.adding(days: Int.min)
        #expect(UnixTime(seconds).adding(seconds: .max) >= UnixTime(seconds))
        #expect(UnixTime(seconds).adding(seconds: .min) <= UnixTime(seconds))
    }

    @Test(arguments: [Int32.min, -1, 0, Int32.max])
    func dateArithmeticSaturates(days: Int32) {
        let date = CivilDate(daysSinceEpoch: days)
        #expect(date.adding(days: 7) >= date)
        #expect(date.adding(days: -7) <= date)
        #expect(date.startOfMonth <= date)
        _ = date.description
    }

    @Test func instantsFromDates() {
        #expect(UnixTime(Fixture.utc(2026, 6, 15).date) == Fixture.utc(2026, 6, 15))
        #expect(UnixTime(Date(timeIntervalSince1970: -0.5)) == UnixTime(-1))
        #expect(UnixTime(Date(timeIntervalSince1970: .infinity)) == UnixTime(.max))
        #expect(UnixTime(Date(timeIntervalSince1970: -.infinity)) == UnixTime(.min))
        #expect(UnixTime(Date(timeIntervalSince1970: .nan)) == UnixTime(0))
    }
}
