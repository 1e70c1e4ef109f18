import Crypto
import Desk
import DeskOffice
import DeskRecords
import DeskRegistry
import Entitlements
import Foundation
import Identifiers
import SocialCard
import Tariff
import TestBedSupport
import Testing

/// The desk office against the virtual card through pcscd and an SQLite registry: every action
/// shows in the registry, and a crash between the card write and the registry's record (the
/// recorder failing on purpose), followed by the same action again, leaves card and registry
/// agreeing, with nothing done twice.
@Suite("Desk office: card actions recorded in the registry", .serialized)
struct DeskOfficeLifecycleTests {
    static let serialA = CardSerial(printed: "0A0B-0C0D-0E0F-A001")!
    static let serialB = CardSerial(printed: "0A0B-0C0D-0E0F-A002")!
    static let serialC = CardSerial(printed: "0A0B-0C0D-0E0F-A003")!

    /// Expects `body` to fail as `record-incomplete` (the card done, the record not).
    static func expectTorn(_ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("the action finished although its record failed")
        } catch let error as DeskOfficeError {
            #expect(error.code == .recordIncomplete, "\(error)")
            #expect(error.exitStatus == 75)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The latest row of each entitlement id the registry recorded for a card.
    static func latest(_ card: CardRecord?) -> [EntitlementID: WrittenEntitlement] {
        var latest: [EntitlementID: WrittenEntitlement] = [:]
        for written in card?.entitlements ?? [] { latest[written.id] = written }
        return latest
    }

    @Test("issue, renew, top up, end a benefit, replace, block, return: each in the registry; each torn before its record and run again: recorded once")
    func lifecycleWithTears() async throws {
        let community = try Fixtures.Community()
        let cardA = try BlankCard(uid: [0x04, 0xA1, 0x00, 0x01, 0x02, 0x03, 0x04])
        let cardB = try BlankCard(uid: [0x04, 0xA2, 0x00, 0x01, 0x02, 0x03, 0x04])
        let cardC = try BlankCard(uid: [0x04, 0xA3, 0x00, 0x01, 0x02, 0x03, 0x04])
        defer { cardA.remove(); cardB.remove(); cardC.remove() }
        let location = RegistryLocation.sqlite(path: Fixtures.temporaryPath("office-registry", "sqlite"))
        let accounting = FakeAccounting()
        let ledger = try DeskLedger(path: Fixtures.temporaryPath("office-ledger", "sqlite"), deviceID: 201, deviceKey: Curve25519.Signing.PrivateKey())
        let now = Fixtures.now
        let today = Fixtures.today
        let clerk = Fixtures.clerk
        try await TestBed.shared.withReader { reader in
            let desk = try Fixtures.desk(community, reader: reader)
            try await location.withRegistry(keyring: Fixtures.keyring, now: now) { registry in
                var random = SystemRandomNumberGenerator()
                let torn = TornRecorder(registry)
                let office = DeskOffice(desk: desk, registry: registry, denyList: accounting, ledger: ledger, recorder: torn)
                let officeWithoutLedger = DeskOffice(desk: desk, registry: nil)
                let holder = try await registry.addHolder(
                    Fixtures.person("Ганна Петрівна Коваленко", passport: "МЕ123456"), consentFormReference: "згода 1", clerk: clerk, at: now)
                _ = try await registry.addEligibility(
                    try EligibilityTerms(category: 1, evidence: "пенсійне посвідчення 1", validFrom: CivilDate(iso: "2020-01-01")!, validUntil: nil),
                    to: holder, clerk: clerk, at: now)
                _ = try await registry.addEligibility(
                    try EligibilityTerms(category: 2, evidence: "посвідчення УБД 2", validFrom: CivilDate(iso: "2024-01-01")!, validUntil: CivilDate(iso: "2027-06-30")!),
                    to: holder, clerk: clerk, at: now)

                // Issue: torn before the record, then again.
                let order = HolderIssueOrder(holder: holder, serial: Self.serialA, product: .free, purseKopecks: 1_000)
                torn.fail(.issued)
                await Self.expectTorn { _ = try await cardA.placed(on: reader) { try await office.issue(order, clerk: clerk, now: now, waiting: {}, using: &random) } }
                #expect(try await registry.card(Self.serialA) == nil)
                torn.fail(.none)
                let issued = try await cardA.placed(on: reader) { try await office.issue(order, clerk: clerk, now: now, waiting: {}, using: &random) }
                #expect(issued.card.wasAlreadyDone && issued.recorded.map(\.outcome) == [.recorded])
                var recordA = try await registry.card(Self.serialA)
                #expect(recordA?.holder == holder && recordA?.status == .issued)
                #expect(recordA?.uidDigest == Array(SHA256.hash(data: [0x04, 0xA1, 0x00, 0x01, 0x02, 0x03, 0x04])))
                #expect(recordA?.pseudonym.count == desk.setup.layout.pseudonymLength)
                #expect(Self.latest(recordA).mapValues(\.category) == [1: 1, 2: 2])
                #expect(Self.latest(recordA)[1]?.validUntil == today.adding(days: IssuancePolicy.defaultEntitlementDays))
                #expect(Self.latest(recordA)[2]?.validUntil == CivilDate(iso: "2027-06-30"))
                #expect(issued.card.entitlements.count == 2 && issued.card.purseAfterKopecks == 1_000)

                // Renew: torn, then again.
                let renewUntil = CivilDate(iso: "2027-11-30")!
                torn.fail(.entitlements)
                await Self.expectTorn {
                    _ = try await cardA.placed(on: reader) { try await office.renew(serial: Self.serialA, validUntil: renewUntil, clerk: clerk, now: now, waiting: {}, using: &random) }
                }
                let beforeRenewal = try await registry.card(Self.serialA)
                #expect(Self.latest(beforeRenewal)[1]?.validUntil != renewUntil)
                torn.fail(.none)
                let renewed = try await cardA.placed(on: reader) {
                    try await office.renew(serial: Self.serialA, validUntil: renewUntil, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(renewed.card.wasAlreadyDone && renewed.recordedNow)
                let afterRenewal = try await registry.card(Self.serialA)
                #expect(Self.latest(afterRenewal).values.allSatisfy { $0.validUntil == renewUntil })

                // Top-up: torn, then again: credited once on the card, recorded once.
                torn.fail(.credit)
                await Self.expectTorn {
                    _ = try await cardA.placed(on: reader) { try await office.topUp(amountKopecks: 5_000, receipt: 17, serial: Self.serialA, clerk: clerk, now: now, waiting: {}, using: &random) }
                }
                torn.fail(.none)
                let topUp = try await cardA.placed(on: reader) {
                    try await office.topUp(amountKopecks: 5_000, receipt: 17, serial: Self.serialA, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(topUp.card.wasAlreadyDone && topUp.card.purseAfterKopecks == 6_000)
                let again = try await cardA.placed(on: reader) {
                    try await office.topUp(amountKopecks: 5_000, receipt: 17, serial: Self.serialA, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(again.card.purseAfterKopecks == 6_000 && again.recorded.map(\.outcome) == [.alreadyRecorded])
                recordA = try await registry.card(Self.serialA)
                #expect(recordA?.credits.map(\.kopecks) == [5_000] && recordA?.credits.first?.receipt == "17")
                // A run that crashed after the card write and before the ledger append (here: a
                // desk without its ledger), then the same top-up again: the ledger gets its entry.
                let unledgered = try await cardA.placed(on: reader) {
                    try await officeWithoutLedger.topUp(amountKopecks: 700, receipt: 18, serial: Self.serialA, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(unledgered.ledgerEntries.isEmpty && unledgered.card.purseAfterKopecks == 6_700)
                let ledgered = try await cardA.placed(on: reader) {
                    try await office.topUp(amountKopecks: 700, receipt: 18, serial: Self.serialA, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(ledgered.card.wasAlreadyDone && ledgered.ledgerEntries.map(\.record.receiptNumber) == [18] && ledgered.card.purseAfterKopecks == 6_700)

                // End benefit 2 from today.
                let ended = try await cardA.placed(on: reader) {
                    try await office.endEntitlement(2, from: nil, serial: Self.serialA, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                let afterEnd = try await registry.card(Self.serialA)
                #expect(ended.recordedNow && Self.latest(afterEnd)[2]?.validUntil == today.adding(days: -1))

                // Replace A by B: the record torn, then the replacement again.
                let replacement = ReplacementOrder(oldSerial: Self.serialA, newSerial: Self.serialB)
                let (source, _) = try await cardA.placed(on: reader) { try await office.replacementSource(replacement, now: now, waiting: {}, using: &random) }
                #expect(source.purseKopecks == 6_700)
                torn.fail(.replacement)
                await Self.expectTorn {
                    _ = try await cardB.placed(on: reader) { try await office.issueReplacement(replacement, from: source, clerk: clerk, now: now, waiting: {}, using: &random) }
                }
                #expect(try await registry.card(Self.serialB) == nil && accounting.reports.isEmpty)
                torn.fail(.none)
                let (sourceAgain, _) = try await cardA.placed(on: reader) { try await office.replacementSource(replacement, now: now, waiting: {}, using: &random) }
                #expect(sourceAgain == source)
                let replaced = try await cardB.placed(on: reader) {
                    try await office.issueReplacement(replacement, from: sourceAgain, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(replaced.card.wasAlreadyDone && replaced.card.purseAfterKopecks == 6_700)
                #expect(try await registry.card(Self.serialA)?.status == .replaced(by: Self.serialB))
                let recordB = try await registry.card(Self.serialB)
                #expect(recordB?.holder == holder && recordB?.status == .issued && recordB?.pseudonym == recordA?.pseudonym)
                #expect(Self.latest(recordB).count == 2)
                #expect(accounting.reports.map(\.cardSerial) == [Self.serialA.printed] && accounting.reports.first?.reason == "replaced")

                // Block B (lost, but brought in): torn before the record, then again.
                torn.fail(.status)
                await Self.expectTorn {
                    _ = try await cardB.placed(on: reader) { try await office.block(Self.serialB, reason: .stolen, cardAtDesk: true, clerk: clerk, now: now, waiting: {}, using: &random) }
                }
                torn.fail(.none)
                let blocked = try await cardB.placed(on: reader) {
                    try await office.block(Self.serialB, reason: .stolen, cardAtDesk: true, clerk: clerk, now: now, waiting: {}, using: &random)
                }
                #expect(blocked.card.wasAlreadyDone && blocked.card.denyListReport?.reason == "stolen")
                #expect(try await registry.card(Self.serialB)?.status == .blocked(.stolen))
                #expect(accounting.reports.count == 2)
                let dispute = try await cardB.placed(on: reader) {
                    try await office.readForDispute(serial: Self.serialB, deskName: "ЦНАП тест", now: now, waiting: {}, using: &random)
                }
                #expect(dispute.record?.status == .blocked(.stolen) && dispute.statement.contains("67.00"))

                // A second holder's card returned.
                let other = try await registry.addHolder(Fixtures.person("Остап Іванович Мельник", passport: "КВ654321"), consentFormReference: nil, clerk: clerk, at: now)
                _ = try await registry.addEligibility(
                    try EligibilityTerms(category: 1, evidence: "пенсійне посвідчення 3", validFrom: CivilDate(iso: "2020-01-01")!, validUntil: nil), to: other, clerk: clerk, at: now)
                _ = try await cardC.placed(on: reader) {
                    try await office.issue(HolderIssueOrder(holder: other, serial: Self.serialC), clerk: clerk, now: now, waiting: {}, using: &random)
                }
                let returned = try await cardC.placed(on: reader) { try await office.returnCard(serial: Self.serialC, clerk: clerk, now: now, waiting: {}, using: &random) }
                #expect(returned.card.cardWritten && returned.recordedNow)
                #expect(try await registry.card(Self.serialC)?.status == .returned)

                // The desk ledger: one entry per card-affecting action, none twice for the re-runs.
                let kinds = try await ledger.allEntries().map(\.record.kind)
                #expect(kinds == [
                    .cardIssued, .entitlementWritten, .entitlementWritten, .purseCredit,  // issue A (purse 10.00, receipt 0)
                    .entitlementWritten, .entitlementWritten,  // renew A
                    .purseCredit, .purseCredit,  // top-ups 17 and 18
                    .entitlementWritten,  // end benefit 2
                    .cardReplaced, .cardIssued, .entitlementWritten, .entitlementWritten,  // replace A by B
                    .cardBlocked,  // block B
                    .cardIssued, .entitlementWritten, .cardReturned,  // issue and return C
                ])
                let entries = try await ledger.allEntries()
                #expect(entries.filter { $0.record.kind == .purseCredit }.map(\.record.amountKopecks) == [1_000, 5_000, 700])
                // The purse given at issue is a purse credit like a top-up (reconciliation takes a
                // card's money only from these), with receipt 0: it has no receipt of its own.
                #expect(entries.filter { $0.record.kind == .purseCredit }.map(\.record.receiptNumber) == [0, 17, 18])
                #expect(entries.filter { $0.record.kind == .purseCredit }.map(\.record.cardSerial) == [Self.serialA, Self.serialA, Self.serialA])
                #expect(entries.first { $0.record.kind == .cardReplaced }?.record.otherCardSerial == Self.serialB)
                #expect(entries.first { $0.record.kind == .cardReplaced }?.record.amountKopecks == 6_700)
            }
        }
    }

    @Test("a holder without an eligibility covering today is refused before the card is touched")
    func noEligibility() async throws {
        let community = try Fixtures.Community()
        let location = RegistryLocation.sqlite(path: Fixtures.temporaryPath("office-registry", "sqlite"))
        try await TestBed.shared.withReader { reader in
            let desk = try Fixtures.desk(community, reader: reader)
            try await location.withRegistry(keyring: Fixtures.keyring, now: Fixtures.now) { registry in
                var random = SystemRandomNumberGenerator()
                let office = DeskOffice(desk: desk, registry: registry)
                let holder = try await registry.addHolder(Fixtures.person("Марія Степанівна Бондар", passport: "ВК111222"), consentFormReference: nil, clerk: Fixtures.clerk, at: Fixtures.now)
                _ = try await registry.addEligibility(
                    try EligibilityTerms(category: 1, evidence: "довідка", validFrom: CivilDate(iso: "2020-01-01")!, validUntil: CivilDate(iso: "2026-10-31")!),
                    to: holder, clerk: Fixtures.clerk, at: Fixtures.now)
                await #expect(throws: DeskOfficeError.self) {
                    _ = try await office.issue(HolderIssueOrder(holder: holder, serial: Self.serialC), clerk: Fixtures.clerk, now: Fixtures.now, waiting: {}, using: &random)
                }
                #expect(try await registry.card(Self.serialC) == nil)
            }
        }
    }

    @Test("the entitlement orders: one per category covering today, the earliest first, capped at the policy's year")
    func entitlementOrders() throws {
        let today = Fixtures.today
        let eligibilities = [
            HeldEligibility(id: 1, holder: 1, terms: EligibilityTerms(stored: 2, evidence: "a", validFrom: CivilDate(iso: "2025-01-01")!, validUntil: CivilDate(iso: "2030-01-01")!), source: .clerk),
            HeldEligibility(id: 2, holder: 1, terms: EligibilityTerms(stored: 1, evidence: "b", validFrom: CivilDate(iso: "2024-01-01")!, validUntil: CivilDate(iso: "2027-01-31")!), source: .clerk),
            HeldEligibility(id: 3, holder: 1, terms: EligibilityTerms(stored: 2, evidence: "c", validFrom: CivilDate(iso: "2026-01-01")!, validUntil: nil), source: .clerk),
            HeldEligibility(id: 4, holder: 1, terms: EligibilityTerms(stored: 3, evidence: "d", validFrom: CivilDate(iso: "2026-12-01")!, validUntil: nil), source: .clerk),
        ]
        let orders = DeskOffice.entitlementOrders(for: eligibilities, product: .free, today: today)
        #expect(orders.map(\.category) == ["1", "2"])
        #expect(orders.map(\.validUntil) == [CivilDate(iso: "2027-01-31"), today.adding(days: 365)])
        #expect(DeskOffice.productCode(.rides(count: 30, per: .month)) == "rides:30/month")
        #expect(try ProductText.parse(DeskOffice.productCode(.pass(from: today, through: today.adding(days: 30)))) == .pass(from: today, through: today.adding(days: 30)))
    }
}
