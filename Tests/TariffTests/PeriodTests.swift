import Entitlements
import Testing

@testable import Tariff

private typealias F = Fixture

/// Ride limits roll over at local (Kyiv) midnight, Monday and the 1st, across both DST switches.
@Suite("Ride periods in Kyiv time")
struct PeriodTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let period: RidePeriod
        /// When the allowance was used up (local period start is computed from it).
        let usedUpAt: UnixTime
        let tapAt: UnixTime
        let renewed: Bool
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        // Day, summer (UTC+3): local midnight is 21:00 UTC.
        Row(name: "day: 23:59:59 local, same day", period: .day, usedUpAt: F.utc(2026, 6, 14, 6), tapAt: F.utc(2026, 6, 14, 20, 59, 59), renewed: false),
        Row(name: "day: 00:00 local, next day", period: .day, usedUpAt: F.utc(2026, 6, 14, 6), tapAt: F.utc(2026, 6, 14, 21, 0, 0), renewed: true),
        Row(name: "day: UTC midnight is 03:00 local, long after rollover", period: .day, usedUpAt: F.utc(2026, 6, 14, 20, 0), tapAt: F.utc(2026, 6, 15, 0, 0), renewed: true),
        Row(name: "day: a ride at 00:30 local counts for the new day", period: .day, usedUpAt: F.utc(2026, 6, 14, 21, 30), tapAt: F.utc(2026, 6, 14, 23, 0), renewed: false),
        // Day, winter (UTC+2): local midnight is 22:00 UTC.
        Row(name: "day winter: 23:59 local", period: .day, usedUpAt: F.utc(2026, 1, 14, 8), tapAt: F.utc(2026, 1, 14, 21, 59), renewed: false),
        Row(name: "day winter: 00:00 local", period: .day, usedUpAt: F.utc(2026, 1, 14, 8), tapAt: F.utc(2026, 1, 14, 22, 0), renewed: true),
        // Spring forward night, 28→29 March 2026: midnight is still UTC+2 (22:00 UTC on the 28th).
        Row(name: "March switch: 23:59 local on the 28th", period: .day, usedUpAt: F.utc(2026, 3, 28, 8), tapAt: F.utc(2026, 3, 28, 21, 59), renewed: false),
        Row(name: "March switch: 00:00 local on the 29th", period: .day, usedUpAt: F.utc(2026, 3, 28, 8), tapAt: F.utc(2026, 3, 28, 22, 0), renewed: true),
        Row(name: "March switch: 04:00 EEST same day as 02:30 EET", period: .day, usedUpAt: F.utc(2026, 3, 29, 0, 30), tapAt: F.utc(2026, 3, 29, 1, 0), renewed: false),
        // The 29th ends at 21:00 UTC (UTC+3 now).
        Row(name: "March switch: 23:59 EEST on the 29th", period: .day, usedUpAt: F.utc(2026, 3, 29, 0, 30), tapAt: F.utc(2026, 3, 29, 20, 59), renewed: false),
        Row(name: "March switch: 00:00 EEST on the 30th", period: .day, usedUpAt: F.utc(2026, 3, 29, 0, 30), tapAt: F.utc(2026, 3, 29, 21, 0), renewed: true),
        // Fall back night, 24→25 October 2026: 25th starts at 21:00 UTC on the 24th (UTC+3) and lasts 25 hours.
        Row(name: "October switch: 23:59 EEST on the 24th", period: .day, usedUpAt: F.utc(2026, 10, 24, 8), tapAt: F.utc(2026, 10, 24, 20, 59), renewed: false),
        Row(name: "October switch: 00:00 EEST on the 25th", period: .day, usedUpAt: F.utc(2026, 10, 24, 8), tapAt: F.utc(2026, 10, 24, 21, 0), renewed: true),
        Row(name: "October switch: 03:30 twice is the same day", period: .day, usedUpAt: F.utc(2026, 10, 25, 0, 30), tapAt: F.utc(2026, 10, 25, 1, 30), renewed: false),
        Row(name: "October switch: 23:59 EET on the 25th", period: .day, usedUpAt: F.utc(2026, 10, 25, 0, 30), tapAt: F.utc(2026, 10, 25, 21, 59), renewed: false),
        Row(name: "October switch: 00:00 EET on the 26th", period: .day, usedUpAt: F.utc(2026, 10, 25, 0, 30), tapAt: F.utc(2026, 10, 25, 22, 0), renewed: true),
        // Week: Monday 00:00 local.
        Row(name: "week: Sunday 23:59 local", period: .week, usedUpAt: F.utc(2026, 6, 15, 6), tapAt: F.utc(2026, 6, 21, 20, 59), renewed: false),
        Row(name: "week: Monday 00:00 local (Sunday 21:00 UTC)", period: .week, usedUpAt: F.utc(2026, 6, 15, 6), tapAt: F.utc(2026, 6, 21, 21, 0), renewed: true),
        Row(name: "week: across the March switch (Monday 30th 00:00 EEST)", period: .week, usedUpAt: F.utc(2026, 3, 23, 6), tapAt: F.utc(2026, 3, 29, 21, 0), renewed: true),
        Row(name: "week: Sunday 29 March 23:59 EEST", period: .week, usedUpAt: F.utc(2026, 3, 23, 6), tapAt: F.utc(2026, 3, 29, 20, 59), renewed: false),
        Row(name: "week: ISO week spanning New Year", period: .week, usedUpAt: F.utc(2025, 12, 29, 8), tapAt: F.utc(2026, 1, 3, 12), renewed: false),
        // Month: the 1st, 00:00 local.
        Row(name: "month: 31 Oct 23:59 EET", period: .month, usedUpAt: F.utc(2026, 10, 2, 8), tapAt: F.utc(2026, 10, 31, 21, 59), renewed: false),
        Row(name: "month: 1 Nov 00:00 EET (31 Oct 22:00 UTC)", period: .month, usedUpAt: F.utc(2026, 10, 2, 8), tapAt: F.utc(2026, 10, 31, 22, 0), renewed: true),
        Row(name: "month: 1 Jul 00:00 EEST (30 Jun 21:00 UTC)", period: .month, usedUpAt: F.utc(2026, 6, 2, 8), tapAt: F.utc(2026, 6, 30, 21, 0), renewed: true),
        Row(name: "month: 1 Jan 00:00 EET", period: .month, usedUpAt: F.utc(2025, 12, 31, 8), tapAt: F.utc(2025, 12, 31, 22, 0), renewed: true),
        Row(name: "month: 31 Dec 23:59 EET", period: .month, usedUpAt: F.utc(2025, 12, 1, 8), tapAt: F.utc(2025, 12, 31, 21, 59), renewed: false),
    ]

    @Test(arguments: rows)
    func rollover(_ row: Row) throws {
        let kyiv = F.tariff.timeZone
        let usedPeriod = row.period.start(containing: kyiv.local(at: row.usedUpAt).date)
        let rides = F.verified(F.terms(3, .rides(count: 2, per: row.period), from: F.date(2025, 1, 1), until: F.date(2027, 12, 31)))
        let card = F.cardState(counters: [UsageCounter(entitlementID: 3, periodStart: usedPeriod, rides: 2)])
        let tariff = F.tariff.with { $0.purseWithoutEntitlement = false }
        let decision = F.decideTap(card, [rides], tariff: tariff, now: row.tapAt)
        if row.renewed {
            let acceptance = try #require(decision.acceptance, "\(decision)")
            let counter = try #require(acceptance.counterUpdate)
            #expect(counter.rides == 1)
            #expect(counter.periodStart > usedPeriod)
            #expect(counter.periodStart == row.period.start(containing: kyiv.local(at: row.tapAt).date))
        } else {
            guard case .rideLimitReached(let renewsOn) = decision.denial?.reason else {
                Issue.record("expected the limit to hold, got \(decision)")
                return
            }
            #expect(renewsOn == row.period.nextStart(after: usedPeriod))
        }
    }

    @Test(arguments: [
        (RidePeriod.day, "2026-03-29", "2026-03-30"),
        (.day, "2026-12-31", "2027-01-01"),
        (.week, "2026-03-23", "2026-03-30"),
        (.week, "2025-12-29", "2026-01-05"),
        (.month, "2026-02-01", "2026-03-01"),
        (.month, "2026-12-01", "2027-01-01"),
    ])
    func nextPeriodStart(period: RidePeriod, start: String, next: String) throws {
        #expect(period.nextStart(after: try #require(CivilDate(iso: start))).description == next)
    }

    @Test func timeWindowsFollowSummerTime() {
        let weekdayDaytime = F.verified(F.terms(1, .free, windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))]))
        let tariff = F.tariff.with { $0.purseWithoutEntitlement = false }
        // Monday 30 March 2026 (first day of EEST): 06:00 local = 03:00 UTC.
        #expect(F.decideTap(F.cardState(), [weekdayDaytime], tariff: tariff, now: F.utc(2026, 3, 30, 2, 59)).denial?.reason == .outsideTimeWindow)
        #expect(F.decideTap(F.cardState(), [weekdayDaytime], tariff: tariff, now: F.utc(2026, 3, 30, 3, 0)).acceptance != nil)
        // Monday 23 March 2026 (EET): 06:00 local = 04:00 UTC.
        #expect(F.decideTap(F.cardState(), [weekdayDaytime], tariff: tariff, now: F.utc(2026, 3, 23, 3, 59)).denial?.reason == .outsideTimeWindow)
        #expect(F.decideTap(F.cardState(), [weekdayDaytime], tariff: tariff, now: F.utc(2026, 3, 23, 4, 0)).acceptance != nil)
        // Friday 22:00 local closes the window; Friday 21:59 is open.
        #expect(F.decideTap(F.cardState(), [weekdayDaytime], tariff: tariff, now: F.utc(2026, 6, 19, 18, 59)).acceptance != nil)
        #expect(F.decideTap(F.cardState(), [weekdayDaytime], tariff: tariff, now: F.utc(2026, 6, 19, 19, 0)).denial?.reason == .outsideTimeWindow)
    }
}
