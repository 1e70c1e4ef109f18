import Entitlements
import Identifiers
import PCSC
import SocialCard
import Tariff
import TestBedSupport
import Testing

@Suite("A validator's session with a social card through pcscd", .serialized)
struct SessionEndToEndTests {
    @Test("read, stage a counted ride with a debit, commit: the card holds it, and the session counted every APDU")
    func countedRide() async throws {
        let community = try Fixtures.Community()
        let serial = CardSerial(0x3000)
        let plan = try community.plan(serial: serial, products: [.rides(count: 2, per: .day)], purse: 1_000)
        let card = try BlankCard(uid: [0x04, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            let entitlement = plan.request.entitlements[0]
            let ride = TripRecord(
                time: Fixtures.now, deviceID: 7001, vehicleID: 5, route: 12, zone: 1, entitlementID: entitlement.id,
                category: entitlement.category, fareKopecks: 200, fullFareKopecks: 1_500, kind: .ride)
            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let apdus = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: CountingChannel(base: channel, counter: counter), layouts: [Fixtures.layout], keyring: validatorRing)
                let read = try await session.read(using: &generator)
                #expect(read.info.serial == serial)
                #expect(session.layout == Fixtures.layout)
                try await session.stage(
                    SocialCardWrite(
                        counter: .init(slot: 0, counter: UsageCounter(entitlementID: entitlement.id, periodStart: Fixtures.today, rides: 1)),
                        purseDebitKopecks: 200, trip: .init(ride: ride, sequence: 1, slot: 0)),
                    using: &generator)
                try await session.commit()
                return session.apduCount
            }
            #expect(apdus == counter.count)
            // Read 12; then in the read's session (no second authentication): counter 1, debit 1,
            // trip 1, commit 1.
            #expect(apdus == 16)

            let after = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: Fixtures.layout, keyring: try community.keyring()).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
            #expect(after.purseKopecks == 800)
            #expect(after.counters == [UsageCounterRecord(entitlementID: entitlement.id, periodStart: Fixtures.today, ridesUsed: 1)])
            #expect(after.trips.map(\.kind) == ["issued", "entry"])
            #expect(after.trips.last == Fixtures.layout.tripLogRecord(for: ride, sequence: 1, slot: 0))
            #expect(after.cardState.recentTrips.map(\.fareKopecks) == [200])
        }
    }

    @Test("a deny-listed card is blocked on the day; a write staged but not committed leaves the card as it was")
    func blockAndRollBack() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x3001, products: [.free], purse: 500)
        let card = try BlankCard(uid: [0x04, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            // Staged, never committed: the card drops it when the session ends.
            try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layout], keyring: validatorRing)
                _ = try await session.read(using: &generator)
                try await session.stage(SocialCardWrite(purseDebitKopecks: 500, blockedOn: Fixtures.today), using: &generator)
            }
            let untouched = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layout], keyring: validatorRing)
                return try await session.read(using: &generator)
            }
            #expect(untouched.purseKopecks == 500 && !untouched.status.isBlocked)

            try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layout], keyring: validatorRing)
                _ = try await session.read(using: &generator)
                try await session.stage(SocialCardWrite(blockedOn: Fixtures.today), using: &generator)
                try await session.commit()
            }
            let blocked = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layout], keyring: validatorRing)
                return try await session.read(using: &generator)
            }
            #expect(blocked.status == CardStatus(isBlocked: true, blockedOn: Fixtures.today, blockReason: "denyList"))
            #expect(blocked.cardState.isBlocked)
        }
    }

    @Test("a write before a read is refused; no layout at all is named")
    func misuse() async throws {
        let community = try Fixtures.Community()
        var generator = SystemRandomNumberGenerator()
        let card = try BlankCard(uid: [0x04, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56])
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layout], keyring: try community.keyring())
                await #expect(throws: SocialCardError(.invalidRequest, "")) {
                    try await session.stage(SocialCardWrite(purseDebitKopecks: 1), using: &generator)
                }
                #expect(session.apduCount == 0)
                var empty = SocialCardSession(channel: channel, layouts: [], keyring: try community.keyring())
                await #expect(throws: SocialCardError(.layoutUnsupported, "")) { try await empty.read(using: &generator) }
            }
        }
    }
}
