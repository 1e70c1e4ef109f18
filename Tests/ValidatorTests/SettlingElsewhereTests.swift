import Entitlements
import Foundation
import Identifiers
import LedgerCore
import SocialCard
import TestBedSupport
import Testing
import Validator
import VirtualCard

/// A torn tap on validator 1, then rides on validator 2 (another bus, its own ledger), then the
/// card back on validator 1: the pending entry is settled the way the card's trip log proves,
/// though its record is no longer the newest.
@Suite("Settling a torn tap after rides on another bus", .serialized)
struct SettlingElsewhereTests {
    enum Tear: String, CaseIterable, Sendable {
        /// CommitTransaction never reaches the card: nothing committed, the pending entry open.
        case commitNotSent = "torn before the commit"
        /// The card commits but its answer is lost: committed, the pending entry open.
        case commitAnswerLost = "commit answer lost"
    }

    @Test("each tear around CommitTransaction, 1 or 3 rides on validator 2, back on validator 1", arguments: [1, 3])
    func settledAfterRidesElsewhere(ridesElsewhere: Int) async throws {
        let community = try TestCommunity()
        var tariff = community.tariff
        tariff.antiPassbackSeconds = 0
        tariff.transfer = nil
        let serial = CardSerial(0x7A00 + UInt64(ridesElsewhere))
        let card = try TestCard(number: UInt8(ridesElsewhere), salt: 0x7A)
        defer { card.remove() }
        let purse: Int32 = 0
        let grants: [TestCommunity.Grant] = [.init(product: .rides(count: 30, per: .month), category: 1)]
        try await TestBed.shared.withReader { reader in
            let issuing = try ValidatorHarness(community: community, tariff: tariff)
            defer { issuing.removeFiles() }
            try await issuing.issue(card, try community.plan(serial: serial, grants: grants, purse: purse), on: reader)
            let issued = try card.snapshot()
            // An ordinary tap: its APDUs are what every tap without an open pending entry takes.
            let reference = try await issuing.tap(card, on: reader, at: Clock.now)
            #expect(reference.verdict == .accepted)
            let ordinaryAPDUs = reference.apduCount

            for tear in Tear.allCases {
                let step = "\(tear.rawValue), \(ridesElsewhere) rides elsewhere"
                try card.restore(issued)
                let first = try ValidatorHarness(community: community, tariff: tariff, deviceID: 7001)
                let second = try ValidatorHarness(community: community, tariff: tariff, vehicle: 18, deviceID: 7002)
                defer {
                    first.removeFiles()
                    second.removeFiles()
                }
                let torn: TapResult
                switch tear {
                case .commitNotSent: torn = try await first.tap(card, on: reader, at: Clock.now, tearAfterAPDUs: ordinaryAPDUs - 1)
                case .commitAnswerLost: torn = try await first.tap(card, on: reader, at: Clock.now, loseAnswerAt: ordinaryAPDUs)
                }
                #expect(torn.verdict == .uncertain, "\(step): \(torn)")
                let pending = try #require(
                    try first.entries().filter { $0.record.kind == .cardTransactionPending }.compactMap(PendingTransaction.init(entry:)).first,
                    "\(step): no pending entry")
                let trip = try #require(pending.trip)
                let afterTear = try await first.contents(of: card, on: reader)
                let committed = Self.rides(afterTear).contains(trip)
                #expect(committed == (tear == .commitAnswerLost), "\(step): the card went the other way")

                // The other bus: ordinary taps there, no extra APDU.
                for ride in 0..<ridesElsewhere {
                    let elsewhere = try await second.tap(card, on: reader, at: Clock.later(60 * Int64(ride + 1)))
                    #expect(elsewhere.verdict == .accepted, "\(step): ride \(ride) elsewhere: \(elsewhere)")
                    #expect(elsewhere.apduCount == ordinaryAPDUs, "\(step): an ordinary tap took \(elsewhere.apduCount) APDUs, not \(ordinaryAPDUs)")
                }
                let beforeReturn = try await first.contents(of: card, on: reader)
                let newest = try #require(beforeReturn.trips.last)
                let behind = Int(UInt16(truncatingIfNeeded: newest.sequence) &- trip.cardSequence)

                // Back on the first bus: its pending entry is settled from the card's log.
                let back = try await first.tap(card, on: reader, at: Clock.later(3_600))
                #expect(back.verdict == .accepted, "\(step): \(back)")
                #expect(back.resolvedPending == 1, "\(step): the pending entry was not settled: \(back)")
                if behind == 0 {
                    // The newest record settles it: nothing more is read.
                    #expect(back.apduCount == ordinaryAPDUs, "\(step): \(back.apduCount) APDUs")
                } else {
                    #expect(back.apduCount > ordinaryAPDUs, "\(step): the log was not read back (\(back.apduCount) APDUs)")
                }

                let contents = try await first.contents(of: card, on: reader)
                let firstLedger = Agreement.check(
                    card: contents, entries: try first.entries(), device: DeviceID(7001), purseIssued: Int(purse), countedEntitlement: 1)
                let secondLedger = Agreement.check(
                    card: contents, entries: try second.entries(), device: DeviceID(7002), purseIssued: Int(purse), countedEntitlement: 1)
                #expect(firstLedger.ridesConfirmed.contains(trip) == committed, "\(step): \(firstLedger)")
                #expect(firstLedger.ridesAbandoned.contains(trip) == !committed, "\(step): \(firstLedger)")
                for (name, agreement) in [("first", firstLedger), ("second", secondLedger)] {
                    #expect(agreement.openPending == 0, "\(step): \(name): \(agreement)")
                    #expect(agreement.ridesOnCard == agreement.ridesConfirmed, "\(step): \(name): \(agreement)")
                    #expect(agreement.chargeEntries == agreement.ridesConfirmed.count, "\(step): \(name): \(agreement)")
                }
                // Both ledgers together account for every counted ride on the card.
                #expect(
                    contents.counters.reduce(0) { $0 + ($1.entitlementID == 1 ? $1.ridesUsed : 0) }
                        == firstLedger.countedRidesInLedger + secondLedger.countedRidesInLedger, "\(step)")
                #expect(try first.verify() && second.verify(), "\(step)")
            }
        }
    }

    static func rides(_ contents: SocialCardContents) -> Set<TripIdentity> {
        Set(contents.trips.filter { $0.kind == "entry" || $0.kind == "transfer" }.map {
            TripIdentity(deviceID: DeviceID($0.deviceID), cardSequence: UInt16($0.sequence), time: $0.time)
        })
    }
}
