import Entitlements
import Testing

@testable import Reconciliation

@Suite struct PeriodTests {
    @Test func novemberIsKyivCivilTime() throws {
        let period = try ReportingPeriod(month: "2026-11")
        // 1 Nov 2026 00:00 EET (UTC+2) = 31 Oct 22:00 UTC; 1 Dec 00:00 EET = 30 Nov 22:00 UTC.
        #expect(period.start == UnixTime(1_793_484_000))
        #expect(period.end == UnixTime(1_796_076_000))
        #expect(period.label == "2026-11")
        #expect(period.days.count == 30)
        #expect(period.isCalendarMonth)
    }

    /// March 2026 starts in winter time and ends in summer time: an hour shorter than 31 days.
    @Test func marchLosesAnHour() throws {
        let period = try ReportingPeriod(month: "2026-03")
        #expect(period.start == UnixTime(1_772_316_000))  // 2026-02-28T22:00Z = 1 Mar 00:00 EET
        #expect(period.end == UnixTime(1_774_990_800))  // 2026-03-31T21:00Z = 1 Apr 00:00 EEST
        #expect(period.durationSeconds == 31 * 86_400 - 3600)
        // 23:30 on 31 March (summer time) is still March; 00:30 on 1 April is not.
        #expect(period.contains(UnixTime(1_774_989_000)))
        #expect(period.localDay(of: UnixTime(1_774_989_000)) == CivilDate(year: 2026, month: 3, day: 31))
        #expect(!period.contains(UnixTime(1_774_990_800 + 1800)))
        // The night of the change: 00:30 UTC on 29 March is 02:30 EET, the 29th.
        #expect(period.localDay(of: UnixTime(1_774_744_200)) == CivilDate(year: 2026, month: 3, day: 29))
    }

    /// October 2026 starts in summer time and ends in winter time: an hour longer than 31 days.
    @Test func octoberGainsAnHour() throws {
        let period = try ReportingPeriod(month: "2026-10")
        #expect(period.start == UnixTime(1_790_802_000))  // 2026-09-30T21:00Z = 1 Oct 00:00 EEST
        #expect(period.end == UnixTime(1_793_484_000))  // 2026-10-31T22:00Z = 1 Nov 00:00 EET
        #expect(period.durationSeconds == 31 * 86_400 + 3600)
        #expect(!period.contains(UnixTime(1_790_802_000 - 1)))
        // 23:30 EET on 31 October is October; 30 minutes later it is November.
        #expect(period.contains(UnixTime(1_793_484_000 - 1800)))
        #expect(!period.contains(UnixTime(1_793_484_000 + 1800)))
        #expect(period.localDay(of: UnixTime(1_792_888_200)) == CivilDate(year: 2026, month: 10, day: 25))
    }

    @Test func fromThrough() throws {
        let period = try ReportingPeriod(from: CivilDate(year: 2026, month: 11, day: 3)!, through: CivilDate(year: 2026, month: 11, day: 9)!)
        #expect(period.label == "2026-11-03..2026-11-09")
        #expect(period.days.count == 7)
        #expect(!period.isCalendarMonth)
        #expect(period.durationSeconds == 7 * 86_400)
        #expect(throws: ReconciliationError(.invalidPeriod, "")) {
            try ReportingPeriod(from: CivilDate(year: 2026, month: 11, day: 9)!, through: CivilDate(year: 2026, month: 11, day: 3)!)
        }
    }

    @Test(arguments: ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-11-01"])
    func refusesMalformedMonths(_ text: String) {
        #expect(throws: ReconciliationError(.invalidPeriod, "")) { try ReportingPeriod(month: text) }
    }

    /// Every month boundary of 2020–2037 is a local midnight by the rule, and months tile.
    @Test func monthsTile() throws {
        for year in 2020...2037 {
            for month in 1...12 {
                let text = "\(year)-\(month < 10 ? "0" : "")\(month)"
                let period = try ReportingPeriod(month: text)
                let local = period.timeZone.local(at: period.start)
                #expect(local.secondOfDay == 0 && local.date == period.firstDay)
                let next = try ReportingPeriod(from: period.lastDay.adding(days: 1), through: period.lastDay.adding(days: 1))
                #expect(next.start == period.end)
                #expect(period.localDay(of: period.end.adding(seconds: -1)) == period.lastDay)
            }
        }
    }
}
