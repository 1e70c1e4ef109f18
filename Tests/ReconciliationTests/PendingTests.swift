import AccountingCore
import Entitlements
import Identifiers
import LedgerCore
import Testing

@testable import Reconciliation

/// Card transactions left pending, settled across validators by the card's later taps.
@Suite struct PendingTests {
    let card: CardSerial = 0x00AA_0000_0000_0010

    @Test func confirmedTapsAreCountedOnce() {
        var bus = Bus(Town.busA1)
        bus.tap(card, counter: 1, at: Town.morning)
        bus.tap(card, counter: 2, at: Town.morning + hour, fare: 750, balanceAfter: 10_000)
        let report = reconcile(Town.input([bus]))
        #expect(report.lines.map(\.rides).reduce(0, +) == 2)
        #expect(report.compensation == 1500 + 750)
        #expect(report.exceptions(.pendingUnknown).isEmpty && report.exceptions(.pendingResolved).isEmpty)
    }

    @Test func abandonedTapsAreNotRides() {
        var bus = Bus(Town.busA1)
        bus.tap(card, counter: 1, at: Town.morning, confirm: false)
        let report = reconcile(Town.input([bus]))
        #expect(report.lines.isEmpty && report.excluded.isEmpty && report.cards.all.rides == 0)
        #expect(report.exceptions(.pendingUnknown).isEmpty)
    }

    /// Bus A1's tap at counter 5 was left pending; the card's next tap, on bus B1, numbers its
    /// record 6, so record 5 was on the card: committed, and compensated.
    @Test func laterTapOnAnotherValidatorShowsCommitted() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        let pending = a1.tap(card, counter: 5, at: Town.morning, confirm: nil)
        let later = b1.tap(card, counter: 6, at: Town.morning + 3 * hour, fullFare: 2000, route: 2)
        let report = reconcile(Town.input([a1, b1]))
        #expect(report.compensation == 1500 + 2000)
        #expect(report.lines.contains { $0.entries == [pending] })
        let resolved = report.exceptions(.pendingResolved)
        #expect(resolved.count == 1)
        #expect(resolved[0].entries == [pending, later])
        #expect(resolved[0].evidence.contains(.pendingOutcome("committed")))
        #expect(resolved[0].evidence.contains(.laterTap(entry: later, cardSequence: 6)))
    }

    /// The card's next tap reuses counter 5: the pending tap never reached the card.
    @Test func reusedCounterShowsNotCommitted() {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        let pending = a1.tap(card, counter: 5, at: Town.morning, confirm: nil)
        b1.tap(card, counter: 5, at: Town.morning + 3 * hour, fullFare: 2000, route: 2)
        let report = reconcile(Town.input([a1, b1]))
        #expect(report.compensation == 2000)
        #expect(!report.lines.contains { $0.entries.contains(pending) })
        #expect(report.exceptions(.pendingResolved).first?.evidence.contains(.pendingOutcome("not-committed")) == true)
        #expect(report.excluded.isEmpty)
    }

    /// No later tap, or one numbered further on (taps we do not hold came between): unknown,
    /// reported with the compensation at stake and left out of the lines.
    @Test(arguments: [nil, 8] as [UInt16?])
    func unsettledIsUnknownWithTheAmountAtStake(_ laterCounter: UInt16?) {
        var a1 = Bus(Town.busA1)
        var b1 = Bus(Town.busB1)
        let pending = a1.tap(card, counter: 5, at: Town.morning, confirm: nil)
        if let laterCounter { b1.tap(card, counter: laterCounter, at: Town.morning + 3 * hour, category: nil, entitlement: nil, fare: 1500) }
        let report = reconcile(Town.input([a1, b1]))
        #expect(!report.lines.contains { $0.entries.contains(pending) })
        #expect(report.excluded.map(\.reason) == [.pendingUnknown])
        #expect(report.excluded[0].amountAtStakeKopecks == 1500)
        let unknown = report.exceptions(.pendingUnknown)
        #expect(unknown.count == 1 && unknown[0].amountAtStakeKopecks == 1500 && unknown[0].device == Town.busA1)
        #expect(unknown[0].evidence.first == .pendingOutcome("unknown"))
    }

    /// A charge entry proves the commit even when the confirmation after it is not held.
    @Test func chargeWithoutConfirmationIsCommitted() {
        var bus = Bus(Town.busA1)
        bus.tap(card, counter: 1, at: Town.morning)
        // Drop the confirmation (the last entry): the held chain ends at the charge.
        bus.entries.removeLast()
        let report = reconcile(Town.input([bus]))
        #expect(report.compensation == 1500)
        #expect(report.exceptions(.pendingUnknown).isEmpty && report.exceptions(.pendingResolved).isEmpty)
    }

    @Test func resolutionRule() {
        let device: DeviceID = 1
        func tap(_ sequence: UInt64, _ counter: UInt16, _ time: Int64) -> CardTap {
            CardTap(reference: EntryReference(device: device, sequence: sequence), stamp: TripStamp(device: device, cardSequence: counter, time: UnixTime(time)))
        }
        let pending = tap(1, 65535, 100)
        // Counters wrap at 65536: the next record after 65535 is 0.
        #expect(resolvePending(pending, laterTapsOfCard: [tap(2, 0, 200)]).0 == .committed)
        #expect(resolvePending(pending, laterTapsOfCard: [tap(2, 65535, 200)]).0 == .notCommitted)
        // Earlier taps say nothing.
        #expect(resolvePending(pending, laterTapsOfCard: [tap(0, 0, 50)]).0 == .unknown)
        // A reuse anywhere later wins over a following number.
        #expect(resolvePending(pending, laterTapsOfCard: [tap(2, 0, 200), tap(3, 65535, 300)]).0 == .notCommitted)
    }

    @Test func pendingDetail() {
        let detail = PendingDetail("ride trip=17/42/1781503200 charges=benefit-use,purse-debit")
        #expect(detail?.purpose == "ride")
        #expect(detail?.trip == TripStamp(device: 17, cardSequence: 42, time: UnixTime(1_781_503_200)))
        #expect(detail?.charges == [.benefitUse, .purseDebit])
        #expect(PendingDetail("block trip=-")?.trip == nil)
        #expect(PendingDetail("block trip=-")?.purpose == "block")
        #expect(PendingDetail("ride trip=1/2/3 charges=teleport") == nil)
        #expect(PendingDetail("") == nil)
    }

    /// An ASCII detail is read byte by byte, any other by characters: both read the same parts,
    /// empty ones (doubled separators) skipped, a stamp only with exactly three fields.
    @Test func pendingDetailReadTheSameAsBytesAndAsCharacters() {
        let spaced = PendingDetail("  ride  trip=17//42/1781503200   charges=,benefit-use,,purse-debit, ")
        #expect(spaced?.purpose == "ride")
        #expect(spaced?.trip == TripStamp(device: 17, cardSequence: 42, time: UnixTime(1_781_503_200)))
        #expect(spaced?.charges == [.benefitUse, .purseDebit])
        // The same text with a non-ASCII part after it takes the character reading.
        let withLetters = PendingDetail("  ride  trip=17//42/1781503200   charges=,benefit-use,,purse-debit, примітка")
        #expect(withLetters == spaced)
        #expect(PendingDetail("ride trip=1/2/3/4")?.trip == nil)
        #expect(PendingDetail("ride trip=1/2/3/4 ї")?.trip == nil)
        #expect(PendingDetail("ride trip=1/70000/3")?.trip == nil)
        #expect(PendingDetail("ride trip=1/70000/3 ї")?.trip == nil)
        #expect(PendingDetail("ride charges=benefit-use,ride-accepted,purse-debit")?.charges == [.benefitUse, .rideAccepted, .purseDebit])
        #expect(PendingDetail("trip=1/2/3") == nil)
    }

    /// The byte reading parses plain digits itself and leaves signs to the standard reading:
    /// on signs, leading zeros, overflow, repeated parts and unusual charges both readings agree.
    @Test(arguments: [
        "ride trip=+17/-0/-1781503200 charges=benefit-use", "ride trip=-17/1/2", "ride trip=017/0042/01781503200",
        "ride trip=4294967296/1/1", "ride trip=4294967295/65535/9223372036854775807", "ride trip=1/1/9223372036854775808",
        "ride trip=1/1/-9223372036854775808", "ride trip=1/65536/1", "ride trip=1/2/3x", "ride trip=1/2/3 trip=x/y/z",
        "ride trip=1/2/3 trip=4/5/6", "ride charges=benefit-use charges=purse-debit", "block ride", "ride charges=purse-credit,benefit-use",
        "ride charges=ride-accepted", "ride charges=card-transaction-pending", "ride charges=benefit-use,teleport", "ride charges=",
        "ride trip=/// charges=,,", "rides trip=1/2/3", "ride trip=", "ride\ttrip=1/2/3", "ride charges=ride-accepted,purse-debit",
        "ride charges=benefit-use,purse-debit,ride-accepted,purse-debit", "ride charges=purse-credit,card-issued,benefit-use",
        "ride charges=purse-debit charges=benefit-use,ride-accepted",
    ])
    func pendingDetailReadAsBytesAgreesWithCharacters(_ text: String) {
        #expect(PendingDetail(text) == PendingDetail(text + " ї"))
    }

    @Test func pendingDetailReadsSignsAndSharedCharges() {
        #expect(PendingDetail("ride trip=+17/-0/-5")?.trip == TripStamp(device: 17, cardSequence: 0, time: UnixTime(-5)))
        #expect(PendingDetail("ride trip=1/1/9223372036854775808")?.trip == nil)
        #expect(PendingDetail("ride charges=purse-debit")?.charges == [.purseDebit])
        #expect(PendingDetail("ride charges=purse-credit,benefit-use")?.charges == [.purseCredit, .benefitUse])
        #expect(PendingDetail("ride charges=benefit-use,teleport") == nil)
        #expect(PendingDetail("ride charges=ride-accepted,purse-debit")?.charges == [.rideAccepted, .purseDebit])
        #expect(PendingDetail("ride charges=purse-debit charges=benefit-use,ride-accepted")?.charges == [.purseDebit, .benefitUse, .rideAccepted])
        #expect(PendingDetail("ride charges=purse-credit,card-issued")?.charges == [.purseCredit, .cardIssued])
    }
}
