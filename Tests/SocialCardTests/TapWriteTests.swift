import CardLayout
import Crypto
import Entitlements
import Identifiers
import PropertyTesting
import SocialCard
import Tariff
import Testing

@Suite("A tap's writes: the trip record, counter and status a validator puts on the card")
struct TapWriteTests {
    static let layout = Fixtures.layout

    static func ride(fare: Int, fullFare: Int = 1_500, category: CategoryCode? = 9, kind: TripKind = .ride) -> TripRecord {
        TripRecord(
            time: Fixtures.now, deviceID: 7001, vehicleID: VehicleID(0x1_2345), route: 12, zone: 1, entitlementID: category == nil ? nil : 3,
            category: category, fareKopecks: fare, fullFareKopecks: fullFare, kind: kind)
    }

    @Test("the trip record's bytes, field by field as the layout places them")
    func tripBytes() throws {
        let record = Self.layout.tripLogRecord(for: Self.ride(fare: 750), sequence: 5, slot: 0)
        // time (s since 2000) | device 7001 | sequence 5 | route 12 | vehicle, low 16 bits | fare 750 | category 9 |
        // slot 0 | kind entry | flags: benefit ride, discounted, purse used, offline | zone 1 | padding
        #expect(try Self.layout.encode(record) == hex("329ED040" + "00001B59" + "0005" + "000C" + "2345" + "0002EE" + "0009" + "00" + "01" + "0F" + "01" + "00"))
    }

    @Test(
        "what the flags and kind say about a ride",
        arguments: [
            (750, CategoryCode?(9), TripKind.ride, Set(["benefitRide", "discounted", "purseUsed", "offlineDecision"]), "entry"),
            (0, 9, .ride, ["benefitRide", "offlineDecision"], "entry"),
            (1_500, nil, .ride, ["purseUsed", "offlineDecision"], "entry"),
            (1_500, 9, .ride, ["purseUsed", "offlineDecision"], "entry"),
            (500, nil, .transfer, ["purseUsed", "offlineDecision"], "transfer"),
        ] as [(Int, CategoryCode?, TripKind, Set<String>, String)])
    func flags(fare: Int, category: CategoryCode?, kind: TripKind, flags: Set<String>, kindName: String) throws {
        let record = Self.layout.tripLogRecord(for: Self.ride(fare: fare, category: category, kind: kind), sequence: 1, slot: nil)
        #expect(record.flags == flags)
        #expect(record.kind == kindName)
        #expect(record.entitlementSlot == nil)
        // And the record reads back as written.
        #expect(try Self.layout.decodeTrips([try Self.layout.encode(record)]) == [record])
    }

    @Test("a usage counter and the blocked status: their bytes, and they read back as written")
    func counterAndStatus() throws {
        let counter = UsageCounterRecord(entitlementID: 3, periodStart: CivilDate(year: 2026, month: 11, day: 1)!, ridesUsed: 4)
        let counterBytes = try Self.layout.encode(counter)
        #expect(counterBytes == hex("00000003" + "2649" + "0004"))
        #expect(Self.layout.counterOffset(slot: 2) == 16)
        #expect(try Self.layout.decodeCounters(counterBytes) == [counter])

        let status = CardStatus(isBlocked: true, blockedOn: Fixtures.today, blockReason: "denyList")
        let statusBytes = try Self.layout.encode(status)
        #expect(statusBytes == hex("01" + "2665" + "01"))
        #expect(try Self.layout.decodeStatus(statusBytes) == status)
    }

    @Test("what a card cannot hold is refused by name, not written wrong")
    func refusals() {
        let before2000 = CivilDate(year: 1999, month: 12, day: 31)!
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try Self.layout.encode(UsageCounterRecord(entitlementID: 1, periodStart: before2000, ridesUsed: 1))
        }
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try Self.layout.encode(CardStatus(isBlocked: true, blockedOn: before2000, blockReason: "denyList"))
        }
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try Self.layout.encode(UsageCounterRecord(entitlementID: 1, periodStart: Fixtures.today, ridesUsed: 70_000))
        }
    }
}

@Suite("Card keyring from key files listed one by one")
struct KeyringFromKeyFilesTests {
    @Test("keys group into one set per version; only the roles kept are held; the result derives the same keys")
    func grouping() throws {
        var generator = SeededGenerator(seed: 3)
        func randomKey() -> SymmetricKey { SymmetricKey(data: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        var files: [(role: CardMasterRole, version: UInt8, key: SymmetricKey)] = []
        var byVersion: [UInt8: [CardMasterRole: SymmetricKey]] = [:]
        for version: UInt8 in [2, 1] {
            for role in CardMasterRole.allCases {
                let key = randomKey()
                files.append((role: role, version: version, key: key))
                byVersion[version, default: [:]][role] = key
            }
        }
        let listed = try CardKeyring(community: "nemishaieve", masterKeys: files)
        let bySet = try CardKeyring(community: "nemishaieve", sets: byVersion.map { try CardMasterKeySet(version: $0.key, keys: $0.value) })
        #expect(listed.sets.keys.sorted() == [1, 2])
        let uid: [UInt8] = [0x04, 9, 8, 7, 6, 5, 4]
        for version: UInt8 in [1, 2] {
            let a = try listed.cardKeys(uid: uid, application: Fixtures.layout.applicationID, version: version)
            let b = try bySet.cardKeys(uid: uid, application: Fixtures.layout.applicationID, version: version)
            for role in CardMasterRole.allCases { #expect(try a.key(role) == b.key(role)) }
        }

        let validator = try CardKeyring(community: "nemishaieve", masterKeys: files, keeping: [.read, .validate])
        #expect(validator.sets[1]?.roles == [.read, .validate] && validator.sets[2]?.roles == [.read, .validate])
        #expect(throws: SocialCardError(.missingKey, "")) {
            try validator.cardKeys(uid: uid, application: Fixtures.layout.applicationID, version: 1).applicationKey(.issue)
        }
        #expect(throws: SocialCardError(.missingKey, "")) { try CardKeyring(community: "nemishaieve", masterKeys: []) }
        #expect(throws: SocialCardError(.invalidRequest, "")) {
            try CardKeyring(community: "nemishaieve", masterKeys: [(role: .read, version: 0, key: randomKey())])
        }
    }
}
