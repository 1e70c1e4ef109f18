import CardLayout
import Entitlements
import Identifiers
import SocialCard
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
}
