import Entitlements
import Foundation
import Identifiers
import LedgerCore
import SocialCard
import TestBedSupport
import Testing
import Validator
import VirtualCard

/// The tearing invariant, APDU by APDU: a card pulled after every position k of an accepted
/// tap (or whose answer to APDU k is lost), then tapped again — the card and the ledger agree.
@Suite("Tearing a tap at every APDU", .serialized)
struct TearingEndToEndTests {
    enum Mode: String, CaseIterable, Sendable {
        /// The card leaves after answering k APDUs: APDU k+1 never reaches it.
        case tornAfter = "torn after"
        /// The card carries out APDU k but its answer is lost.
        case answerLost = "answer lost at"
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var grants: [TestCommunity.Grant]
        var purse: Int32
        var counted: EntitlementID?
        var testDescription: String { name }
    }

    static let scenarios = [
        Scenario(name: "counted benefit ride", grants: [.init(product: .rides(count: 30, per: .month), category: 1)], purse: 0, counted: 1),
        Scenario(name: "purse debit", grants: [.init(product: .storedValue, category: 100)], purse: 10_000, counted: nil),
    ]

    @Test("every APDU position, both ways of tearing: card and ledger agree after the next tap", arguments: [0, 1])
    func everyPosition(_ index: Int) async throws {
        let scenario = Self.scenarios[index]
        let community = try TestCommunity()
        let serial = CardSerial(0x7000 + UInt64(index))
        let card = try TestCard(number: UInt8(index), salt: 0x70)
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            let issuing = try ValidatorHarness(community: community)
            defer { issuing.removeFiles() }
            try await issuing.issue(card, try community.plan(serial: serial, grants: scenario.grants, purse: scenario.purse), on: reader)
            let issued = try card.snapshot()

            // The untorn tap gives the number of APDUs to tear at.
            let reference = try await issuing.tap(card, on: reader, at: Clock.now)
            #expect(reference.verdict == .accepted)
            let apdus = reference.apduCount
            #expect(apdus > 10)

            var outcomes: [String: Int] = [:]
            for mode in Mode.allCases {
                for k in 1...apdus {
                    try card.restore(issued)
                    let validator = try ValidatorHarness(community: community)
                    defer { validator.removeFiles() }
                    let torn: TapResult
                    switch mode {
                    case .tornAfter: torn = try await validator.tap(card, on: reader, at: Clock.now, tearAfterAPDUs: k)
                    case .answerLost: torn = try await validator.tap(card, on: reader, at: Clock.now, loseAnswerAt: k)
                    }
                    let fullyAnswered = mode == .tornAfter && k == apdus
                    #expect(torn.verdict == (fullyAnswered ? .accepted : torn.verdict), "\(mode.rawValue) \(k)")
                    if !fullyAnswered {
                        #expect(torn.verdict == .declined || torn.verdict == .uncertain, "\(mode.rawValue) \(k): \(torn)")
                    }
                    outcomes["\(torn.verdict.rawValue)", default: 0] += 1

                    // The card comes back a minute later.
                    let again = try await validator.tap(card, on: reader, at: Clock.later(60))
                    let committedBefore = torn.verdict == .accepted || (torn.verdict == .uncertain && again.verdict == .repeated)
                    #expect(again.verdict == (committedBefore ? .repeated : .accepted), "\(mode.rawValue) \(k): \(torn.reason) then \(again)")

                    let contents = try await validator.contents(of: card, on: reader)
                    let agreement = Agreement.check(
                        card: contents, entries: try validator.entries(), device: ValidatorHarness.deviceID,
                        purseIssued: Int(scenario.purse), countedEntitlement: scenario.counted)
                    #expect(agreement.holds, "\(mode.rawValue) \(k): \(agreement)")
                    #expect(agreement.ridesOnCard.count == 1, "\(mode.rawValue) \(k): exactly one ride: \(agreement)")
                    #expect(try validator.verify())
                }
            }
            print("tearing \(scenario.name): \(apdus) APDUs per tap; first-tap outcomes over \(2 * apdus) tears: \(outcomes)")
            #expect(outcomes["uncertain", default: 0] >= 1, "the lost commit answer must leave an explicit pending entry")
        }
    }
}
