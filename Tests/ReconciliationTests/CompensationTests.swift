import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Tariff
import Testing

@testable import Reconciliation

@Suite struct CompensationTests {
    let card: CardSerial = 0x00AA_0000_0000_0001
    let other: CardSerial = 0x00AA_0000_0000_0002

    @Test func linesPerCarrierRouteCategoryAndDay() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        a1.benefit(card, at: Town.morning)
        a1.benefit(other, at: Town.morning + 10 * minute, category: 2)
        a1.benefit(card, at: Town.morning + 2 * day)
        b1.benefit(other, at: Town.morning + 5 * hour, category: 2, fare: 1000, fullFare: 2000, route: 2)
        let report = reconcile(Town.input([a1, b1]))

        #expect(report.lines.count == 4)
        let first = report.lines[0]
        #expect(first.carrier == 1 && first.route == 1 && first.category == 1 && first.date == CivilDate(year: 2026, month: 11, day: 1)!)
        #expect(first.rides == 1 && first.fullFareKopecks == 1500 && first.paidKopecks == 0 && first.compensationKopecks == 1500)
        #expect(first.entries == [EntryReference(device: Town.busA1, sequence: 1)])
        let route2 = report.lines.first { $0.route == 2 }!
        #expect(route2.carrier == 2 && route2.compensationKopecks == 1000 && route2.paidKopecks == 1000 && route2.fullFareKopecks == 2000)
        #expect(report.compensation == 1500 + 1500 + 1500 + 1000)
        #expect(report.totalsByCarrier.map(\.key) == [1, 2])
        #expect(report.totalsByCarrier.map(\.compensationKopecks) == [4500, 1000])
        #expect(report.totalsByCategory.map(\.compensationKopecks) == [3000, 2500])
        #expect(report.totalsByRoute.map(\.key) == [CarrierRoute(carrier: 1, route: 1), CarrierRoute(carrier: 2, route: 2)])
        #expect(report.excluded.isEmpty)
        // Bus A2 is assigned but sent nothing: the only exception.
        #expect(report.exceptions.map(\.kind) == [.deviceSilent])
        #expect(report.exceptions.map(\.device) == [Town.busA2])
        #expect(report.tariffVersionsUsed == [1])
    }

    /// A ride at 00:30 Kyiv time on 1 November is November's, although it is 31 October in UTC;
    /// one at 23:30 on 31 October is not in November at all.
    @Test func daysAreKyivDays() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.period.start + 30 * minute)
        bus.benefit(card, at: Town.period.start - 30 * minute)
        let report = reconcile(Town.input([bus]))
        #expect(report.lines.count == 1)
        #expect(report.lines[0].date == CivilDate(year: 2026, month: 11, day: 1)!)
        #expect(report.lines[0].entries == [EntryReference(device: Town.busA1, sequence: 1)])
    }

    /// The tariff in force at the ride decides the fare, whatever the validator recorded: a
    /// validator still on version 1 after version 2 raised the fare is compensated at the new fare.
    @Test func tariffVersionValidThatDay() {
        var raised = Town.tariff
        raised.version = 2
        raised.baseFareKopecks = 1800
        let change = Town.morning + 10 * day
        let reference = Town.reference(tariffs: [
            TariffVersion(period: TariffPeriod(version: 2, effectiveFrom: change), tariff: raised),
            TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: Town.since), tariff: Town.tariff),
        ])
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: change - hour)
        bus.benefit(card, at: change + hour, fullFare: 1500)
        let report = reconcile(Town.input([bus], reference: reference))
        #expect(report.lines.map(\.tariffVersion) == [1, 2])
        #expect(report.lines.map(\.compensationKopecks) == [1500, 1800])
        #expect(report.lines.map(\.recordedFullFareKopecks) == [1500, 1500])
        #expect(report.tariffVersionsUsed == [1, 2])
    }

    @Test func noTariffExcludes() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        let report = reconcile(Town.input([bus], reference: Town.reference(tariffs: [])))
        #expect(report.lines.isEmpty)
        #expect(report.excluded.map(\.reason) == [.noTariff])
        #expect(report.excluded[0].amountAtStakeKopecks == 1500)
    }

    @Test func categoryNotInTariffExcludes() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning, category: 7)
        let report = reconcile(Town.input([bus]))
        #expect(report.lines.isEmpty)
        #expect(report.excluded.map(\.reason) == [.categoryNotInTariff])
    }

    @Test func deviceNotAssignedExcludesAndIsReported() {
        var stray = Bus(999)
        stray.benefit(card, at: Town.morning)
        let report = reconcile(Town.input([stray]))
        #expect(report.lines.isEmpty)
        #expect(report.excluded.map(\.reason) == [.deviceNotAssigned])
        #expect(report.excluded[0].carrier == nil)
        let exception = report.exceptions(.deviceNotAssigned)
        #expect(exception.count == 1 && exception[0].device == 999 && exception[0].amountAtStakeKopecks == 1500)
    }

    /// Passes and full fares are rides, not benefit rides: counted in statistics, never paid.
    @Test func plainRidesAreNotCompensated() {
        var bus = Bus(Town.busA1)
        bus.paidRide(card, at: Town.morning)
        let report = reconcile(Town.input([bus]))
        #expect(report.lines.isEmpty && report.excluded.isEmpty)
        #expect(report.cards.all.rides == 1)
    }

    @Test func compensationIsNeverNegative() {
        #expect(compensation(referenceFare: 1500, farePaid: 2000) == 0)
        #expect(compensation(referenceFare: 1500, farePaid: -10) == 1500)
        #expect(compensation(referenceFare: 1500, farePaid: 750) == 750)
    }
}

/// docs/tariff.md, "Transfers and compensation".
@Suite struct TransferTests {
    let card: CardSerial = 0x00AA_0000_0000_0003

    /// A free benefit ride that is a transfer is compensated at the transfer fare (7.50), not
    /// the full fare the validator recorded (15.00): a passenger without the benefit would have
    /// paid 7.50.
    @Test func freeEntitlementOnATransferIsCompensatedAtTheTransferFare() {
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        a1.benefit(card, at: Town.morning)
        a2.benefit(card, at: Town.morning + 20 * minute)
        let report = reconcile(Town.input([a1, a2]))
        #expect(report.compensation == 1500 + 750)
        #expect(report.lines.count == 1)
        #expect(report.lines[0].fullFareKopecks == 1500 + 750 && report.lines[0].recordedFullFareKopecks == 3000)
    }

    /// A discount on a transfer: the validator records the transfer fare as the full fare and
    /// charges the discount of it; the community pays the difference.
    @Test func discountOnATransfer() {
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        a1.paidRide(card, at: Town.morning)
        a2.benefit(card, at: Town.morning + 20 * minute, fare: 375, fullFare: 750)
        let report = reconcile(Town.input([a1, a2]))
        #expect(report.compensation == 375)
        #expect(report.lines[0].fullFareKopecks == 750)
    }

    /// Beyond the window, on the same vehicle, or chained without the rule allowing it, a ride
    /// is not a transfer.
    @Test func notTransfers() {
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        var b1 = Bus(Town.busB1)
        a1.benefit(card, at: Town.morning)
        a1.benefit(card, at: Town.morning + 10 * minute)  // same vehicle: full fare
        a2.benefit(card, at: Town.morning + 20 * minute)  // transfer: 7.50
        b1.benefit(card, at: Town.morning + 30 * minute, fullFare: 2000, route: 2)  // a chained transfer, not allowed: 20.00
        a2.benefit(card, at: Town.morning + 5 * hour)  // outside the window: 15.00
        let report = reconcile(Town.input([a1, a2, b1]))
        #expect(report.compensation == 1500 + 1500 + 750 + 2000 + 1500)
    }

    @Test func chainingWhenAllowed() {
        var chained = Town.tariff
        chained.transfer = TransferRule(windowSeconds: 3600, farePercent: 50, allowsChaining: true)
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        var b1 = Bus(Town.busB1)
        a1.benefit(card, at: Town.morning)
        a2.benefit(card, at: Town.morning + 20 * minute)
        b1.benefit(card, at: Town.morning + 30 * minute, fullFare: 2000, route: 2)
        let report = reconcile(
            Town.input([a1, a2, b1], reference: Town.reference(tariffs: [TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: Town.since), tariff: chained)])))
        #expect(report.compensation == 1500 + 750 + 1000)
    }

    /// A free transfer (0 %) costs nobody anything: a benefit ride on it is compensated 0 and
    /// does not spend a counted ride.
    @Test func freeTransferCompensatesNothing() {
        var free = Town.tariff
        free.transfer = TransferRule(windowSeconds: 3600, farePercent: 0)
        var reference = Town.reference(tariffs: [TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: Town.since), tariff: free)])
        let november = CivilDate(year: 2026, month: 11, day: 1)!
        reference.entitlements = [
            IssuedEntitlement(
                card: card, entitlement: 1, category: 1, product: .rides, rideLimit: 1, ridePeriod: .day, validFrom: november,
                validUntil: november.adding(days: 60))
        ]
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        a1.benefit(card, at: Town.morning)
        a2.benefit(card, at: Town.morning + 20 * minute, fullFare: 0)
        let report = reconcile(Town.input([a1, a2], reference: reference))
        #expect(report.compensation == 1500)
        #expect(report.lines.map(\.rides).reduce(0, +) == 2)
        #expect(report.exceptions(.overRideLimit).isEmpty)
        #expect(report.excluded.isEmpty)
    }
}

/// Whole reconciliations of the DST months: every ride lands on its Kyiv day and in its month.
@Suite struct DaylightSavingMonthTests {
    let card: CardSerial = 0x00AA_0000_0000_0050

    func lines(month: String, rides: [Int64]) throws -> [CivilDate: Int] {
        var bus = Bus(Town.busA1)
        for time in rides { bus.benefit(card, at: UnixTime(time)) }
        var input = Town.input([bus])
        input.period = try ReportingPeriod(month: month)
        return Dictionary(reconcile(input).lines.map { ($0.date, $0.rides) }, uniquingKeysWith: +)
    }

    @Test func october2026() throws {
        let days = try lines(
            month: "2026-10",
            rides: [
                1_790_802_000 - 60,  // 30 Sep 23:59 EEST: September
                1_790_802_000,  // 1 Oct 00:00 EEST
                1_792_888_200,  // 25 Oct 00:30Z = 03:30 EEST, before the clocks go back
                1_792_891_800,  // 25 Oct 01:30Z = 03:30 EET, after (the same wall time again)
                1_793_484_000 - 60,  // 31 Oct 23:59 EET
                1_793_484_000,  // 1 Nov 00:00 EET: November
            ])
        #expect(days == [
            CivilDate(year: 2026, month: 10, day: 1)!: 1, CivilDate(year: 2026, month: 10, day: 25)!: 2, CivilDate(year: 2026, month: 10, day: 31)!: 1,
        ])
    }

    @Test func march2026() throws {
        let days = try lines(
            month: "2026-03",
            rides: [
                1_772_316_000 - 60,  // 28 Feb 23:59 EET: February
                1_772_316_000,  // 1 Mar 00:00 EET
                1_774_746_000 - 60,  // 29 Mar 00:59Z = 02:59 EET, before the clocks go forward
                1_774_746_000,  // 29 Mar 01:00Z = 04:00 EEST
                1_774_990_800 - 60,  // 31 Mar 23:59 EEST
                1_774_990_800,  // 1 Apr 00:00 EEST: April
            ])
        #expect(days == [
            CivilDate(year: 2026, month: 3, day: 1)!: 1, CivilDate(year: 2026, month: 3, day: 29)!: 2, CivilDate(year: 2026, month: 3, day: 31)!: 1,
        ])
    }

    /// The card's last ride before the period is what makes the first one of the period a transfer.
    @Test func transferAcrossThePeriodStart() {
        var a1 = Bus(Town.busA1)
        var a2 = Bus(Town.busA2)
        a1.paidRide(card, at: Town.period.start - 10 * minute)
        a2.benefit(card, at: Town.period.start + 10 * minute)
        let report = reconcile(Town.input([a1, a2]))
        #expect(report.compensation == 750)
    }
}
