import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Tariff
import Testing

@testable import Reconciliation

/// Each rule's function alone, on hand-made values.
@Suite struct RuleUnitTests {
    let card: CardSerial = 0x00AA_0000_0000_0060
    let nov1 = CivilDate(year: 2026, month: 11, day: 1)!

    func ride(
        _ sequence: UInt64, at time: UnixTime, vehicle: VehicleID = 1, device: DeviceID = 1, benefit: Bool = true, fare: Int64 = 0,
        route: RouteNumber = 1, entitlement: EntitlementID? = 1
    ) -> Ride {
        Ride(
            reference: EntryReference(device: device, sequence: sequence), card: card, time: time, receivedAt: nil, isBenefit: benefit,
            entitlement: entitlement, category: 1, fare: fare, recordedFullFare: 1500, route: route, vehicle: vehicle, pendingSequence: nil,
            resolvedFromLaterTaps: false)
    }

    @Test func tariffSchedule() {
        var second = Town.tariff
        second.version = 2
        let schedule = TariffSchedule([
            TariffVersion(period: TariffPeriod(version: 2, effectiveFrom: UnixTime(200)), tariff: second),
            TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: UnixTime(100)), tariff: Town.tariff),
        ])
        #expect(schedule.version(at: UnixTime(99)) == nil)
        #expect(schedule.version(at: UnixTime(100))?.period.version == 1)
        #expect(schedule.version(at: UnixTime(199))?.period.version == 1)
        #expect(schedule.version(at: UnixTime(200))?.period.version == 2)
    }

    @Test func fareBasesWalkTheCardsRides() {
        let schedule = TariffSchedule([TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: UnixTime(0)), tariff: Town.tariff)])
        let t = Town.morning
        let bases = fareBases(
            ofCardRides: [
                ride(1, at: t, vehicle: 1),
                ride(2, at: t + 59 * minute + 59, vehicle: 2),  // 3599 s after: a transfer
                ride(3, at: t + 2 * hour, vehicle: 3),  // 2 h after the first, 1 h after the second: not
                ride(4, at: t + 2 * hour + 3600, vehicle: 4),  // exactly the window: not a transfer
                ride(5, at: t + 3 * hour + 10, vehicle: 4, route: 2),  // same vehicle: not
            ], schedule: schedule)
        #expect(bases.map { $0?.isTransfer } == [false, true, false, false, false])
        #expect(bases.map { $0?.referenceFare } == [1500, 750, 1500, 1500, 2000])
        #expect(bases.allSatisfy { $0?.tariffVersion == 1 })
        #expect(fareBases(ofCardRides: [ride(1, at: t)], schedule: TariffSchedule([])) == [nil])
    }

    @Test func duplicatesKeepTheLowestEntry() {
        let t = Town.morning
        let (originals, duplicates) = separateDuplicates([ride(5, at: t, device: 2), ride(3, at: t, device: 2), ride(4, at: t, device: 2, fare: 100)])
        #expect(originals.map(\.reference.sequence) == [3, 4])
        #expect(duplicates.map(\.duplicate.reference.sequence) == [5])
        #expect(duplicates.map(\.original.reference.sequence) == [3])
    }

    @Test func denyListingInEffect() {
        let listings = [
            DenyListing(card: card, reason: "lost", reportedAt: UnixTime(0), effectiveAt: UnixTime(300), bundleVersion: 2),
            DenyListing(card: card, reason: "stolen", reportedAt: UnixTime(0), effectiveAt: UnixTime(200), bundleVersion: 1),
            DenyListing(card: card, reason: "fraud", reportedAt: UnixTime(0), effectiveAt: nil, bundleVersion: nil),
        ]
        #expect(denyListing(for: card, at: UnixTime(199), in: listings) == nil)
        #expect(denyListing(for: card, at: UnixTime(200), in: listings)?.reason == "stolen")
        #expect(denyListing(for: card, at: UnixTime(400), in: listings)?.reason == "stolen")
        #expect(denyListing(for: 0x1, at: UnixTime(400), in: listings) == nil)
    }

    @Test func entitlementCheck() {
        let terms = IssuedEntitlement(card: card, entitlement: 1, category: 1, product: .free, validFrom: nov1, validUntil: nov1.adding(days: 9))
        #expect(checkEntitlement(card: card, entitlement: 1, category: 1, on: nov1, issued: [terms]) == .valid(terms))
        #expect(checkEntitlement(card: card, entitlement: 1, category: 1, on: nov1.adding(days: 9), issued: [terms]) == .valid(terms))
        #expect(checkEntitlement(card: card, entitlement: 1, category: 1, on: nov1.adding(days: 10), issued: [terms]) == .outsideDates(terms))
        #expect(checkEntitlement(card: card, entitlement: 1, category: 1, on: nov1.adding(days: -1), issued: [terms]) == .outsideDates(terms))
        #expect(checkEntitlement(card: card, entitlement: 1, category: 2, on: nov1, issued: [terms]) == .notIssued)
        #expect(checkEntitlement(card: card, entitlement: 2, category: 1, on: nov1, issued: [terms]) == .notIssued)
        #expect(checkEntitlement(card: card, entitlement: nil, category: 1, on: nov1, issued: [terms]) == .notIssued)
    }

    @Test func monthlyLimitRestartsWithTheMonth() {
        let terms = IssuedEntitlement(
            card: card, entitlement: 1, category: 1, product: .rides, rideLimit: 1, ridePeriod: .month, validFrom: nov1.adding(days: -60),
            validUntil: nov1.adding(days: 60))
        let rides = [(nov1.adding(days: -1), 1), (nov1.adding(days: -1), 2), (nov1, 3), (nov1.adding(days: 29), 4)].map { date, sequence in
            (ride: ride(UInt64(sequence), at: UnixTime(Int64(sequence))), date: date, basis: FareBasis?.none)
        }
        let breaches = rideLimitBreaches(card: card, rides: rides, issued: [terms])
        #expect(breaches.map(\.ride.sequence) == [2, 4])
        #expect(breaches.map(\.periodStart) == [CivilDate(year: 2026, month: 10, day: 1)!, nov1])
        #expect(breaches.map(\.rideNumber) == [2, 2])
    }

    @Test func tripNumberGapsAndTheirDevice() {
        func tap(_ device: DeviceID, _ counter: UInt16, _ time: Int64) -> CardTap {
            CardTap(reference: EntryReference(device: device, sequence: UInt64(time)), stamp: TripStamp(device: device, cardSequence: counter, time: UnixTime(time)))
        }
        let gaps = tripNumberGaps([card: [tap(1, 65534, 10), tap(2, 1, 20), tap(2, 1, 30), tap(3, 2, 40), tap(3, 0, 50)]])
        // 65534 → 1 skips 65535 and 0 (wrapping); 1 → 1 is a reuse; 1 → 2 is next; 2 → 0 goes back (a
        // different card history, not a gap).
        #expect(gaps.map(\.firstMissing) == [65535])
        #expect(gaps.map(\.missingCount) == [2])
        let heads: [DeviceID: HeadView] = [
            1: HeadView(head: .genesis(for: 1), time: UnixTime(15)),
            2: HeadView(head: .genesis(for: 2), time: UnixTime(100)),
            4: HeadView(head: .genesis(for: 4), time: UnixTime(5)),
        ]
        #expect(attributeTripGap(gaps[0], heads: heads) == 1)
        var later = heads
        later[1] = HeadView(head: .genesis(for: 1), time: UnixTime(100))
        #expect(attributeTripGap(gaps[0], heads: later) == 4)
        later[5] = HeadView(head: .genesis(for: 5), time: UnixTime(1))
        #expect(attributeTripGap(gaps[0], heads: later) == nil)
    }

    @Test func twoVehiclesAndPurses() {
        let t = Town.morning
        let taps = twoVehicleTaps(ofCardRides: [ride(1, at: t, vehicle: 1), ride(2, at: t + 30, vehicle: 2), ride(3, at: t + 40, vehicle: 2)], minimumTravelSeconds: 60)
        #expect(taps.map(\.second.reference.sequence) == [2])
        #expect(taps.map(\.seconds) == [30])

        func debit(_ sequence: UInt64, _ time: Int64, _ amount: Int64, _ after: Int64) -> PurseMovement {
            PurseMovement(reference: EntryReference(device: 1, sequence: sequence), card: card, time: UnixTime(time), amount: amount, balanceAfter: after)
        }
        let credit = PurseCredit(card: card, amountKopecks: 1000, creditedAt: UnixTime(25), source: "import", reference: "1")
        let rises = purseRises(ofCardMovements: [debit(1, 10, 100, 900), debit(2, 20, 100, 800), debit(3, 30, 100, 1700), debit(4, 40, 100, 1650)], credits: [credit])
        #expect(rises.map(\.current.reference.sequence) == [4])
        #expect(rises.map(\.excess) == [50])
        #expect(rises.map(\.credits) == [0])
    }

    @Test func cardUsageBuckets() {
        let usage = cardUsage(category: 2, ridesPerCard: [1: 1, 2: 2, 3: 5, 4: 6, 5: 61, 6: 200])
        #expect(usage.activeCards == 6 && usage.rides == 275)
        #expect(usage.averageRidesPerCardHundredths == 4583)
        #expect(usage.distribution.map(\.cards) == [1, 1, 1, 1, 0, 0, 0, 2])
        #expect(cardUsage(category: nil, ridesPerCard: [:]).averageRidesPerCardHundredths == 0)
    }

    @Test func variancesJoinBothSides() {
        let line = CompensationLine(
            carrier: 1, route: 1, category: 1, date: nov1, tariffVersion: 1, rides: 2, fullFareKopecks: 3000, recordedFullFareKopecks: 3000,
            paidKopecks: 0, compensationKopecks: 3000, entries: [])
        var second = line
        second.tariffVersion = 2
        second.rides = 1
        second.compensationKopecks = 1800
        let claims = [
            ClaimLine(carrier: 1, route: 1, date: nov1, category: 1, rides: 2, amountKopecks: 3000, sourceLine: 5),
            ClaimLine(carrier: 1, route: 1, date: nov1, category: 1, rides: 1, amountKopecks: 1800, sourceLine: 2),
        ]
        let variances = claimVariances(ours: [line, second], claims: claims, excluded: [])
        #expect(variances.count == 1)
        #expect(variances[0].ourRides == 3 && variances[0].claimedRides == 3 && variances[0].amountDifferenceKopecks == 0)
        #expect(variances[0].claimLines == [2, 5])
    }

    @Test func mergingOneDevicesParts() {
        var bus = Bus(Town.busA1)
        bus.benefit(card, at: Town.morning)
        bus.benefit(card, at: Town.morning + hour)
        var early = bus.ledger
        early.entries = Array(bus.entries.prefix(1))
        early.heldHead = ChainHead(after: bus.entries[0].entry)
        early.receiptSequence = 1
        let late = bus.ledger
        let merged = mergedByDevice([late, early])
        #expect(merged.count == 1)
        #expect(merged[0].heldHead == bus.head && merged[0].receiptSequence == 2)
        #expect(merged[0].entries.count == 3)
        #expect(distinctEntries(merged).count == 2)
    }
}
