import Entitlements
import Reconciliation
import Testing

@Suite struct PeriodTests {
    @Test func novemberIsKyivCivilTime() throws {
        let period = try ReportingPeriod(month: "2026-11")
        // 1 Nov 2026 00:00 EET (UTC+2) = 31 Oct 22:00 UTC; 1 Dec 00:00 EET = 30 Nov 22:00 UTC.
        #expect(period.start == UnixTime(1_793_484_000))
        #expect(period.end == UnixTime(1_796_076_000))
        #expect(period.label == "2026-11")
        #expect(period.days.count == 30)
    }
}
