import Entitlements
import Foundation
import Identifiers
import PCSC
import SmartCard
import SocialCard
import Tariff
import TestBedSupport
import Testing

/// The desk's actions on an issued card (`CardUpdate`) through pcscd and the virtual card: each
/// does what it says, a second run does nothing, and renew, top-up and replace are torn after
/// every APDU and run again, ending equal to a never-torn run with money moved exactly once
/// (every tear in-process, the tears around the commit through pcscd and vpcd too).
@Suite("Card lifecycle at the desk", .serialized)
struct CardLifecycleTests {
    static let deskDevice: UInt32 = 0xDE5C

    /// Issues `plan` onto a blank card and returns the card and its image.
    static func issued(_ plan: PersonalizationPlan, uid: [UInt8], community: Fixtures.Community, reader: TestReader) async throws -> BlankCard {
        let card = try BlankCard(uid: uid)
        var generator = SystemRandomNumberGenerator()
        _ = try await reader.tap(card) { channel in
            try await Personalization(plan: plan, keyring: try community.keyring()).run(on: channel, using: &generator)
        }
        return card
    }

    static func read(_ card: BlankCard, layout: SocialCardLayout, community: Fixtures.Community, reader: TestReader) async throws -> SocialCardContents {
        var generator = SystemRandomNumberGenerator()
        return try await reader.tap(card) { channel in
            try await SocialCardReader(layout: layout, keyring: try community.keyring()).read(from: channel, purpose: .desk, trips: .all, using: &generator)
        }
    }

    /// Runs `action` once through pcscd counting its APDUs, then for every k tears it after k
    /// APDUs from the same starting image, runs it again and expects the card equal to the
    /// never-torn result. Every k runs in-process (`CardField.inProcess`); the tears around the
    /// first commit (``tearsThroughPCSC(_:)``) run again through pcscd and vpcd with the same
    /// checks. `between` runs between the torn run and the resumed one, in the same field.
    /// Returns the APDU count.
    static func tearAtEveryAPDU(
        _ name: String, card: BlankCard, reader: TestReader,
        action: @escaping (any CardChannel) async throws -> Void,
        between: ((Int, CardField) async throws -> Void)? = nil
    ) async throws -> Int {
        let start = try card.image()
        let counter = CountingChannel<PCSCCardChannel>.Counter()
        try await reader.tap(card) { channel in try await action(CountingChannel(base: channel, counter: counter)) }
        let done = try card.image()
        let apdus = counter.count
        let clock = ContinuousClock.now
        func tearAndResume(after k: Int, on field: CardField) async throws {
            try card.restore(start)
            let torn = await #expect(throws: (any Error).self, "\(name): tear after \(k) (\(field))") {
                try await field.tap(card, tearAfterAPDUs: k) { channel in try await action(channel) }
            }
            #expect(torn is CardError, "\(name): tear after \(k) (\(field)): \(String(describing: torn))")
            try await between?(k, field)
            try await field.tap(card) { channel in try await action(channel) }
            #expect(try card.image() == done, "\(name): tear after \(k) (\(field))")
        }
        for k in 1..<apdus {
            try await tearAndResume(after: k, on: .inProcess)
        }
        let throughPCSC = tearsThroughPCSC(counter.commands)
        for k in throughPCSC {
            try await tearAndResume(after: k, on: .testBed(reader))
        }
        print("card-lifecycle: \(name) \(apdus) APDUs; torn and resumed at each in-process, at \(throughPCSC) also through pcscd, in \(ContinuousClock.now - clock)")
        return apdus
    }

    @Test("top-up (layout v2): one credit and one topUp record; torn at every APDU, the money moves exactly once")
    func topUpTornEverywhere() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x7200, products: [.rides(count: 10, per: .week)], purse: 1_000, layout: Fixtures.layoutV2)
        try await TestBed.shared.withReader { reader in
            let card = try await Self.issued(plan, uid: [0x04, 0x72, 0x00, 0x11, 0x22, 0x33, 0x44], community: community, reader: reader)
            defer { card.remove() }
            let update = CardUpdate(layout: Fixtures.layoutV2, keyring: try community.keyring())
            let topUp: (any CardChannel) async throws -> Void = { channel in
                var generator = SystemRandomNumberGenerator()
                _ = try await update.run(on: channel, expecting: 0x7200, using: &generator) { contents in
                    try CardUpdatePlan.topUp(
                        contents, layout: Fixtures.layoutV2, amountKopecks: 25_000, receipt: 70_001, at: Fixtures.now.adding(seconds: 60),
                        deskDevice: Self.deskDevice)
                }
            }
            let validatorRing = try community.keyring(roles: [.read, .validate])
            let apdus = try await Self.tearAtEveryAPDU("top-up v2", card: card, reader: reader, action: topUp) { k, field in
                // Between the runs a validator reads a card with either the old or the new balance, never more.
                var generator = SystemRandomNumberGenerator()
                let purse = try await field.tap(card) { channel in
                    var session = SocialCardSession(channel: channel, layouts: [Fixtures.layoutV2], keyring: validatorRing)
                    return try await session.read(using: &generator).purseKopecks
                }
                #expect(purse == 1_000 || purse == 26_000, "tear after \(k) (\(field)): \(purse)")
            }
            #expect(apdus > 0)
            let after = try await Self.read(card, layout: Fixtures.layoutV2, community: community, reader: reader)
            #expect(after.purseKopecks == 26_000)
            #expect(after.trips.count == 2)
            let record = try #require(after.trips.last)
            #expect(record.kind == "topUp" && CardUpdatePlan.receiptNumber(of: record) == 70_001 && record.fareKopecks == 25_000)
            #expect(record.state?.balanceKopecks == 26_000)
            // The same receipt again: nothing written. A new receipt: a second credit.
            var generator = SystemRandomNumberGenerator()
            let again = try await reader.tap(card) { channel in
                try await update.run(on: channel, using: &generator) { contents in
                    try CardUpdatePlan.topUp(contents, layout: Fixtures.layoutV2, amountKopecks: 25_000, receipt: 70_001, at: Fixtures.now, deskDevice: Self.deskDevice)
                }
            }
            #expect(again.wasAlreadyDone)
            let second = try await reader.tap(card) { channel in
                try await update.run(on: channel, using: &generator) { contents in
                    try CardUpdatePlan.topUp(contents, layout: Fixtures.layoutV2, amountKopecks: 500, receipt: 70_002, at: Fixtures.now, deskDevice: Self.deskDevice)
                }
            }
            #expect(second.plan.purseAfterKopecks == 26_500)
        }
    }

    @Test("renew (layout v1): entitlements re-signed with a new end, card validity extended; torn at every APDU, resumed equal")
    func renewTornEverywhere() async throws {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x7300, products: [.free, .rides(count: 20, per: .month)])
        let issuer = try community.issuerKey()
        let newEnd = Fixtures.today.adding(days: 730)
        let newExpiry = Fixtures.today.adding(days: 2500)
        try await TestBed.shared.withReader { reader in
            let card = try await Self.issued(plan, uid: [0x04, 0x73, 0x00, 0x11, 0x22, 0x33, 0x44], community: community, reader: reader)
            defer { card.remove() }
            let update = CardUpdate(layout: Fixtures.layout, keyring: try community.keyring())
            let renew: (any CardChannel) async throws -> Void = { channel in
                var generator = SystemRandomNumberGenerator()
                _ = try await update.run(on: channel, using: &generator) { contents in
                    let renewed = try contents.entitlements.map { entitlement in
                        var terms = entitlement.terms
                        terms.validUntil = newEnd
                        return try terms.signed(with: issuer.privateKey)
                    }
                    return try CardUpdatePlan.entitlements(contents, layout: Fixtures.layout, entitlements: renewed, expiryDate: newExpiry)
                }
            }
            _ = try await Self.tearAtEveryAPDU("renew v1 (two entitlements)", card: card, reader: reader, action: renew)
            let after = try await Self.read(card, layout: Fixtures.layout, community: community, reader: reader)
            #expect(after.info.expiryDate == newExpiry)
            #expect(after.entitlements.map(\.validUntil) == [newEnd, newEnd])
            #expect(after.info.holderPseudonym == plan.request.holderPseudonym)
            let trust = try community.trustStore()
            for entitlement in after.entitlements {
                #expect(trust.verify(entitlement, for: 0x7300, layoutVersion: 1, categories: Fixtures.categories, now: Fixtures.now).verified != nil)
            }
        }
    }

    @Test("add, end and block, on layouts v1 and v2: each does what it says and a second run writes nothing", arguments: [1, 2])
    func addEndBlock(version: Int) async throws {
        let layout = version == 1 ? Fixtures.layout : Fixtures.layoutV2
        let community = try Fixtures.Community()
        let serial = CardSerial(0x7400 + UInt64(version))
        let plan = try community.plan(serial: serial, products: [.rides(count: 5, per: .day)], purse: 300, layout: layout)
        let issuer = try community.issuerKey()
        let trust = try community.trustStore()
        try await TestBed.shared.withReader { reader in
            let card = try await Self.issued(plan, uid: [0x04, 0x74, UInt8(version), 0x11, 0x22, 0x33, 0x44], community: community, reader: reader)
            defer { card.remove() }
            let update = CardUpdate(layout: layout, keyring: try community.keyring())
            var generator = SystemRandomNumberGenerator()
            let added = try EntitlementTerms(
                id: 2, cardSerial: serial, layoutVersion: LayoutVersion(UInt16(version)), category: 1, product: .discount(percent: 50),
                validFrom: Fixtures.today, validUntil: Fixtures.today.adding(days: 90), issuerKeyID: issuer.keyID).signed(with: issuer.privateKey)
            for _ in 0..<2 {
                let report = try await reader.tap(card) { channel in
                    try await update.run(on: channel, using: &generator) { contents in
                        let kept = contents.entitlements
                        let all = kept.contains { $0.id == added.id } ? kept : kept + [added]
                        return try CardUpdatePlan.entitlements(contents, layout: layout, entitlements: all, expiryDate: nil)
                    }
                }
                #expect(report.plan.cardInfo.entitlementSlotsUsed == 2)
            }
            // End the first from tomorrow: valid today, refused tomorrow.
            let ended = try await reader.tap(card) { channel in
                try await update.run(on: channel, using: &generator) { contents in
                    var terms = contents.entitlements[0].terms
                    terms.validUntil = Fixtures.today
                    return try CardUpdatePlan.entitlements(
                        contents, layout: layout, entitlements: [try terms.signed(with: issuer.privateKey), contents.entitlements[1]], expiryDate: nil)
                }
            }
            #expect(ended.steps == [.wroteEntitlementSlot(0)])
            let mid = try await Self.read(card, layout: layout, community: community, reader: reader)
            #expect(trust.verify(mid.entitlements[0], for: serial, layoutVersion: LayoutVersion(UInt16(version)), categories: Fixtures.categories, now: Fixtures.now).verified != nil)
            #expect(trust.verify(mid.entitlements[0], for: serial, layoutVersion: LayoutVersion(UInt16(version)), categories: Fixtures.categories, now: Fixtures.now.adding(seconds: 86_400)).verified == nil)
            #expect(mid.entitlements[1] == added)
            // Block: the card's status says so, a validator refuses it, a second block writes nothing.
            for round in 0..<2 {
                let blocked = try await reader.tap(card) { channel in
                    try await update.run(on: channel, using: &generator) { contents in
                        try CardUpdatePlan.block(contents, layout: layout, on: Fixtures.today, reason: "lostOrStolen", at: Fixtures.now, deskDevice: Self.deskDevice)
                    }
                }
                #expect(blocked.wasAlreadyDone == (round == 1))
            }
            let after = try await Self.read(card, layout: layout, community: community, reader: reader)
            #expect(after.status.isBlocked && after.purseKopecks == 300)
            #expect(after.trips.last?.kind == "blocked")
            #expect(after.cardState.isBlocked)
            if version == 1 { #expect(after.status.blockReason == "lostOrStolen") }
            // A blocked card is not topped up.
            await #expect(throws: SocialCardError.self) {
                try await reader.tap(card) { channel in
                    try await update.run(on: channel, using: &generator) { contents in
                        try CardUpdatePlan.topUp(contents, layout: layout, amountKopecks: 100, receipt: 1, at: Fixtures.now, deskDevice: Self.deskDevice)
                    }
                }
            }
        }
    }

    @Test("replace (layout v2): the old card blocked, a new card with the entitlements re-issued and the balance moved; torn at every APDU")
    func replaceTornEverywhere() async throws {
        let community = try Fixtures.Community()
        let layout = Fixtures.layoutV2
        let oldPlan = try community.plan(serial: 0x7500, products: [.rides(count: 10, per: .week)], purse: 4_200, layout: layout)
        let issuer = try community.issuerKey()
        let keyring = try community.keyring()
        try await TestBed.shared.withReader { reader in
            let old = try await Self.issued(oldPlan, uid: [0x04, 0x75, 0x00, 0x11, 0x22, 0x33, 0x44], community: community, reader: reader)
            let new = try BlankCard(uid: [0x04, 0x75, 0x01, 0x11, 0x22, 0x33, 0x44])
            defer { old.remove(); new.remove() }
            let update = CardUpdate(layout: layout, keyring: keyring)
            // Step 1, the old card: read and block (restartable on its own; the read is the source).
            let blockOld: (any CardChannel) async throws -> Void = { channel in
                var generator = SystemRandomNumberGenerator()
                _ = try await update.run(on: channel, expecting: 0x7500, using: &generator) { contents in
                    try CardUpdatePlan.block(contents, layout: layout, on: Fixtures.today, reason: "holderRequest", at: Fixtures.now, deskDevice: Self.deskDevice)
                }
            }
            let blockAPDUs = try await Self.tearAtEveryAPDU("replace, old card blocked", card: old, reader: reader, action: blockOld)
            let source = ReplacementSource(card: try await Self.read(old, layout: layout, community: community, reader: reader))
            #expect(source.purseKopecks == 4_200 && source.entitlements.count == 1)
            // Step 2, the new card: personalized from the source.
            let entitlements = try source.reissuedTerms(for: 0x7501, layoutVersion: 2, issuer: issuer.keyID).map { try $0.signed(with: issuer.privateKey) }
            let request = IssuanceRequest(
                serial: 0x7501, issueDate: Fixtures.today, expiryDate: Fixtures.today.adding(days: 1826), holderPseudonym: source.holderPseudonym!,
                entitlements: entitlements, purseKopecks: Int32(source.purseKopecks), issuedAt: Fixtures.now, issuerDeviceID: issuer.keyID.rawValue)
            let newPlan = try PersonalizationPlan(layout: layout, request: request)
            let issueNew: (any CardChannel) async throws -> Void = { channel in
                var generator = SystemRandomNumberGenerator()
                _ = try await Personalization(plan: newPlan, keyring: keyring).run(on: channel, using: &generator)
            }
            let issueAPDUs = try await Self.tearAtEveryAPDU("replace, new card issued", card: new, reader: reader, action: issueNew)
            print("card-lifecycle: replace \(blockAPDUs + issueAPDUs) APDUs (old card \(blockAPDUs), new card \(issueAPDUs))")
            let moved = try await Self.read(new, layout: layout, community: community, reader: reader)
            #expect(moved.purseKopecks == 4_200)
            #expect(moved.entitlements.map(\.terms.product) == [.rides(count: 10, per: .week)])
            #expect(moved.info.holderPseudonym == oldPlan.request.holderPseudonym)
            let trust = try community.trustStore()
            #expect(trust.verify(moved.entitlements[0], for: 0x7501, layoutVersion: 2, categories: Fixtures.categories, now: Fixtures.now).verified != nil)
        }
    }

    @Test("a returned card is wiped (FormatPICC) and issued again to another serial; a re-run finds it done")
    func returnedCardReissued() async throws {
        let community = try Fixtures.Community()
        let keyring = try community.keyring()
        let first = try community.plan(serial: 0x7600, products: [.free], purse: 900, layout: Fixtures.layoutV2)
        let second = try community.plan(serial: 0x7601, products: [.discount(percent: 50)], layout: Fixtures.layoutV2)
        try await TestBed.shared.withReader { reader in
            let card = try await Self.issued(first, uid: [0x04, 0x76, 0x00, 0x11, 0x22, 0x33, 0x44], community: community, reader: reader)
            defer { card.remove() }
            var generator = SystemRandomNumberGenerator()
            let wipe = CardWipe(layout: Fixtures.layoutV2, keyring: keyring)
            // Not yet returned (not blocked): refused.
            await #expect(throws: SocialCardError.self) {
                try await reader.tap(card) { channel in try await wipe.wipe(expecting: 0x7600, reissuingAs: 0x7601, on: channel, using: &generator) }
            }
            _ = try await reader.tap(card) { channel in
                try await CardUpdate(layout: Fixtures.layoutV2, keyring: keyring).run(on: channel, using: &generator) { contents in
                    try CardUpdatePlan.block(contents, layout: Fixtures.layoutV2, on: Fixtures.today, reason: "holderRequest", at: Fixtures.now, deskDevice: Self.deskDevice)
                }
            }
            for round in 0..<2 {
                let wiped = try await reader.tap(card) { channel in try await wipe.wipe(expecting: 0x7600, reissuingAs: 0x7601, on: channel, using: &generator) }
                #expect(wiped.formatted == (round == 0))
                _ = try await reader.tap(card) { channel in
                    try await Personalization(plan: second, keyring: keyring).run(on: channel, using: &generator)
                }
            }
            let after = try await Self.read(card, layout: Fixtures.layoutV2, community: community, reader: reader)
            #expect(after.info.serial == 0x7601 && after.purseKopecks == 0 && !after.status.isBlocked)
        }
    }
}
