import Entitlements
import Identifiers
import PropertyBased
import PropertyTesting
import Testing

@testable import Tariff

private typealias F = Fixture

/// Invariants of `decide` over random cards, entitlements, places and times.
@Suite("Decision properties")
struct DecisionPropertyTests {
    /// A pool of verified entitlements to draw from (signing is the slow part, so done once).
    static let pool: [VerifiedEntitlement] = [
        F.verified(F.terms(1, .free, category: 2)),
        F.verified(F.terms(2, .pass(from: F.date(2026, 6, 1), through: F.date(2026, 6, 30)), category: 10)),
        F.verified(F.terms(3, .rides(count: 2, per: .day))),
        F.verified(F.terms(4, .rides(count: 5, per: .week), windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))])),
        F.verified(F.terms(5, .discount(percent: 50), category: 10, routes: [2])),
        F.verified(F.terms(6, .discount(percent: 33), category: 1, zones: [1])),
        F.verified(F.terms(7, .storedValue, category: 100)),
        F.verified(F.terms(8, .rides(count: 40, per: .month), category: 1, priority: 3)),
    ]

    struct Scenario: Sendable, CustomStringConvertible {
        var card: CardState
        var entitlements: [VerifiedEntitlement]
        var context: TapContext
        var tariff: Tariff
        var denyList: DenyList
        var now: UnixTime
        var description: String { "card \(card), entitlements \(entitlements.map(\.terms.id)), \(context), now \(now)" }
    }

    static let scenarios = Generator<Scenario, Shrink.None<Scenario>> { rng in
        let now = F.utc(2026, 6, 1).adding(seconds: Int64.random(in: 0..<(30 * 86_400), using: &rng))
        let contexts = [F.bus, F.otherBus, TapContext(deviceID: 503, vehicleID: 13, route: 9, zone: 3)]
        var trips: [TripRecord] = []
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            trips.append(F.trip(
                at: now.adding(seconds: -Int64.random(in: -60...7200, using: &rng)), on: contexts.randomElement(using: &rng)!,
                kind: Bool.random(using: &rng) ? .ride : .transfer))
        }
        let local = F.tariff.timeZone.local(at: now).date
        var counters: [UsageCounter] = []
        for id in [3, 4, 8] where Bool.random(using: &rng) {
            let period: RidePeriod = id == 3 ? .day : id == 4 ? .week : .month
            let start = Bool.random(using: &rng) ? period.start(containing: local) : local.adding(days: -Int.random(in: 1...40, using: &rng))
            counters.append(UsageCounter(entitlementID: EntitlementID(UInt32(id)), periodStart: start, rides: UInt16.random(in: 0...45, using: &rng)))
        }
        let card = CardState(
            serial: F.card, layoutVersion: Int.random(in: 0..<20, using: &rng) == 0 ? 2 : 1, isBlocked: Int.random(in: 0..<20, using: &rng) == 0,
            purseKopecks: Int.random(in: 0...4000, using: &rng), counters: counters, recentTrips: trips)
        let entitlements = pool.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }.shuffled(using: &rng)
        var tariff = F.tariff
        tariff.purseWithoutEntitlement = Bool.random(using: &rng)
        tariff.transfer = Bool.random(using: &rng) ? TransferRule(windowSeconds: 2700, farePercent: Int.random(in: 0...100, using: &rng)) : nil
        tariff.discountRounding = FareRounding(unitKopecks: [1, 10, 50].randomElement(using: &rng)!, mode: FareRounding.Mode.allCases.randomElement(using: &rng)!)
        let denyList = Int.random(in: 0..<20, using: &rng) == 0 ? try! DenyList(version: 1, entries: [.init(serial: F.card, reason: .lost)]) : .empty
        return Scenario(card: card, entitlements: entitlements, context: contexts.randomElement(using: &rng)!, tariff: tariff, denyList: denyList, now: now)
    }

    @Test func invariantsHold() async {
        await propertyCheck(count: 3000, input: Self.scenarios) { s in
            let decision = decide(card: s.card, entitlements: s.entitlements, context: s.context, tariff: s.tariff, denyList: s.denyList, now: s.now)
            // Deterministic and independent of the order the card lists its entitlements in.
            let reordered = decide(card: s.card, entitlements: s.entitlements.reversed(), context: s.context, tariff: s.tariff, denyList: s.denyList, now: s.now)
            #expect(decision == reordered)

            if s.denyList.reason(for: s.card.serial) != nil || s.card.isBlocked || s.card.layoutVersion != 1 {
                #expect(decision.denial != nil)
            }
            #expect(decision.denial?.markCardBlocked ?? false == (decision.denial?.reason == .denyListed(.lost)))

            guard let acceptance = decision.acceptance else { return }
            let fullFare = s.tariff.fullFare(on: s.context.route)
            // Money: never negative, never more than the full fare, never below zero in the purse.
            #expect(acceptance.fareKopecks >= 0 && acceptance.fareKopecks <= fullFare)
            #expect(acceptance.purseDebitKopecks == acceptance.fareKopecks)
            #expect(acceptance.purseBalanceAfterKopecks == s.card.purseKopecks - acceptance.fareKopecks)
            #expect(acceptance.purseBalanceAfterKopecks >= 0)
            // Only this card's own, in-date entitlements are used.
            if let used = acceptance.entitlement {
                #expect(s.entitlements.contains { $0.terms == used })
                #expect(used.isValid(on: s.tariff.timeZone.local(at: s.now).date))
                #expect(used.covers(route: s.context.route, zone: s.context.zone))
            }
            // Counters move by exactly one ride and never past the allowance.
            if let counter = acceptance.counterUpdate {
                guard case .rides(let count, let period) = acceptance.entitlement?.product else {
                    Issue.record("counter update without a counted entitlement")
                    return
                }
                #expect(counter.rides <= count)
                let periodStart = period.start(containing: s.tariff.timeZone.local(at: s.now).date)
                #expect(counter.periodStart == periodStart)
                let before = s.card.counters.first { $0.entitlementID == counter.entitlementID && $0.periodStart == periodStart }?.rides ?? 0
                #expect(counter.rides == before + 1)
            }
            switch acceptance.kind {
            case .repeatTap:
                #expect(acceptance.tripRecord == nil && acceptance.fareKopecks == 0 && acceptance.counterUpdate == nil)
                #expect(s.card.recentTrips.contains { $0.vehicleID == s.context.vehicleID })
            case .ride, .transfer:
                let record = acceptance.tripRecord
                #expect(record?.time == s.now)
                #expect(record?.fareKopecks == acceptance.fareKopecks)
                #expect(record?.kind == (acceptance.kind == .transfer ? .transfer : .ride))
            }
        }
    }

    @Test func verifyAndDecideSkipsForgedEntitlements() throws {
        let good = try F.terms(1, .discount(percent: 50), category: 10).signed(with: F.deskKey)
        let forgedTerms = F.terms(2, .free, category: 2)
        let forged = Entitlement(terms: forgedTerms, signature: try forgedTerms.signed(with: F.rootKey).signature)
        let outcome = verifyAndDecide(
            card: F.cardState(purse: 1000), entitlements: [forged, good], trust: F.trust, context: F.bus, tariff: F.tariff,
            denyList: .empty, now: F.now)
        #expect(outcome.rejected == [EntitlementRejectionRecord(entitlementID: 2, rejection: .badSignature)])
        let acceptance = try #require(outcome.decision.acceptance)
        #expect(acceptance.entitlement?.id == 1)
        #expect(acceptance.fareKopecks == 750)
    }
}

/// `decide` over absurd values a damaged card or an unvalidated tariff could carry: it must not trap.
@Suite("Decision robustness")
struct DecisionRobustnessTests {
    static func extreme(_ rng: inout some RandomNumberGenerator) -> Int64 {
        [Int64.min, Int64.min + 1, -1, 0, 1, Int64(UInt32.max), Int64.max - 1, Int64.max, Int64.random(in: .min ... .max, using: &rng)]
            .randomElement(using: &rng)!
    }

    @Test func extremeValuesNeverTrap() {
        var rng = SeededGenerator(seed: 0x7A81FF)
        for _ in 0..<5000 {
            let now = UnixTime(Self.extreme(&rng))
            let trips = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                TripRecord(
                    time: UnixTime(Self.extreme(&rng)), deviceID: 1, vehicleID: VehicleID(UInt32.random(in: 10...12, using: &rng)), route: 1, zone: 1,
                    entitlementID: nil, category: nil, fareKopecks: Int.random(in: .min ... .max, using: &rng),
                    fullFareKopecks: Int.random(in: .min ... .max, using: &rng), kind: Bool.random(using: &rng) ? .ride : .transfer)
            }
            let counters = [3, 4, 8].map {
                UsageCounter(entitlementID: EntitlementID(UInt32($0)), periodStart: CivilDate(daysSinceEpoch: Int32.random(in: .min ... .max, using: &rng)),
                    rides: UInt16.random(in: .min ... .max, using: &rng))
            }
            let card = CardState(
                serial: F.card, layoutVersion: 1, isBlocked: false, purseKopecks: [Int.min, -1, 0, Int.max, Int.random(in: .min ... .max, using: &rng)].randomElement(using: &rng)!,
                counters: counters, recentTrips: trips)
            var tariff = F.tariff
            tariff.baseFareKopecks = [Int.min, -1, 0, 1500, Int.max].randomElement(using: &rng)!
            tariff.antiPassbackSeconds = [Int.min, 0, 180, Int.max].randomElement(using: &rng)!
            tariff.transfer = TransferRule(windowSeconds: [Int.min, 0, 2700, Int.max].randomElement(using: &rng)!, farePercent: [Int.min, -1, 0, 50, 101, Int.max].randomElement(using: &rng)!)
            tariff.discountRounding = FareRounding(unitKopecks: [Int.min, 0, 1, 50, Int.max].randomElement(using: &rng)!, mode: FareRounding.Mode.allCases.randomElement(using: &rng)!)
            tariff.timeZone.standardOffsetSeconds = [Int32.min, 0, 7200, Int32.max].randomElement(using: &rng)!
            let decision = decide(
                card: card, entitlements: DecisionPropertyTests.pool, context: F.bus, tariff: tariff, denyList: .empty, now: now)
            if let acceptance = decision.acceptance {
                #expect(acceptance.fareKopecks >= 0)
                #expect(acceptance.fareKopecks == 0 || acceptance.fareKopecks <= card.purseKopecks)
            }
        }
    }
}
