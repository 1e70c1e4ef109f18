import Entitlements
import Identifiers
import PCSC
import SmartCard
import SocialCard
import Tariff
import TestBedSupport
import Testing

/// A v1 card moved to layout v2 or v3 in one visit (`LayoutUpgrade`), torn after every APDU and
/// run again: the card ends equal to a never-torn upgrade, with its balance, counter, entitlements
/// and trip log carried over, and in between it is always a usable card of one layout or the other.
/// Every tear runs against the card model in-process; the tears around the commit run through
/// pcscd and vpcd too.
@Suite("Upgrading a v1 card to layout v2 or v3", .serialized)
struct LayoutUpgradeTests {
    /// What the desk does: where the card stands, then the plan (entitlements re-signed for the
    /// new layout, in its encoding) and the run, or only the former application's deletion.
    static func upgrade(
        from former: SocialCardLayout = Fixtures.layout, to target: SocialCardLayout, on channel: some CardChannel, community: Fixtures.Community,
        using generator: inout some RandomNumberGenerator
    ) async throws -> PersonalizationReport? {
        let upgrade = LayoutUpgrade(from: former, to: target, keyring: try community.keyring())
        switch try await upgrade.progress(of: channel, using: &generator) {
        case .upgraded:
            return nil
        case .completeBesideFormer:
            return try await upgrade.run(nil, on: channel, using: &generator)
        case .former(let contents):
            let issuer = try community.issuerKey()
            let entitlements = try contents.entitlements.map { entitlement in
                var terms = entitlement.terms
                terms.layoutVersion = LayoutVersion(UInt16(target.layout.version))
                return try terms.signed(with: issuer.privateKey, encoding: target.entitlementEncoding)
            }
            let plan = try LayoutUpgradePlan(from: former, to: target, source: contents, entitlements: entitlements)
            return try await upgrade.run(plan, on: channel, using: &generator)
        }
    }

    @Test("torn after every APDU k (in-process; around the commit also through pcscd), the upgrade completes on the next run, equal to a never-torn one; nothing is lost",
          arguments: [2, 3])
    func tearAtEveryAPDU(version: Int) async throws {
        let target = version == 3 ? Fixtures.layoutV3 : Fixtures.layoutV2
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x7100, products: [.rides(count: 10, per: .week), .free], purse: 7_500)
        let card = try BlankCard(uid: [0x04, 0x71, UInt8(version), 0x33, 0x34, 0x35, 0x36])
        defer { card.remove() }
        var generator = SystemRandomNumberGenerator()
        let validatorRing = try community.keyring(roles: [.read, .validate])
        try await TestBed.shared.withReader { reader in
            _ = try await reader.tap(card) { channel in
                try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
            }
            // Two v1 rides: a counted one with a debit, then a free one.
            let counted = plan.request.entitlements[0]
            for (index, slot) in [0, 1].enumerated() {
                try await reader.tap(card) { channel in
                    var session = SocialCardSession(channel: channel, layouts: [Fixtures.layout], keyring: validatorRing)
                    let read = try await session.read(using: &generator)
                    let entitlement = plan.request.entitlements[slot]
                    let ride = TripRecord(
                        time: Fixtures.now.adding(seconds: Int64(600 * index)), deviceID: 7001, vehicleID: 5, route: 12, zone: 1,
                        entitlementID: entitlement.id, category: entitlement.category, fareKopecks: slot == 0 ? 200 : 0,
                        fullFareKopecks: 1_500, kind: .ride)
                    try await session.stage(
                        SocialCardWrite(
                            counter: slot == 0 ? .init(slot: 0, counter: UsageCounter(entitlementID: counted.id, periodStart: Fixtures.today, rides: 1)) : nil,
                            purseDebitKopecks: slot == 0 ? 200 : 0, trip: .init(ride: ride, sequence: UInt16(read.trips.last!.sequence + 1), slot: slot)),
                        using: &generator)
                    try await session.commit()
                }
            }
            let v1 = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: Fixtures.layout, keyring: try community.keyring()).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
            #expect(v1.purseKopecks == 7_300 && v1.trips.count == 3)
            let former = try card.image()

            let counter = CountingChannel<PCSCCardChannel>.Counter()
            let reference = try await reader.tap(card) { channel in
                try await Self.upgrade(to: target, on: CountingChannel(base: channel, counter: counter), community: community, using: &generator)
            }
            #expect(reference?.steps.last == .deletedFormerApplication)
            let upgradedImage = try card.image()
            let apdus = counter.count
            print("social-card: upgrade v1 -> v\(version) \(apdus) APDUs (with the desk's reads); torn and resumed at every one of them")

            // Everything carried over, read as the desk and as a validator holding both layouts.
            let v2 = try await reader.tap(card) { channel in
                try await SocialCardReader(layout: target, keyring: try community.keyring()).read(from: channel, purpose: .desk, trips: .all, using: &generator)
            }
            // v3 keeps the first 8 bytes of the 16-byte pseudonym.
            #expect(v2.info.serial == v1.info.serial && v2.info.holderPseudonym == Array(v1.info.holderPseudonym.prefix(target.pseudonymLength)))
            #expect(v2.info.issueDate == v1.info.issueDate && v2.info.expiryDate == v1.info.expiryDate && v2.info.layoutVersion == version)
            #expect(v2.purseKopecks == 7_300)
            #expect(v2.counters[0] == v1.counters[0])
            #expect(v2.entitlements.map(\.id) == v1.entitlements.map(\.id))
            #expect(v2.entitlements.map(\.terms.product) == v1.entitlements.map(\.terms.product))
            #expect(v2.entitlements.allSatisfy { $0.layoutVersion.rawValue == UInt16(version) && $0.encoding == target.entitlementEncoding })
            let identities = { (trips: [TripLogRecord]) in trips.map { [Int($0.deviceID), $0.sequence, Int($0.time.rawValue), $0.fareKopecks] } }
            #expect(identities(v2.trips) == identities(v1.trips))
            #expect(v2.trips.map(\.kind) == v1.trips.map(\.kind))
            #expect(v2.trips.last?.state == TripRecordState(balanceKopecks: 7_300, counterPeriodStart: Fixtures.today, counterRides: 1))
            let tapped = try await reader.tap(card) { channel in
                var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV3, Fixtures.layoutV2, Fixtures.layout], keyring: validatorRing)
                _ = try await session.read(using: &generator)
                return session.layout
            }
            #expect(tapped == target)
            // Run again on the upgraded card: nothing to do.
            let again = try await reader.tap(card) { channel in try await Self.upgrade(to: target, on: channel, community: community, using: &generator) }
            #expect(again == nil)
            #expect(try card.image() == upgradedImage)

            // Every tear in-process (`CardField.inProcess`); the tears around the first commit
            // again through pcscd and vpcd, with the same checks.
            func tearAndResume(after k: Int, on field: CardField) async throws {
                try card.restore(former)
                let torn = await #expect(throws: (any Error).self, "tear after \(k) (\(field))") {
                    try await field.tap(card, tearAfterAPDUs: k) { channel in
                        try await Self.upgrade(to: target, on: channel, community: community, using: &generator)
                    }
                }
                #expect(torn is CardError, "tear after \(k) (\(field)): \(String(describing: torn))")
                // Between the runs the card is one layout's card: the validator reads its purse,
                // by the same application whether it tries the newest layout first or the oldest.
                var readBy: [SocialCardLayout?] = []
                for layouts in [[Fixtures.layoutV3, Fixtures.layoutV2, Fixtures.layout], [Fixtures.layout, Fixtures.layoutV2, Fixtures.layoutV3]] {
                    let (between, layout) = try await field.tap(card) { channel in
                        var session = SocialCardSession(channel: channel, layouts: layouts, keyring: validatorRing)
                        return (try await session.read(using: &generator), session.layout)
                    }
                    #expect(between.purseKopecks == 7_300 && between.info.serial == v1.info.serial, "tear after \(k) (\(field))")
                    readBy.append(layout)
                }
                #expect(readBy[0] == readBy[1], "tear after \(k) (\(field)): newest first reads \(readBy[0]?.layout.id ?? "-"), oldest first \(readBy[1]?.layout.id ?? "-")")
                let resumed = try await field.tap(card) { channel in
                    try await Self.upgrade(to: target, on: channel, community: community, using: &generator)
                }
                #expect(resumed?.steps.last == .deletedFormerApplication, "tear after \(k) (\(field))")
                #expect(try card.image() == upgradedImage, "tear after \(k) (\(field))")
            }
            for k in 1..<apdus {
                try await tearAndResume(after: k, on: .inProcess)
            }
            let throughPCSC = tearsThroughPCSC(counter.commands)
            for k in throughPCSC {
                try await tearAndResume(after: k, on: .testBed(reader))
            }
            print("social-card: upgrade v1 -> v\(version) torn in-process after each of 1..<\(apdus), through pcscd after \(throughPCSC)")
        }
    }
}
