import Entitlements
import Foundation
import Identifiers
import LedgerCore
import SocialCard
import Tariff
import TestBedSupport
import Testing
import Validator
import VirtualCard

/// Taps on virtual social cards through pcscd, decided and written by the validator pipeline.
@Suite("Validator taps through pcscd", .serialized)
struct TapEndToEndTests {
    struct ProductCase: CustomTestStringConvertible, Sendable {
        var name: String
        var grants: [TestCommunity.Grant]
        var purse: Int32
        var reason: String
        var fare: Int
        var category: CategoryCode?
        var ridesLeft: Int?
        var charges: [LedgerEntryKind]
        var testDescription: String { name }
    }

    static let products: [ProductCase] = [
        ProductCase(
            name: "free ride, combat veteran", grants: [.init(product: .free, category: 2)], purse: 0, reason: "accepted-free", fare: 0,
            category: 2, ridesLeft: nil, charges: [.benefitUse]),
        ProductCase(
            name: "50% discount, pensioner", grants: [.init(product: .discount(percent: 50), category: 1)], purse: 10_000,
            reason: "accepted-discount", fare: 750, category: 1, ridesLeft: nil, charges: [.benefitUse, .purseDebit]),
        ProductCase(
            name: "counted rides, child of a large family", grants: [.init(product: .rides(count: 20, per: .month), category: 9)], purse: 0,
            reason: "accepted-counted-ride", fare: 0, category: 9, ridesLeft: 19, charges: [.benefitUse]),
        ProductCase(
            name: "pass, student", grants: [.init(product: .pass(from: Clock.today.adding(days: -5), through: Clock.today.adding(days: 25)), category: 10)],
            purse: 0, reason: "accepted-pass", fare: 0, category: 10, ridesLeft: nil, charges: [.rideAccepted]),
        ProductCase(
            name: "stored value, resident", grants: [.init(product: .storedValue, category: 100)], purse: 5_000, reason: "accepted-full-fare",
            fare: 1_500, category: 100, ridesLeft: nil, charges: [.rideAccepted, .purseDebit]),
        ProductCase(
            name: "no entitlement, purse pays", grants: [], purse: 3_000, reason: "accepted-full-fare", fare: 1_500, category: nil,
            ridesLeft: nil, charges: [.rideAccepted, .purseDebit]),
        ProductCase(
            name: "free ride, war disabled, with a second counted entitlement", grants: [.init(product: .rides(count: 4, per: .week), category: 1), .init(product: .free, category: 3)],
            purse: 0, reason: "accepted-free", fare: 0, category: 3, ridesLeft: nil, charges: [.benefitUse]),
    ]

    /// The layouts cards are issued with; the validator holds both.
    static let layouts = [Paths.layout, Paths.layoutV2]

    @Test("each product: accepted, written to the card, recorded in the ledger (a v1 and a v2 card)", arguments: Array(products.indices), layouts)
    func product(_ index: Int, layoutPath: String) async throws {
        let testCase = Self.products[index]
        let community = try TestCommunity(layoutPath: layoutPath)
        let validator = try ValidatorHarness(community: community)
        defer { validator.removeFiles() }
        let serial = CardSerial(0x5000 + UInt64(index))
        let card = try TestCard(number: UInt8(index), salt: layoutPath == Paths.layout ? 0x01 : layoutPath == Paths.layoutV2 ? 0x11 : 0x21)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: serial, grants: testCase.grants, purse: testCase.purse), on: reader)
            let result = try await validator.tap(card, on: reader, at: Clock.now)
            #expect(result.verdict == .accepted, "\(testCase.name): \(result)")
            #expect(result.reason == testCase.reason)
            #expect(result.fareKopecks == testCase.fare)
            #expect(result.category == testCase.category)
            #expect(result.ridesLeft == testCase.ridesLeft)
            #expect(result.cardSerial == serial)
            #expect(result.purseBalanceKopecks == Int(testCase.purse) - testCase.fare)
            print("validator: \(community.cardLayout.id): \(testCase.name): \(result.apduCount) APDUs")

            let contents = try await validator.contents(of: card, on: reader)
            #expect(contents.purseKopecks == Int(testCase.purse) - testCase.fare)
            let ride = try #require(contents.trips.last)
            #expect(ride.kind == "entry" && ride.deviceID == ValidatorHarness.deviceID.rawValue && ride.fareKopecks == testCase.fare)
            #expect(ride.category == Int(testCase.category?.rawValue ?? 0))

            let entries = try validator.entries()
            let kinds = entries.map(\.record.kind)
            #expect(kinds == [.cardTransactionPending] + testCase.charges + [.cardTransactionConfirmed])
            #expect(result.ledgerSequence == entries.first { testCase.charges.first == $0.record.kind }?.sequence)
            let agreement = Agreement.check(card: contents, entries: entries, device: ValidatorHarness.deviceID, purseIssued: Int(testCase.purse))
            #expect(agreement.holds, "\(agreement)")
            #expect(try validator.verify())
        }
    }

    /// A v3 card (compact entitlements, card info and the first slot in one read) on a validator
    /// holding v3, v2 and v1: the ride kinds whose reads differ (an entitlement or none, counted
    /// or not), a few to keep the suite short; the decision code is the same for every layout.
    @Test("free, counted, pass and purse-only rides on a v3 card", arguments: [0, 2, 3, 5])
    func productOnV3(_ index: Int) async throws {
        try await product(index, layoutPath: Paths.layoutV3)
    }

    @Test("counted rides: the limit, then the next period starts again from zero", arguments: layouts)
    func limitAndRollover(layoutPath: String) async throws {
        let community = try TestCommunity(layoutPath: layoutPath)
        var tariff = community.tariff
        tariff.purseWithoutEntitlement = false
        let validator = try ValidatorHarness(community: community, tariff: tariff)
        defer { validator.removeFiles() }
        let card = try TestCard(number: 1, salt: 0x02)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: 0x6001, grants: [.init(product: .rides(count: 2, per: .day), category: 11)]), on: reader)
            let first = try await validator.tap(card, on: reader, at: Clock.now)
            let second = try await validator.tap(card, on: reader, at: Clock.later(600))
            let third = try await validator.tap(card, on: reader, at: Clock.later(1_200))
            let nextDay = try await validator.tap(card, on: reader, at: Clock.later(86_400))
            #expect(first.verdict == .accepted && first.ridesLeft == 1)
            #expect(second.verdict == .accepted && second.ridesLeft == 0)
            #expect(third.verdict == .declined && third.reason == "ride-limit-reached")
            #expect(third.message.uk.contains("30.11.2026"), "\(third.message.uk)")
            #expect(nextDay.verdict == .accepted && nextDay.ridesLeft == 1)
            let contents = try await validator.contents(of: card, on: reader)
            #expect(contents.counters.first?.ridesUsed == 1)
            #expect(contents.counters.first?.periodStart == Clock.today.adding(days: 1))
            let entries = try validator.entries()
            #expect(entries.filter { $0.record.kind == .benefitUse }.count == 3)
            #expect(entries.filter { $0.record.kind == .tapDeclined }.map(\.record.detail) == ["ride-limit-reached"])
        }
    }

    @Test("anti-passback: a second tap on the same bus within the window charges nothing and writes nothing")
    func antiPassback() async throws {
        let community = try TestCommunity()
        let validator = try ValidatorHarness(community: community)
        defer { validator.removeFiles() }
        let card = try TestCard(number: 2, salt: 0x02)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: 0x6002, grants: [], purse: 5_000), on: reader)
            let first = try await validator.tap(card, on: reader, at: Clock.now)
            let again = try await validator.tap(card, on: reader, at: Clock.later(60))
            let after = try await validator.tap(card, on: reader, at: Clock.later(200))
            #expect(first.verdict == .accepted && first.fareKopecks == 1_500)
            #expect(again.verdict == .repeated && again.reason == "repeat-tap" && again.fareKopecks == 0)
            #expect(after.verdict == .accepted && after.fareKopecks == 1_500)
            let contents = try await validator.contents(of: card, on: reader)
            #expect(contents.purseKopecks == 2_000)
            #expect(contents.trips.filter { $0.kind == "entry" }.count == 2)
            #expect(try validator.entries().filter { $0.record.kind == .purseDebit }.count == 2)
        }
    }

    @Test("declines: expired entitlement, revoked issuer, empty purse — recorded, nothing written")
    func declines() async throws {
        let community = try TestCommunity()
        var tariff = community.tariff
        tariff.purseWithoutEntitlement = false
        let expired = try community.plan(
            serial: 0x6003, grants: [.init(product: .free, category: 1, validFrom: Clock.today.adding(days: -40), validUntil: Clock.today.adding(days: -1))])
        let emptyPurse = try community.plan(serial: 0x6004, grants: [.init(product: .storedValue, category: 100)], purse: 0)
        // A second community whose only issuer is revoked after signing.
        let revokedCommunity = try TestCommunity(seed: 12)
        let revoked = try revokedCommunity.plan(serial: 0x6005, grants: [.init(product: .free, category: 2)])
        try revokedCommunity.revokeIssuer()
        let validator = try ValidatorHarness(community: community, tariff: tariff)
        let revokedValidator = try ValidatorHarness(community: revokedCommunity, tariff: tariff)
        defer {
            validator.removeFiles()
            revokedValidator.removeFiles()
        }
        let cases: [(PersonalizationPlan, String, ValidatorHarness)] = [
            (expired, "no-valid-entitlement", validator), (emptyPurse, "insufficient-funds", validator),
            (revoked, "no-valid-entitlement", revokedValidator),
        ]
        try await TestBed.shared.withReader { reader in
            for (index, (plan, reason, validator)) in cases.enumerated() {
                let card = try TestCard(number: UInt8(index), salt: 0x03)
                defer { card.remove() }
                try await validator.issue(card, plan, on: reader)
                let before = try card.snapshot()
                let result = try await validator.tap(card, on: reader, at: Clock.now)
                #expect(result.verdict == .declined && result.reason == reason, "\(plan.request.serial): \(result)")
                #expect(try card.snapshot() == before, "a declined tap writes nothing")
                let last = try #require(try validator.entries().last)
                #expect(last.record.kind == .tapDeclined && last.record.cardSerial == plan.request.serial && last.record.detail == reason)
                #expect(result.ledgerSequence == last.sequence)
            }
        }
    }

    @Test("a deny-listed card is refused and marked blocked on the card; its next tap is refused by the card itself", arguments: layouts)
    func denyListed(layoutPath: String) async throws {
        let community = try TestCommunity(layoutPath: layoutPath)
        let serial: CardSerial = 0x6006
        let denyList = try DenyList(version: 3, entries: [.init(serial: serial, reason: .stolen)])
        let validator = try ValidatorHarness(community: community, denyList: denyList)
        defer { validator.removeFiles() }
        let card = try TestCard(number: 6, salt: 0x04)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: serial, grants: [.init(product: .free, category: 2)], purse: 2_000), on: reader)
            let result = try await validator.tap(card, on: reader, at: Clock.now)
            #expect(result.verdict == .declined && result.reason == "deny-listed")
            #expect(result.message.key == "card-blocked")
            let contents = try await validator.contents(of: card, on: reader)
            #expect(contents.status.isBlocked && contents.status.blockReason == "denyList")
            #expect(contents.purseKopecks == 2_000)
            let kinds = try validator.entries().map(\.record.kind)
            #expect(kinds == [.denyListHit, .tapDeclined, .cardTransactionPending, .cardTransactionConfirmed])

            // Another validator, whose deny list does not (yet) have the card, refuses it too.
            let other = try ValidatorHarness(community: community)
            defer { other.removeFiles() }
            let next = try await other.tap(card, on: reader, at: Clock.later(3_600))
            #expect(next.verdict == .declined && next.reason == "card-blocked")
        }
    }

    @Test("two readers tapped at the same moment: both decided and recorded")
    func twoReadersAtOnce() async throws {
        let community = try TestCommunity()
        let validator = try ValidatorHarness(community: community)
        defer { validator.removeFiles() }
        let first = try TestCard(number: 1, salt: 0x05)
        let second = try TestCard(number: 2, salt: 0x05)
        defer {
            first.remove()
            second.remove()
        }
        try await withTwoReaders { readerA, readerB in
            try await validator.issue(first, try community.plan(serial: 0x6101, grants: [.init(product: .free, category: 2)]), on: readerA)
            try await validator.issue(second, try community.plan(serial: 0x6102, grants: [], purse: 4_000), on: readerB)
            async let a = validator.tap(first, on: readerA, at: Clock.now)
            async let b = validator.tap(second, on: readerB, at: Clock.now)
            let (resultA, resultB) = try await (a, b)
            #expect(resultA.verdict == .accepted && resultA.reason == "accepted-free")
            #expect(resultB.verdict == .accepted && resultB.fareKopecks == 1_500)
            let entries = try validator.entries()
            #expect(entries.filter { $0.record.kind == .cardTransactionConfirmed }.count == 2)
            #expect(try validator.verify())
        }
    }

    @Test("foreign cards are declined cleanly, each with a reason and a ledger entry")
    func foreignCards() async throws {
        let community = try TestCommunity()
        let otherCommunity = try TestCommunity(seed: 99)
        let validator = try ValidatorHarness(community: community)
        let stranger = try ValidatorHarness(community: otherCommunity)
        defer {
            validator.removeFiles()
            stranger.removeFiles()
        }
        try await TestBed.shared.withReader { reader in
            let notDESFire = try await validator.tap(ForeignCard(.otherATR), on: reader, at: Clock.now)
            #expect(notDESFire.reason == "not-desfire" && notDESFire.message.key == "card-not-supported")

            let blank = try TestCard(number: 1, salt: 0x06)
            defer { blank.remove() }
            let noApplication = try await validator.tap(blank, on: reader, at: Clock.now)
            #expect(noApplication.reason == "no-application")

            let foreign = try TestCard(number: 2, salt: 0x06)
            defer { foreign.remove() }
            try await stranger.issue(foreign, try otherCommunity.plan(serial: 0x6201, grants: [.init(product: .free, category: 1)]), on: reader)
            let wrongKeys = try await validator.tap(foreign, on: reader, at: Clock.now)
            #expect(wrongKeys.reason == "authentication-failed")

            let garbage = try await validator.tap(ForeignCard(.garbage), on: reader, at: Clock.now)
            #expect(garbage.verdict == .declined && garbage.reason == "card-failed", "\(garbage)")

            let torn = try await validator.tap(foreign, on: reader, at: Clock.now, tearAfterAPDUs: 2)
            #expect(torn.verdict == .declined && torn.message.key == "tap-again", "\(torn)")

            let results = [notDESFire, noApplication, wrongKeys, garbage, torn]
            #expect(results.allSatisfy { $0.verdict == .declined && $0.ledgerSequence != nil })
            let declined = try validator.entries().filter { $0.record.kind == .tapDeclined }
            #expect(declined.map(\.record.detail) == results.map(\.reason))
            #expect(declined.allSatisfy { $0.record.cardSerial == nil })
        }
    }

    @Test("a card whose files say another layout version, or that do not decode, is declined by name")
    func malformedCards() async throws {
        let community = try TestCommunity()
        let validator = try ValidatorHarness(community: community)
        defer { validator.removeFiles() }
        let card = try TestCard(number: 3, salt: 0x08)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: 0x6401, grants: [.init(product: .free, category: 2)]), on: reader)
            let original = try await validator.contents(of: card, on: reader).info
            var otherVersion = original
            otherVersion.layoutVersion = 9
            var tooManySlots = original
            tooManySlots.entitlementSlotsUsed = 7
            for (info, reason) in [(otherVersion, "foreign-layout"), (tooManySlots, "malformed-card")] {
                try await validator.rewriteCardInfo(card, info, on: reader)
                let result = try await validator.tap(card, on: reader, at: Clock.now)
                #expect(result.verdict == .declined && result.reason == reason, "\(result)")
                #expect(try validator.entries().last?.record.detail == reason)
            }
            try await validator.rewriteCardInfo(card, original, on: reader)
            #expect(try await validator.tap(card, on: reader, at: Clock.now).verdict == .accepted)
        }
    }

    @Test("a ledger that cannot record refuses to charge: the card is left as it was")
    func outOfService() async throws {
        let community = try TestCommunity()
        let validator = try ValidatorHarness(community: community, ledgerPageLimit: 12)
        defer { validator.removeFiles() }
        let card = try TestCard(number: 9, salt: 0x07)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            try await validator.issue(card, try community.plan(serial: 0x6301, grants: [], purse: 500_000), on: reader)
            var refused: TapResult?
            for tap in 0..<200 {
                let before = try card.snapshot()
                let result = try await validator.tap(card, on: reader, at: Clock.later(Int64(tap) * 400))
                if result.reason == "out-of-service" {
                    #expect(try card.snapshot() == before, "an out-of-service tap must not change the card")
                    refused = result
                    break
                }
                #expect(result.verdict == .accepted, "\(result)")
            }
            let outOfService = try #require(refused, "the ledger never filled up")
            #expect(outOfService.message.key == "out-of-service")
            #expect(await !validator.ledger.isInService)
            // The ledger may have filled up between a commit and its charge entries: then that
            // ride's pending entry is its record (explicitly uncertain), never nothing.
            let contents = try await validator.contents(of: card, on: reader)
            let entries = try validator.entries()
            let agreement = Agreement.check(card: contents, entries: entries, device: ValidatorHarness.deviceID, purseIssued: 500_000)
            let open = await validator.ledger.openTransactions()
            let recorded = agreement.ridesConfirmed.union(open.compactMap(\.trip))
            #expect(agreement.ridesOnCard.isSubset(of: recorded), "\(agreement)")
            #expect(agreement.ridesOnCard.contains(recorded.max { $0.cardSequence < $1.cardSequence }!), "\(agreement)")
            // It may also have filled up between the charge entries and the confirmation: then the
            // pending entry is still open, but its purse debit is already counted.
            let debited = Set(entries.filter { $0.record.kind == .purseDebit }.compactMap(\.record.relatedSequence))
            let openUncharged = open.filter { !debited.contains($0.sequence) }
            #expect(agreement.purseDebitedInLedger + openUncharged.reduce(0) { $0 + $1.fareKopecks } == Int64(500_000 - contents.purseKopecks))
        }
    }
}
