import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Testing

@testable import Reconciliation

/// Exceptions about cards: duplicates, clone suspects, deny listings, limits and validity.
@Suite struct CardExceptionTests {
    let card: CardSerial = 0x00AA_0000_0000_0030
    let november = CivilDate(year: 2026, month: 11, day: 1)!

    @Test func duplicateIsCountedOnce() {
        var bus = Bus(Town.busA1)
        let original = bus.benefit(card, at: Town.morning)
        let copy = bus.benefit(card, at: Town.morning)
        let report = reconcile(Town.input([bus]))
        #expect(report.compensation == 1500)
        #expect(report.excluded.map(\.entry) == [copy])
        #expect(report.excluded.map(\.reason) == [.duplicate])
        let duplicates = report.exceptions(.duplicate)
        #expect(duplicates.count == 1 && duplicates[0].entries == [original, copy] && duplicates[0].evidence == [.sameRide(original)])
        #expect(duplicates[0].amountAtStakeKopecks == 1500)
        #expect(report.cards.all.rides == 1)
    }

    @Test func cardOnTwoVehiclesTooSoon() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        let first = a1.benefit(card, at: Town.morning)
        let second = b1.benefit(card, at: Town.morning + 20, fullFare: 2000, route: 2)
        let report = reconcile(Town.input([a1, b1]))
        let clones = report.exceptions(.cloneTwoVehicles)
        #expect(clones.count == 1)
        #expect(clones[0].entries == [first, second] && clones[0].card == card && clones[0].device == Town.busB1)
        #expect(clones[0].evidence == [.twoVehicles(first: Town.vehicle(of: Town.busA1), second: Town.vehicle(of: Town.busB1), seconds: 20)])
        // Both rides are still compensated: which one is the copy is not known.
        #expect(report.lines.map(\.rides).reduce(0, +) == 2)
    }

    @Test func travelTimeAllowsIt() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        a1.benefit(card, at: Town.morning)
        b1.benefit(card, at: Town.morning + 5 * minute, fullFare: 2000, route: 2)
        #expect(reconcile(Town.input([a1, b1])).exceptions(.cloneTwoVehicles).isEmpty)
    }

    @Test func purseRoseWithoutCredit() {
        var bus = Bus(Town.busA1)
        let first = bus.tap(card, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 8500)
        let second = bus.tap(card, counter: 2, at: Town.morning + hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 8500)
        let report = reconcile(Town.input([bus]))
        let rises = report.exceptions(.clonePurseRose)
        #expect(rises.count == 1)
        #expect(rises[0].amountAtStakeKopecks == 1500)
        #expect(rises[0].evidence == [.purseBalance(previousAfterKopecks: 8500, debitKopecks: 1500, balanceAfterKopecks: 8500, creditsKopecks: 0)])
        // The purse debits, not the pending entries, are what the entries name.
        #expect(rises[0].entries.count == 2 && rises[0].entries.allSatisfy { $0 != first && $0 != second })
    }

    @Test func deskCreditExplainsARise() {
        var bus = Bus(Town.busA1)
        bus.tap(card, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 500)
        bus.tap(card, counter: 2, at: Town.morning + 2 * hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 9000)
        var reference = Town.reference()
        reference.purseCredits = [PurseCredit(card: card, amountKopecks: 10_000, creditedAt: Town.morning + hour, source: "import", reference: "Q-17")]
        #expect(reconcile(Town.input([bus], reference: reference)).exceptions(.clonePurseRose).isEmpty)
    }

    @Test func rideAfterDenyListing() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        let after = bus.benefit(card, at: Town.morning + 2 * hour)
        var reference = Town.reference()
        reference.denyListings = [
            DenyListing(card: card, reason: "stolen", reportedAt: Town.morning - day, effectiveAt: Town.morning + hour, bundleVersion: 4),
            // Reported but never carried by a bundle: validators could not refuse it.
            DenyListing(card: 0x77, reason: "lost", reportedAt: Town.morning - day, effectiveAt: nil, bundleVersion: nil),
        ]
        let report = reconcile(Town.input([bus], reference: reference))
        #expect(report.compensation == 1500)
        #expect(report.excluded.map(\.reason) == [.denyListed])
        let denied = report.exceptions(.rideAfterDenyListing)
        #expect(denied.count == 1 && denied[0].entries == [after])
        #expect(denied[0].evidence == [.denyListing(reason: "stolen", effectiveAt: Town.morning + hour)])
    }

    /// Two rides a day: the third of 1 November is over the limit; 2 November starts again.
    @Test func overTheRideLimit() {
        var reference = Town.reference()
        reference.entitlements = [
            IssuedEntitlement(
                card: card, entitlement: 1, category: 1, product: .rides, rideLimit: 2, ridePeriod: .day, validFrom: november,
                validUntil: november.adding(days: 365))
        ]
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour)
        let third = bus.benefit(card, at: Town.morning + 2 * hour)
        bus.benefit(card, at: Town.morning + day)
        let report = reconcile(Town.input([bus], reference: reference))
        #expect(report.compensation == 3 * 1500)
        #expect(report.excluded.map(\.entry) == [third] && report.excluded.map(\.reason) == [.overRideLimit])
        let over = report.exceptions(.overRideLimit)
        #expect(over.count == 1 && over[0].entries == [third])
        #expect(over[0].evidence == [.rideLimit(entitlement: 1, limit: 2, periodStart: november, rideNumber: 3)])
    }

    /// A weekly limit counts across the month boundary: rides in the last October days (the
    /// context before the period) count towards the week.
    @Test func weeklyLimitCountsContextBeforeThePeriod() {
        var reference = Town.reference()
        reference.entitlements = [
            IssuedEntitlement(
                card: card, entitlement: 1, category: 1, product: .rides, rideLimit: 1, ridePeriod: .week, validFrom: november.adding(days: -30),
                validUntil: november.adding(days: 365))
        ]
        var bus = Bus(Town.busA1)
        // 1 November 2026 is a Sunday; the ISO week began on Monday 26 October.
        bus.benefit(card, at: Town.morning - 2 * day)
        let november1 = bus.benefit(card, at: Town.morning)
        let report = reconcile(Town.input([bus], reference: reference))
        #expect(report.excluded.map(\.entry) == [november1])
        #expect(report.exceptions(.overRideLimit).first?.evidence == [.rideLimit(entitlement: 1, limit: 1, periodStart: CivilDate(year: 2026, month: 10, day: 26)!, rideNumber: 2)])
    }

    @Test func afterExpiryAndNotIssued() {
        var reference = Town.reference()
        reference.entitlements = [
            IssuedEntitlement(card: card, entitlement: 1, category: 1, product: .free, validFrom: november.adding(days: -300), validUntil: november)
        ]
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)  // 1 November: the last valid day
        let expired = bus.benefit(card, at: Town.morning + day)
        let stranger = bus.benefit(0x55, at: Town.morning + day)
        let report = reconcile(Town.input([bus], reference: reference))
        #expect(report.compensation == 1500)
        #expect(Dictionary(uniqueKeysWithValues: report.excluded.map { ($0.entry, $0.reason) }) == [expired: .entitlementExpired, stranger: .entitlementNotIssued])
        let invalid = report.exceptions(.entitlementNotValid)
        #expect(invalid.count == 2)
        #expect(invalid.first { $0.card == card }?.evidence == [
            .entitlementValidity(entitlement: 1, validFrom: november.adding(days: -300), validUntil: november, rideDate: november.adding(days: 1))
        ])
    }

    @Test func cardStatistics() {
        var bus = Bus(Town.busA1)
        for index in 0..<3 { bus.benefit(card, at: Town.morning + Int64(index) * hour) }
        bus.benefit(0x41, at: Town.morning, category: 2)
        bus.paidRide(0x42, at: Town.morning)
        let stats = reconcile(Town.input([bus])).cards
        #expect(stats.all.activeCards == 3 && stats.all.rides == 5)
        #expect(stats.all.averageRidesPerCardHundredths == 167)
        #expect(stats.all.distribution.map(\.cards) == [2, 0, 1, 0, 0, 0, 0, 0])
        #expect(stats.byCategory.map(\.category) == [1, 2, nil])
        #expect(stats.byCategory.map(\.rides) == [3, 1, 1])
        #expect(stats.byCategory[0].averageRidesPerCardHundredths == 300)
    }
}
