import CardLayout
import Entitlements
import Identifiers
import PCSC
import SocialCard
import Tariff
import TestBedSupport
import Testing

/// Layout v3 is v2 with card info and the entitlement slots in one file and compact signed
/// entitlements in the slots: card info and the first slot are one ReadData of two frames. The
/// rides share `LayoutV2Tests.ride` (one card each, through pcscd, every APDU counted).
@Suite("Layout v3: card info and the first slot in one read", .serialized)
struct LayoutV3Tests {
    @Test("v3 keeps its state in trip records, reads the first slot with card info, stores compact entitlements; v1 and v2 do neither")
    func shape() throws {
        let v3 = Fixtures.layoutV3
        #expect(v3.keepsStateInTripRecords && v3.readsFirstSlotWithCardInfo && v3.entitlementEncoding == .compact)
        for older in [Fixtures.layout, Fixtures.layoutV2] {
            #expect(!older.readsFirstSlotWithCardInfo && older.entitlementEncoding == .full)
        }
        #expect(v3.cardInfo.number == v3.entitlements.number && v3.cardInfo.offset == 0 && v3.entitlements.offset == 24)
        #expect(v3.pseudonymLength == 8 && v3.entitlementSlotSize == 84 && v3.entitlementSlotCount == 4)
        #expect(Set([Fixtures.layout.applicationID, Fixtures.layoutV2.applicationID, v3.applicationID]).count == 3)
    }

    @Test("a plan writes compact slots that read back on their card only; a format-1 entitlement does not fit a v3 slot")
    func slots() throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(
            serial: 0x6001, products: [.pass(from: Fixtures.today, through: Fixtures.today.adding(days: 200)), .rides(count: 40, per: .month)],
            purse: 300, layout: Fixtures.layoutV3)
        #expect(plan.cardInfoBytes.count == 24 && plan.entitlementBytes.count == 2 * 84)
        let info = try #require(try Fixtures.layoutV3.decodeCardInfo(plan.cardInfoBytes))
        for slot in 0..<2 {
            let bytes = Array(plan.entitlementBytes[slot * 84..<(slot + 1) * 84])
            #expect(try Fixtures.layoutV3.decodeSlot(bytes, info: info) == plan.request.entitlements[slot])
            // Without the card's binding a compact card-form slot does not decode.
            #expect(throws: SocialCardError.self) { try Fixtures.layoutV3.decodeSlot(bytes) }
        }
        let issuer = try community.issuerKey()
        let full = try plan.request.entitlements[0].terms.signed(with: issuer.privateKey)
        #expect(throws: SocialCardError(.invalidRequest, "")) { try Fixtures.layoutV3.encodeSlot(full) }
    }

    /// select 1, UID 1, authenticate 2, card info and slot 0 in one ReadData 2, newest record 1;
    /// (Debit 1); the record 1, commit 1.
    @Test("APDUs per ride on a v3 card: counted, free and pass 9, paid and discount 10, two entitlements 11")
    func rides() async throws {
        let pass = Product.pass(from: Fixtures.today, through: Fixtures.today.adding(days: 30))
        let cases: [(name: String, products: [Product], purse: Int32, debit: Int, counted: Bool, apdus: Int)] = [
            ("counted ride", [.rides(count: 2, per: .day)], 1_000, 0, true, 9),
            ("free ride", [.free], 300, 0, false, 9),
            ("pass", [pass], 300, 0, false, 9),
            ("paid ride, no entitlement", [], 2_000, 1_500, false, 10),
            ("discount", [.discount(percent: 50)], 2_000, 750, false, 10),
            // The second slot is a ReadData of its own (84 B: two frames).
            ("free ride with a second entitlement", [.free, .rides(count: 4, per: .week)], 300, 0, false, 11),
        ]
        for (index, ride) in cases.enumerated() {
            let (apdus, read, after, _) = try await LayoutV2Tests.ride(
                ride.products, purse: ride.purse, debit: ride.debit, counted: ride.counted, serial: CardSerial(0x6101 + UInt64(index)),
                uid: 0x61 + UInt8(index), layout: Fixtures.layoutV3)
            #expect(apdus == ride.apdus, "\(ride.name): \(apdus) APDUs")
            #expect(read.entitlements.count == ride.products.count && read.entitlements.allSatisfy { $0.encoding == .compact }, "\(ride.name)")
            let balance = Int(ride.purse) - ride.debit
            #expect(after.purseKopecks == balance && after.trips.last?.state?.balanceKopecks == balance, "\(ride.name)")
            #expect(after.trips.last?.state?.counterRides == (ride.counted ? 1 : 0), "\(ride.name)")
        }
    }

    @Test("a v2 card moves to v3 in one visit: entitlements re-signed compact, counter, balance and trips carried over")
    func upgradeFromV2() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x6201, products: [.rides(count: 10, per: .week), .free], purse: 4_000, layout: Fixtures.layoutV2)
        let card = try BlankCard(uid: [0x04, 0x62, 0x01, 0x33, 0x34, 0x35, 0x36])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV2], keyring: validatorRing)
                let read = try await session.read(using: &generator)
                let counted = plan.request.entitlements[0]
                let ride = TripRecord(
                    time: Fixtures.now, deviceID: 7001, vehicleID: 5, route: 12, zone: 1, entitlementID: counted.id,
                    category: counted.category, fareKopecks: 300, fullFareKopecks: 1_500, kind: .ride)
                try await session.stage(
                    SocialCardWrite(
                        counter: .init(slot: 0, counter: UsageCounter(entitlementID: counted.id, periodStart: Fixtures.today, rides: 1)),
                        purseDebitKopecks: 300, trip: .init(ride: ride, sequence: UInt16(read.trips.last!.sequence + 1), slot: 0)),
                    using: &generator)
                try await session.commit()
            }
            let v2 = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: Fixtures.layoutV2, keyring: try community.keyring()).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
            let report = try await reader.tap(card) { channel in
                try await LayoutUpgradeTests.upgrade(from: Fixtures.layoutV2, to: Fixtures.layoutV3, on: channel, community: community, using: &generator)
            }
            #expect(report?.steps.last == .deletedFormerApplication)
            let (v3, layout) = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV3, Fixtures.layoutV2, Fixtures.layout], keyring: validatorRing)
                return (try await session.read(using: &generator), session.layout)
            }
            #expect(layout == Fixtures.layoutV3)
            #expect(v3.info.serial == v2.info.serial && v3.info.holderPseudonym == Array(v2.info.holderPseudonym.prefix(8)))
            #expect(v3.purseKopecks == 3_700 && v3.counters[0] == v2.counters[0])
            #expect(v3.entitlements.map(\.terms.product) == v2.entitlements.map(\.terms.product))
            #expect(v3.entitlements.allSatisfy { $0.encoding == .compact && $0.layoutVersion == 3 })
            #expect(v3.trips.last?.sequence == v2.trips.last?.sequence && v3.trips.last?.state == v2.trips.last?.state)
            let trust = try community.trustStore()
            for entitlement in v3.entitlements {
                #expect(trust.verify(entitlement, for: v3.info.serial, layoutVersion: 3, categories: Fixtures.categories, now: Fixtures.now).verified != nil)
            }
        }
    }
}
