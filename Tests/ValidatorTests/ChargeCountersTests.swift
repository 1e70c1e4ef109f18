import Entitlements
import Identifiers
import LedgerCore
import Testing
import Validator

/// The card's tap counter on a ride's charge entries (format 2, docs/ledger-format.md,
/// "Card counters on a ride"): what reconciliation's counter rule reads.
@Suite struct ChargeCountersTests {
    let trip = TripIdentity(deviceID: 17, cardSequence: 41, time: UnixTime(1_800_000_000))

    func pending(trip: TripIdentity?) -> PendingTransaction {
        PendingTransaction(
            purpose: .ride, card: 0x00AA_0000_0000_0001, layout: 2, time: UnixTime(1_800_000_000), trip: trip, charges: [.benefitUse, .purseDebit],
            entitlement: 5, category: 3, fareKopecks: 750, fullFareKopecks: 1500, purseBalanceAfterKopecks: 4250, route: 7, vehicle: 11, sequence: 9)
    }

    @Test func everyChargeOfARideCarriesTheTripsCardSequence() throws {
        let charges = pending(trip: trip).chargeRecords
        #expect(charges.map(\.kind) == [.benefitUse, .purseDebit])
        #expect(charges.allSatisfy { $0.cardCounters == CardCounters(tripSequence: 41) && $0.relatedSequence == 9 })
        // Written as format 2, and read back the same from the bytes.
        var head = ChainHead.genesis(for: 17)
        for record in charges {
            let entry = try head.seal(record)
            #expect(entry.canonicalBytes[0] == 2)
            #expect(try LedgerEntry(canonicalBytes: entry.canonicalBytes).record.cardCounters?.tripSequence == 41)
            head = ChainHead(after: entry)
        }
    }

    @Test func thePendingEntryItselfStaysFormatOne() throws {
        let record = pending(trip: trip).record
        #expect(record.cardCounters == nil && record.format == 1)
        // A charge rebuilt later from the pending entry alone carries the same counter.
        let entry = try ChainHead(deviceID: 17, sequence: 8, hash: .genesis(for: 17)).seal(record)
        #expect(PendingTransaction(entry: entry)?.chargeRecords.first?.cardCounters?.tripSequence == 41)
    }
}
