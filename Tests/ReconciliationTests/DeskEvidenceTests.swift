import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Testing

@testable import Reconciliation

/// Desk ledgers as the evidence of purse credits, and the card's tap counter as the evidence of clones.
@Suite struct DeskEvidenceTests {
    let card: CardSerial = 0x00AA_0000_0000_0040
    let other: CardSerial = 0x00AA_0000_0000_0041
    static let desk: DeviceID = 900

    func deskLedger(_ records: [LedgerRecord]) -> Bus {
        var desk = Bus(Self.desk)
        desk.role = .desk
        for record in records { desk.append(record) }
        return desk
    }

    @Test func aCreditInTheDeskLedgerExplainsARiseAndOneMissingFromItIsAForgedCredit() {
        var bus = Bus(Town.busA1)
        bus.tap(card, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 500)
        bus.tap(card, counter: 2, at: Town.morning + 2 * hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 9000)
        bus.tap(other, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 500)
        bus.tap(other, counter: 2, at: Town.morning + 2 * hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 9000)
        let desk = deskLedger([.purseCredit(at: Town.morning + hour, card: card, amountKopecks: 10_000, receipt: 17, balanceAfterKopecks: 10_500)])
        // An import that claims a credit on the other card, after the desk kept its ledger: not evidence.
        var reference = Town.reference()
        reference.purseCredits = [PurseCredit(card: other, amountKopecks: 10_000, creditedAt: Town.morning + hour, source: "import", reference: "Q-1")]
        let report = reconcile(Town.input([bus, desk], reference: reference))
        let forged = report.exceptions(.forgedCredit)
        #expect(forged.count == 1)
        #expect(forged.first?.card == other && forged.first?.amountAtStakeKopecks == 10_000)
        #expect(forged.first?.evidence.contains(.creditEvidence("desk-ledger")) == true)
        #expect(report.exceptions(.clonePurseRose).isEmpty)
    }

    @Test func withoutADeskTheImportIsTheEvidence() {
        var bus = Bus(Town.busA1)
        bus.tap(other, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 500)
        bus.tap(other, counter: 2, at: Town.morning + 2 * hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 9000)
        var reference = Town.reference()
        reference.purseCredits = [PurseCredit(card: other, amountKopecks: 10_000, creditedAt: Town.morning + hour, source: "import", reference: "Q-1")]
        let report = reconcile(Town.input([bus], reference: reference))
        #expect(report.exceptions(.forgedCredit).isEmpty && report.exceptions(.clonePurseRose).isEmpty)
        // Imported credits before the desk's first entry still count (the month the desk ledger starts).
        let lateDesk = deskLedger([.cardBlocked(at: Town.morning + 3 * hour, card: card, reason: "lost")])
        #expect(reconcile(Town.input([bus, lateDesk], reference: reference)).exceptions(.forgedCredit).isEmpty)
    }

    @Test func aBalanceMovedByAReplacementIsMoneyOnTheNewCard() {
        var bus = Bus(Town.busA1)
        bus.tap(other, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 0)
        bus.tap(other, counter: 2, at: Town.morning + 2 * hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 4500)
        let desk = deskLedger([.cardReplaced(at: Town.morning + hour, old: card, new: other, balanceMovedKopecks: 6000)])
        #expect(reconcile(Town.input([bus, desk])).exceptions(.forgedCredit).isEmpty)
    }

    @Test func deskKindsFromAValidatorAreNotEvidence() {
        var bus = Bus(Town.busA1)
        bus.tap(other, counter: 1, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 500)
        bus.append(.purseCredit(at: Town.morning + hour, card: other, amountKopecks: 10_000, receipt: 1))
        bus.tap(other, counter: 2, at: Town.morning + 2 * hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 9000)
        let desk = deskLedger([.cardBlocked(at: Town.morning - hour, card: card, reason: "lost")])
        let report = reconcile(Town.input([bus, desk]))
        #expect(report.exceptions(.forgedCredit).map(\.card) == [other])
    }

    @Test func aTapCounterGoingBackwardsBetweenTwoVehiclesIsACloneSuspect() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        a1.writesCounters = true
        b1.writesCounters = true
        a1.tap(card, counter: 7, at: Town.morning)
        a1.tap(card, counter: 8, at: Town.morning + hour)
        // The copy, made when the card stood at 5, taps two hours later on another bus.
        let copy = b1.tap(card, counter: 6, at: Town.morning + 3 * hour, fullFare: 2000, route: 2)
        let report = reconcile(Town.input([a1, b1]))
        let clones = report.exceptions(.cloneCounterBackwards)
        #expect(clones.count == 1)
        #expect(clones.first?.device == Town.busB1 && clones.first?.card == card)
        #expect(clones.first?.entries.contains(EntryReference(device: Town.busB1, sequence: copy.sequence + 1)) == true)
        #expect(clones.first?.evidence.first.map { if case .tripCounter(_, 8, 6) = $0 { true } else { false } } == true)
        #expect(report.exceptions(.cloneTwoVehicles).isEmpty)
    }

    @Test func theCounterMayStartAgainAfterADeskIssueAndWrapsAt65536() {
        var a1 = Bus(Town.busA1)
        a1.writesCounters = true
        a1.tap(card, counter: 40, at: Town.morning)
        a1.tap(card, counter: 1, at: Town.morning + 3 * hour)
        a1.tap(other, counter: 65_535, at: Town.morning)
        a1.tap(other, counter: 0, at: Town.morning + hour)
        a1.tap(other, counter: 1, at: Town.morning + 2 * hour)
        let desk = deskLedger([.cardIssued(at: Town.morning + hour, card: card, layout: 1, how: "reissued")])
        #expect(reconcile(Town.input([a1, desk])).exceptions(.cloneCounterBackwards).isEmpty)
        // Without the desk's issue the same taps are a regression.
        #expect(reconcile(Town.input([a1])).exceptions(.cloneCounterBackwards).map(\.card) == [card])
    }

    @Test func aRideAndItsPurseDebitAreOneTap() {
        var a1 = Bus(Town.busA1)
        a1.writesCounters = true
        a1.tap(card, counter: 3, at: Town.morning, category: nil, entitlement: nil, fare: 1500, balanceAfter: 8500)
        a1.tap(card, counter: 4, at: Town.morning + hour, category: nil, entitlement: nil, fare: 1500, balanceAfter: 7000)
        #expect(reconcile(Town.input([a1])).exceptions(.cloneCounterBackwards).isEmpty)
    }
}
