import CardLayout
import Entitlements
import Identifiers
import PCSC
import SocialCard
import Tariff
import TestBedSupport
import Testing

/// Layout v2 keeps the card's state (balance, counter, blocked flag) in every trip record: a
/// tap reads one record and writes one. These tests tap v2 cards through pcscd and count every
/// APDU, and check that a validator holding both layouts still reads a v1 card.
@Suite("Layout v2: the card's state in its trip records", .serialized)
struct LayoutV2Tests {
    @Test("v2 is a social card layout keeping its state in trip records, within the 2 KB budget; v1 is not")
    func shape() throws {
        #expect(Fixtures.layoutV2.keepsStateInTripRecords)
        #expect(!Fixtures.layout.keepsStateInTripRecords)
        #expect(Fixtures.layoutV2.usageCounters == nil && Fixtures.layoutV2.status == nil)
        #expect(Fixtures.layoutV2.counterCount == 1 && Fixtures.layoutV2.maximumCountedRides == 255)
        #expect(Fixtures.cardLayoutV2.memoryBudget.freeBytes >= 0)
        #expect(Fixtures.layoutV2.applicationID != Fixtures.layout.applicationID)
    }

    @Test("a plan refuses two counted entitlements and more rides a period than the record's counter holds")
    func planLimits() throws {
        let community = try Fixtures.Community()
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try community.plan(serial: 0x5001, products: [.rides(count: 2, per: .day), .rides(count: 40, per: .month)], layout: Fixtures.layoutV2)
        }
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try community.plan(serial: 0x5002, products: [.rides(count: 300, per: .month)], layout: Fixtures.layoutV2)
        }
        let plan = try community.plan(serial: 0x5003, products: [.pass(from: Fixtures.today, through: Fixtures.today.adding(days: 30)), .rides(count: 40, per: .month)], purse: 700, layout: Fixtures.layoutV2)
        let issued = try Fixtures.layoutV2.decodeTrips([plan.issuedRecordBytes])[0]
        #expect(issued.state == TripRecordState(balanceKopecks: 700, counterPeriodStart: CivilDate(year: 2000, month: 1, day: 1)!, counterRides: 0))
    }

    /// One ride on a fresh card of `layout` (v2 unless named) by a validator holding it first and
    /// the older layouts after: what was read, the APDUs, and the card as the desk sees it after.
    static func ride(
        _ products: [Product], purse: Int32, debit: Int, counted: Bool, serial: CardSerial, uid: UInt8,
        layout: SocialCardLayout = Fixtures.layoutV2
    ) async throws -> (apdus: Int, read: SocialCardContents, after: SocialCardContents, ride: TripRecord) {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: serial, products: products, purse: purse, layout: layout)
        let card = try BlankCard(uid: [0x04, uid, 0x32, 0x33, 0x34, 0x35, 0x36])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        return try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            let entitlement = plan.request.entitlements.first
            let ride = TripRecord(
                time: Fixtures.now, deviceID: 7001, vehicleID: 5, route: 12, zone: 1, entitlementID: entitlement?.id,
                category: entitlement?.category, fareKopecks: debit, fullFareKopecks: 1_500, kind: .ride)
            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let (apdus, read) = try await reader.tap(card) { channel in
                var session = SocialCardSession(
                    channel: CountingChannel(base: channel, counter: counter),
                    layouts: [layout] + [Fixtures.layoutV2, Fixtures.layout].filter { $0 != layout }, keyring: validatorRing)
                let read = try await session.read(using: &generator)
                #expect(session.layout == layout)
                let sequence = UInt16(read.trips.last!.sequence + 1)
                try await session.stage(
                    SocialCardWrite(
                        counter: counted ? .init(slot: 0, counter: UsageCounter(entitlementID: entitlement!.id, periodStart: Fixtures.today, rides: 1)) : nil,
                        purseDebitKopecks: debit, trip: .init(ride: ride, sequence: sequence, slot: entitlement == nil ? nil : 0)),
                    using: &generator)
                try await session.commit()
                return (session.apduCount, read)
            }
            #expect(apdus == counter.count)
            let after = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: layout, keyring: try community.keyring()).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
            return (apdus, read, after, ride)
        }
    }

    @Test("a counted ride: 10 APDUs; the newest record carries the counter and the balance")
    func countedRide() async throws {
        let (apdus, read, after, ride) = try await Self.ride([.rides(count: 2, per: .day)], purse: 1_000, debit: 0, counted: true, serial: 0x5101, uid: 0x51)
        // select 1, UID 1, authenticate 2, card info 1, one 104-byte slot 2, newest record 1;
        // the record 1, commit 1.
        #expect(apdus == 10)
        #expect(read.purseKopecks == 1_000)
        #expect(read.counters.count == 1 && read.counters[0].ridesUsed == 0)
        #expect(after.purseKopecks == 1_000)
        #expect(after.counters == [UsageCounterRecord(entitlementID: read.entitlements[0].id, periodStart: Fixtures.today, ridesUsed: 1)])
        #expect(after.trips.map(\.kind) == ["issued", "entry"])
        #expect(after.trips.last?.state == TripRecordState(balanceKopecks: 1_000, counterPeriodStart: Fixtures.today, counterRides: 1))
        #expect(after.cardState.recentTrips.map(\.time) == [ride.time])
    }

    @Test("a free ride or a pass: 10 APDUs, nothing counted or debited")
    func freeRide() async throws {
        for (index, product) in [Product.free, .pass(from: Fixtures.today, through: Fixtures.today.adding(days: 30))].enumerated() {
            let (apdus, _, after, _) = try await Self.ride([product], purse: 300, debit: 0, counted: false, serial: CardSerial(0x5201 + UInt64(index)), uid: 0x52 + UInt8(index))
            #expect(apdus == 10)
            #expect(after.purseKopecks == 300 && after.trips.last?.state?.balanceKopecks == 300)
        }
    }

    @Test("a paid ride from the purse, no entitlements: 9 APDUs; the debit and the record's balance agree")
    func paidRide() async throws {
        let (apdus, read, after, _) = try await Self.ride([], purse: 2_000, debit: 1_500, counted: false, serial: 0x5301, uid: 0x53)
        // select 1, UID 1, authenticate 2, card info 1, newest record 1; debit 1, the record 1, commit 1.
        #expect(apdus == 9)
        #expect(read.purseKopecks == 2_000)
        #expect(after.purseKopecks == 500)
        #expect(after.trips.last?.state?.balanceKopecks == 500)
        #expect(after.trips.last?.flags.contains("purseUsed") == true)
    }

    @Test("a discounted ride, an entitlement and a debit: 11 APDUs")
    func discountRide() async throws {
        let (apdus, _, after, _) = try await Self.ride([.discount(percent: 50)], purse: 2_000, debit: 750, counted: false, serial: 0x5401, uid: 0x54)
        #expect(apdus == 11)
        #expect(after.purseKopecks == 1_250 && after.trips.last?.state?.balanceKopecks == 1_250)
    }

    @Test("a block is a blocked record: the flag and the day travel in it, the balance is carried on, a staged block not committed leaves the card as it was")
    func block() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x5501, products: [.rides(count: 3, per: .month)], purse: 500, layout: Fixtures.layoutV2)
        let card = try BlankCard(uid: [0x04, 0x55, 0x42, 0x43, 0x44, 0x45, 0x46])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV2], keyring: validatorRing)
                _ = try await session.read(using: &generator)
                try await session.stage(SocialCardWrite(blockedOn: Fixtures.today), using: &generator)
            }
            let untouched = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV2], keyring: validatorRing)
                return try await session.read(using: &generator)
            }
            #expect(!untouched.status.isBlocked && untouched.trips.count == 1)
            try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV2], keyring: validatorRing)
                _ = try await session.read(using: &generator)
                try await session.stage(SocialCardWrite(blockedOn: Fixtures.today), using: &generator)
                try await session.commit()
            }
            let blocked = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV2], keyring: validatorRing)
                return try await session.read(using: &generator)
            }
            #expect(blocked.status == CardStatus(isBlocked: true, blockedOn: Fixtures.today, blockReason: "denyList"))
            #expect(blocked.cardState.isBlocked && blocked.purseKopecks == 500)
            #expect(blocked.trips.last?.kind == "blocked" && blocked.trips.last?.sequence == 1)
        }
    }

    @Test("a validator holding v2 and v1 reads a v1 card: one APDU more (the v2 select it refuses)")
    func v1CardOnAV2Validator() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x5601, products: [.rides(count: 2, per: .day)], purse: 1_000)
        let card = try BlankCard(uid: [0x04, 0x56, 0x42, 0x43, 0x44, 0x45, 0x46])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let (apdus, layout, read) = try await reader.tap(card) { channel in
                var session = SocialCardSession(
                    channel: CountingChannel(base: channel, counter: counter), layouts: [Fixtures.layoutV2, Fixtures.layout], keyring: validatorRing)
                let read = try await session.read(using: &generator)
                return (session.apduCount, session.layout, read)
            }
            #expect(layout == Fixtures.layout)
            #expect(read.info.serial == 0x5601 && read.purseKopecks == 1_000)
            #expect(apdus == counter.count)
            #expect(apdus == 13)
        }
    }
}
