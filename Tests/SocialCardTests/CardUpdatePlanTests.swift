import Entitlements
import Identifiers
import SocialCard
import Testing

/// The desk's card update plans without a card: what each writes, and that a plan made from a
/// card on which the action is already done writes nothing.
@Suite("Card update plans (pure)")
struct CardUpdatePlanTests {
    /// A v2 card as a read returns it: one counted entitlement, 10.00 UAH, the issued record.
    static func card(layout: SocialCardLayout = Fixtures.layoutV2, blocked: Bool = false, trips: [TripLogRecord]? = nil) throws -> (SocialCardContents, PersonalizationPlan) {
        let community = try Fixtures.Community()
        let plan = try community.plan(serial: 0x7700, products: [.rides(count: 10, per: .week)], purse: 1_000, layout: layout)
        var issued = try #require(try layout.decodeTrips([plan.issuedRecordBytes]).first)
        if blocked { issued.flags.insert("cardBlocked") }
        let contents = SocialCardContents(
            uid: [4, 1, 2, 3, 4, 5, 6], keyVersion: 1, info: try #require(try layout.decodeCardInfo(plan.cardInfoBytes)),
            slots: plan.request.entitlements.map { .entitlement($0) }, purseKopecks: 1_000, counters: [], trips: trips ?? [issued],
            status: CardStatus(isBlocked: blocked, blockedOn: Fixtures.today, blockReason: blocked ? "denyList" : "none"), apduCount: 0)
        return (contents, plan)
    }

    @Test("a top-up is one transaction: the credit and a topUp record with the receipt, the next sequence and the balance after")
    func topUp() throws {
        let (card, _) = try Self.card()
        let plan = try CardUpdatePlan.topUp(card, layout: Fixtures.layoutV2, amountKopecks: 2_500, receipt: 0x0001_0002, at: Fixtures.now, deskDevice: 77)
        let transaction = try #require(plan.transaction)
        #expect(transaction.creditKopecks == 2_500 && plan.slotWrites.isEmpty && plan.cardInfoBytes == nil)
        #expect(transaction.record.kind == "topUp" && transaction.record.deviceID == 77 && transaction.record.sequence == card.trips[0].sequence + 1)
        #expect(transaction.record.route == 1 && transaction.record.vehicle == 2 && CardUpdatePlan.receiptNumber(of: transaction.record) == 0x0001_0002)
        #expect(transaction.record.state?.balanceKopecks == 3_500 && plan.purseAfterKopecks == 3_500)
        #expect(try Fixtures.layoutV2.decodeTrips([transaction.recordBytes]) == [transaction.record])
        // The card holding that record: nothing to do. Another desk's record of the same number is not it.
        var done = card
        done.trips.append(transaction.record)
        #expect(try CardUpdatePlan.topUp(done, layout: Fixtures.layoutV2, amountKopecks: 2_500, receipt: 0x0001_0002, at: Fixtures.now, deskDevice: 77).isEmpty)
        #expect(try !CardUpdatePlan.topUp(done, layout: Fixtures.layoutV2, amountKopecks: 2_500, receipt: 0x0001_0002, at: Fixtures.now, deskDevice: 78).isEmpty)
    }

    @Test("a top-up is refused for a blocked card, a zero amount and a balance over the purse's limit")
    func topUpRefused() throws {
        let (blocked, _) = try Self.card(blocked: true)
        #expect(throws: SocialCardError.self) { try CardUpdatePlan.topUp(blocked, layout: Fixtures.layoutV2, amountKopecks: 100, receipt: 1, at: Fixtures.now, deskDevice: 1) }
        let (card, _) = try Self.card()
        #expect(throws: SocialCardError.self) { try CardUpdatePlan.topUp(card, layout: Fixtures.layoutV2, amountKopecks: 0, receipt: 1, at: Fixtures.now, deskDevice: 1) }
        #expect(throws: SocialCardError.self) { try CardUpdatePlan.topUp(card, layout: Fixtures.layoutV2, amountKopecks: 499_001, receipt: 1, at: Fixtures.now, deskDevice: 1) }
        #expect(try !CardUpdatePlan.topUp(card, layout: Fixtures.layoutV2, amountKopecks: 499_000, receipt: 1, at: Fixtures.now, deskDevice: 1).isEmpty)
    }

    @Test("entitlements: only differing slots are written, the card info when expiry or count change; ids never move")
    func entitlements() throws {
        let (card, plan) = try Self.card(layout: Fixtures.layout)
        let same = try CardUpdatePlan.entitlements(card, layout: Fixtures.layout, entitlements: card.entitlements, expiryDate: nil)
        #expect(same.isEmpty)
        let issuer = try Fixtures.Community().issuerKey()
        var terms = plan.request.entitlements[0].terms
        terms.validUntil = Fixtures.today.adding(days: 700)
        terms.issuerKeyID = issuer.keyID
        let renewed = try terms.signed(with: issuer.privateKey)
        let renew = try CardUpdatePlan.entitlements(card, layout: Fixtures.layout, entitlements: [renewed], expiryDate: Fixtures.today.adding(days: 2000))
        #expect(renew.slotWrites.map(\.slot) == [0] && renew.transaction == nil)
        #expect(renew.cardInfo.expiryDate == Fixtures.today.adding(days: 2000) && renew.cardInfoBytes != nil)
        var other = terms
        other.id = 9
        #expect(throws: SocialCardError.self) {
            try CardUpdatePlan.entitlements(card, layout: Fixtures.layout, entitlements: [try other.signed(with: issuer.privateKey)], expiryDate: nil)
        }
        #expect(throws: SocialCardError.self) { try CardUpdatePlan.entitlements(card, layout: Fixtures.layout, entitlements: [], expiryDate: nil) }
        var elsewhere = terms
        elsewhere.cardSerial = 0x1
        #expect(throws: SocialCardError.self) {
            try CardUpdatePlan.entitlements(card, layout: Fixtures.layout, entitlements: [try elsewhere.signed(with: issuer.privateKey)], expiryDate: nil)
        }
    }

    @Test("a block: v1 writes the status with its reason and a blocked record; v2 a blocked record flagged cardBlocked; a blocked card: nothing")
    func block() throws {
        let (v1, _) = try Self.card(layout: Fixtures.layout)
        let first = try #require(try CardUpdatePlan.block(v1, layout: Fixtures.layout, on: Fixtures.today, reason: "lostOrStolen", at: Fixtures.now, deskDevice: 5).transaction)
        #expect(try Fixtures.layout.decodeStatus(try #require(first.statusBytes)) == CardStatus(isBlocked: true, blockedOn: Fixtures.today, blockReason: "lostOrStolen"))
        #expect(first.record.kind == "blocked" && first.creditKopecks == 0)
        let (v2, _) = try Self.card()
        let second = try #require(try CardUpdatePlan.block(v2, layout: Fixtures.layoutV2, on: Fixtures.today, reason: "lostOrStolen", at: Fixtures.now, deskDevice: 5).transaction)
        #expect(second.statusBytes == nil && second.record.flags.contains("cardBlocked") && second.record.state?.balanceKopecks == 1_000)
        let (blocked, _) = try Self.card(blocked: true)
        #expect(try CardUpdatePlan.block(blocked, layout: Fixtures.layoutV2, on: Fixtures.today, reason: "lostOrStolen", at: Fixtures.now, deskDevice: 5).isEmpty)
    }
}
