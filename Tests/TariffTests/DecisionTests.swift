import Entitlements
import Identifiers
import Testing

@testable import Tariff

/// Shorthands so the tables read like the rules.
private typealias F = Fixture
private let kyivDay = F.date(2026, 6, 15)

@Suite("Refusals")
struct DenialTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let card: CardState
        let entitlements: [VerifiedEntitlement]
        var context = F.bus
        var tariff = F.tariff
        var denyList = DenyList.empty
        var now = F.now
        let reason: DenialReason
        var markBlocked = false
        let message: MessageKey
        var testDescription: String { name }
    }

    static let noPurseTariff = F.tariff.with { $0.purseWithoutEntitlement = false }

    static let rows: [Row] = [
        Row(name: "unknown layout version", card: F.cardState(purse: 10_000, layout: 9), entitlements: [],
            reason: .unknownLayoutVersion(9), message: .unknownLayoutVersion),
        Row(name: "card already blocked", card: F.cardState(purse: 10_000, blocked: true), entitlements: [F.verified(F.terms(1, .free))],
            reason: .cardBlocked, message: .cardBlocked),
        Row(name: "deny-listed card", card: F.cardState(purse: 10_000), entitlements: [F.verified(F.terms(1, .free))],
            denyList: try! DenyList(version: 3, entries: [.init(serial: F.card, reason: .stolen)]),
            reason: .denyListed(.stolen), markBlocked: true, message: .cardBlocked),
        Row(name: "no entitlement, purse not allowed", card: F.cardState(purse: 10_000), entitlements: [], tariff: noPurseTariff,
            reason: .noValidEntitlement, message: .noValidEntitlement),
        Row(name: "entitlement expired since it was verified", card: F.cardState(),
            entitlements: [F.verified(F.terms(1, .free, until: F.date(2026, 6, 14)))], tariff: noPurseTariff,
            reason: .noValidEntitlement, message: .noValidEntitlement),
        Row(name: "pass not started yet", card: F.cardState(),
            entitlements: [F.verified(F.terms(1, .pass(from: F.date(2026, 7, 1), through: F.date(2026, 7, 31))))], tariff: noPurseTariff,
            reason: .noValidEntitlement, message: .noValidEntitlement),
        Row(name: "outside the weekday window (Saturday)", card: F.cardState(),
            entitlements: [F.verified(F.terms(1, .free, windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))]))],
            tariff: noPurseTariff, now: F.utc(2026, 6, 13, 9, 0), reason: .outsideTimeWindow, message: .outsideTimeWindow),
        Row(name: "outside the window (05:59 Kyiv)", card: F.cardState(),
            entitlements: [F.verified(F.terms(1, .free, windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))]))],
            tariff: noPurseTariff, now: F.utc(2026, 6, 15, 2, 59), reason: .outsideTimeWindow, message: .outsideTimeWindow),
        Row(name: "route not covered", card: F.cardState(), entitlements: [F.verified(F.terms(1, .free, routes: [2]))],
            tariff: noPurseTariff, reason: .routeNotCovered, message: .routeNotCovered),
        Row(name: "zone not covered", card: F.cardState(), entitlements: [F.verified(F.terms(1, .free, zones: [2]))],
            tariff: noPurseTariff, reason: .routeNotCovered, message: .routeNotCovered),
        Row(name: "daily rides used up", card: F.cardState(counters: [UsageCounter(entitlementID: 1, periodStart: kyivDay, rides: 2)]),
            entitlements: [F.verified(F.terms(1, .rides(count: 2, per: .day)))], tariff: noPurseTariff,
            reason: .rideLimitReached(renewsOn: F.date(2026, 6, 16)), message: .rideLimitReached),
        Row(name: "weekly rides used up", card: F.cardState(counters: [UsageCounter(entitlementID: 1, periodStart: kyivDay, rides: 10)]),
            entitlements: [F.verified(F.terms(1, .rides(count: 10, per: .week)))], tariff: noPurseTariff,
            reason: .rideLimitReached(renewsOn: F.date(2026, 6, 22)), message: .rideLimitReached),
        Row(name: "monthly rides used up", card: F.cardState(counters: [UsageCounter(entitlementID: 1, periodStart: F.date(2026, 6, 1), rides: 40)]),
            entitlements: [F.verified(F.terms(1, .rides(count: 40, per: .month)))], tariff: noPurseTariff,
            reason: .rideLimitReached(renewsOn: F.date(2026, 7, 1)), message: .rideLimitReached),
        Row(name: "purse short of the full fare", card: F.cardState(purse: 1499), entitlements: [],
            reason: .insufficientFunds(balanceKopecks: 1499, fareKopecks: 1500), message: .insufficientFunds),
        Row(name: "empty purse, stored-value entitlement, no purse fallback", card: F.cardState(purse: 0),
            entitlements: [F.verified(F.terms(1, .storedValue, category: 100))], tariff: noPurseTariff,
            reason: .insufficientFunds(balanceKopecks: 0, fareKopecks: 1500), message: .insufficientFunds),
        Row(name: "purse short of the discounted fare", card: F.cardState(purse: 749),
            entitlements: [F.verified(F.terms(1, .discount(percent: 50), category: 10))],
            reason: .insufficientFunds(balanceKopecks: 749, fareKopecks: 750), message: .insufficientFunds),
        Row(name: "rides used up and purse short: the purse is the remedy", card: F.cardState(purse: 100, counters: [UsageCounter(entitlementID: 1, periodStart: kyivDay, rides: 1)]),
            entitlements: [F.verified(F.terms(1, .rides(count: 1, per: .day)))],
            reason: .insufficientFunds(balanceKopecks: 100, fareKopecks: 1500), message: .insufficientFunds),
        Row(name: "suburban route fare", card: F.cardState(purse: 1999), entitlements: [], context: F.otherBus,
            reason: .insufficientFunds(balanceKopecks: 1999, fareKopecks: 2000), message: .insufficientFunds),
        Row(name: "entitlements of another card are never used", card: F.cardState(),
            entitlements: [F.verified(F.terms(1, .free, card: 0x1234))], tariff: noPurseTariff,
            reason: .noValidEntitlement, message: .noValidEntitlement),
    ]

    @Test(arguments: rows)
    func refused(_ row: Row) throws {
        let decision = F.decideTap(row.card, row.entitlements, context: row.context, tariff: row.tariff, denyList: row.denyList, now: row.now)
        let denial = try #require(decision.denial, "expected a refusal, got \(decision)")
        #expect(denial.reason == row.reason)
        #expect(denial.markCardBlocked == row.markBlocked)
        #expect(denial.message.key == row.message)
        #expect(!denial.message.uk.isEmpty && !denial.message.en.isEmpty)
        #expect(denial.message.uk != denial.message.en)
    }

    @Test func everyDenialReasonHasARow() {
        let codes = Set(Self.rows.map(\.reason.code))
        #expect(codes == ["unknown-layout-version", "card-blocked", "deny-listed", "no-valid-entitlement", "outside-time-window",
            "route-not-covered", "ride-limit-reached", "insufficient-funds"])
    }
}

@Suite("Acceptances")
struct AcceptanceTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let card: CardState
        let entitlements: [VerifiedEntitlement]
        var context = F.bus
        var now = F.now
        let fare: Int
        let entitlement: EntitlementID?
        var counter: UsageCounter? = nil
        var ridesLeft: Int? = nil
        var kind = AcceptanceKind.ride
        let message: MessageKey
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "free benefit", card: F.cardState(), entitlements: [F.verified(F.terms(1, .free, category: 2))],
            fare: 0, entitlement: 1, message: .acceptedFree),
        Row(name: "pass in its dates", card: F.cardState(),
            entitlements: [F.verified(F.terms(4, .pass(from: F.date(2026, 6, 1), through: F.date(2026, 6, 30)), category: 10))],
            fare: 0, entitlement: 4, message: .acceptedPass),
        Row(name: "first counted ride of the day", card: F.cardState(), entitlements: [F.verified(F.terms(2, .rides(count: 2, per: .day)))],
            fare: 0, entitlement: 2, counter: UsageCounter(entitlementID: 2, periodStart: kyivDay, rides: 1), ridesLeft: 1,
            message: .acceptedCountedRide),
        Row(name: "last counted ride of the day", card: F.cardState(counters: [UsageCounter(entitlementID: 2, periodStart: kyivDay, rides: 1)]),
            entitlements: [F.verified(F.terms(2, .rides(count: 2, per: .day)))],
            fare: 0, entitlement: 2, counter: UsageCounter(entitlementID: 2, periodStart: kyivDay, rides: 2), ridesLeft: 0,
            message: .acceptedCountedRide),
        Row(name: "yesterday's counter starts again", card: F.cardState(counters: [UsageCounter(entitlementID: 2, periodStart: F.date(2026, 6, 14), rides: 2)]),
            entitlements: [F.verified(F.terms(2, .rides(count: 2, per: .day)))],
            fare: 0, entitlement: 2, counter: UsageCounter(entitlementID: 2, periodStart: kyivDay, rides: 1), ridesLeft: 1,
            message: .acceptedCountedRide),
        Row(name: "weekly counter keyed by Monday", card: F.cardState(counters: [UsageCounter(entitlementID: 2, periodStart: kyivDay, rides: 3)]),
            entitlements: [F.verified(F.terms(2, .rides(count: 5, per: .week)))], now: F.utc(2026, 6, 21, 20, 0),  // Sunday 23:00 Kyiv
            fare: 0, entitlement: 2, counter: UsageCounter(entitlementID: 2, periodStart: kyivDay, rides: 4), ridesLeft: 1,
            message: .acceptedCountedRide),
        Row(name: "50% discount paid from the purse", card: F.cardState(purse: 2000),
            entitlements: [F.verified(F.terms(3, .discount(percent: 50), category: 10))],
            fare: 750, entitlement: 3, message: .acceptedDiscount),
        Row(name: "100% discount needs no money", card: F.cardState(purse: 0),
            entitlements: [F.verified(F.terms(3, .discount(percent: 100), category: 10))],
            fare: 0, entitlement: 3, message: .acceptedDiscount),
        Row(name: "stored value, full fare", card: F.cardState(purse: 1500), entitlements: [F.verified(F.terms(5, .storedValue, category: 100))],
            fare: 1500, entitlement: 5, message: .acceptedFullFare),
        Row(name: "no entitlement, purse pays", card: F.cardState(purse: 5000), entitlements: [],
            fare: 1500, entitlement: nil, message: .acceptedFullFare),
        Row(name: "suburban route fare", card: F.cardState(purse: 5000), entitlements: [], context: F.otherBus,
            fare: 2000, entitlement: nil, message: .acceptedFullFare),
        Row(name: "route-limited benefit on its route", card: F.cardState(), entitlements: [F.verified(F.terms(1, .free, routes: [1, 2]))],
            fare: 0, entitlement: 1, message: .acceptedFree),
        Row(name: "inside the weekday window (06:00 Kyiv, summer)", card: F.cardState(),
            entitlements: [F.verified(F.terms(1, .free, windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))]))],
            now: F.utc(2026, 6, 15, 3, 0), fare: 0, entitlement: 1, message: .acceptedFree),
        Row(name: "an expired free benefit gives way to the purse", card: F.cardState(purse: 1500),
            entitlements: [F.verified(F.terms(1, .free, until: F.date(2026, 6, 14)))],
            fare: 1500, entitlement: nil, message: .acceptedFullFare),
    ]

    @Test(arguments: rows)
    func accepted(_ row: Row) throws {
        let decision = F.decideTap(row.card, row.entitlements, context: row.context, now: row.now)
        let acceptance = try #require(decision.acceptance, "expected an acceptance, got \(decision)")
        #expect(acceptance.kind == row.kind)
        #expect(acceptance.fareKopecks == row.fare)
        #expect(acceptance.purseDebitKopecks == row.fare)
        #expect(acceptance.purseBalanceAfterKopecks == row.card.purseKopecks - row.fare)
        #expect(acceptance.entitlement?.id == row.entitlement)
        #expect(acceptance.counterUpdate == row.counter)
        #expect(acceptance.ridesLeft == row.ridesLeft)
        #expect(acceptance.message.key == row.message)
        let record = try #require(acceptance.tripRecord)
        #expect(record.time == row.now)
        #expect(record.vehicleID == row.context.vehicleID)
        #expect(record.route == row.context.route)
        #expect(record.fareKopecks == row.fare)
        #expect(record.fullFareKopecks == F.tariff.fullFare(on: row.context.route))
        #expect(record.entitlementID == row.entitlement)
        #expect(record.category == acceptance.entitlement?.category)
    }
}

@Suite("Choosing the best entitlement")
struct RankingTests {
    static let free = F.verified(F.terms(1, .free, category: 2))
    static let pass = F.verified(F.terms(2, .pass(from: F.date(2026, 6, 1), through: F.date(2026, 6, 30)), category: 10))
    static let rides = F.verified(F.terms(3, .rides(count: 2, per: .day)))
    static let discount = F.verified(F.terms(4, .discount(percent: 50), category: 10))
    static let stored = F.verified(F.terms(5, .storedValue, category: 100))

    static let kindRows: [([VerifiedEntitlement], EntitlementID)] = [
        ([stored, discount, rides, pass, free], 1),
        ([stored, discount, rides, pass], 2),
        ([stored, discount, rides], 3),
        ([stored, discount], 4),
        ([stored], 5),
    ]

    @Test(arguments: kindRows)
    func kindOrderWins(entitlements: [VerifiedEntitlement], expected: EntitlementID) throws {
        // The order read from the card never matters.
        for order in [entitlements, entitlements.reversed(), entitlements.shuffled()] {
            let acceptance = try #require(F.decideTap(F.cardState(purse: 5000), order).acceptance)
            #expect(acceptance.entitlement?.id == expected)
        }
    }

    @Test func higherPriorityThenLowerIDWithinAKind() throws {
        let low = F.verified(F.terms(8, .discount(percent: 20), priority: 1))
        let high = F.verified(F.terms(9, .discount(percent: 10), priority: 5))
        let twin = F.verified(F.terms(7, .discount(percent: 10), priority: 5))
        #expect(F.decideTap(F.cardState(purse: 5000), [low, high]).acceptance?.entitlement?.id == 9)
        #expect(F.decideTap(F.cardState(purse: 5000), [high, low, twin]).acceptance?.entitlement?.id == 7)
    }

    @Test func usedUpRidesFallThroughToTheDiscount() throws {
        let card = F.cardState(purse: 5000, counters: [UsageCounter(entitlementID: 3, periodStart: kyivDay, rides: 2)])
        let acceptance = try #require(F.decideTap(card, [Self.rides, Self.discount]).acceptance)
        #expect(acceptance.entitlement?.id == 4)
        #expect(acceptance.fareKopecks == 750)
        #expect(acceptance.counterUpdate == nil)
    }

    @Test func aClosedWindowFallsThroughToTheNextEntitlement() throws {
        let nightOnly = F.verified(F.terms(1, .free, windows: [TimeWindow(weekdays: .everyDay, from: (22, 0), until: (6, 0))]))
        let acceptance = try #require(F.decideTap(F.cardState(purse: 5000), [nightOnly, Self.discount]).acceptance)
        #expect(acceptance.entitlement?.id == 4)
    }
}

@Suite("Anti-passback and transfers")
struct PassbackAndTransferTests {
    @Test(arguments: [
        (Int64(1), true), (60, true), (179, true), (180, false), (600, false),
        (-30, false),  // a trip stamped in the future by a wrong clock is ignored
    ])
    func sameVehicleWithinTheWindowIsARepeat(secondsAgo: Int64, isRepeat: Bool) throws {
        let card = F.cardState(purse: 5000, trips: [F.trip(at: F.now.adding(seconds: -secondsAgo))])
        let acceptance = try #require(F.decideTap(card).acceptance)
        if isRepeat {
            #expect(acceptance.kind == .repeatTap)
            #expect(acceptance.fareKopecks == 0)
            #expect(acceptance.purseBalanceAfterKopecks == 5000)
            #expect(acceptance.tripRecord == nil)
            #expect(acceptance.counterUpdate == nil)
            #expect(acceptance.message.key == .repeatTap)
        } else {
            #expect(acceptance.kind != .repeatTap)
            #expect(acceptance.fareKopecks > 0)
        }
    }

    @Test func aRepeatNeverSpendsACountedRide() throws {
        let rides = F.verified(F.terms(3, .rides(count: 2, per: .day)))
        let card = F.cardState(counters: [UsageCounter(entitlementID: 3, periodStart: kyivDay, rides: 1)], trips: [F.trip(at: F.now.adding(seconds: -20), fare: 0, entitlement: 3)])
        let acceptance = try #require(F.decideTap(card, [rides]).acceptance)
        #expect(acceptance.kind == .repeatTap)
        #expect(acceptance.counterUpdate == nil)
    }

    @Test func aBlockedCardIsRefusedEvenOnARepeat() {
        let card = F.cardState(purse: 5000, blocked: true, trips: [F.trip(at: F.now.adding(seconds: -20))])
        #expect(F.decideTap(card).denial?.reason == .cardBlocked)
    }

    struct TransferRow: CustomTestStringConvertible, Sendable {
        let name: String
        let trips: [TripRecord]
        var entitlements: [VerifiedEntitlement] = []
        var rule: TransferRule? = TransferRule(windowSeconds: 2700, farePercent: 50)
        let kind: AcceptanceKind
        let fare: Int
        var counter: UsageCounter? = nil
        var testDescription: String { name }
    }

    static let transferRows: [TransferRow] = [
        TransferRow(name: "other bus within the window", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)], kind: .transfer, fare: 750),
        TransferRow(name: "other bus just inside", trips: [F.trip(at: F.now.adding(seconds: -2699), on: F.otherBus)], kind: .transfer, fare: 750),
        TransferRow(name: "other bus at the window's end", trips: [F.trip(at: F.now.adding(seconds: -2700), on: F.otherBus)], kind: .ride, fare: 1500),
        TransferRow(name: "after a transfer: no chaining", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus, kind: .transfer)], kind: .ride, fare: 1500),
        TransferRow(name: "after a transfer: chaining allowed", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus, kind: .transfer)],
            rule: TransferRule(windowSeconds: 2700, farePercent: 50, allowsChaining: true), kind: .transfer, fare: 750),
        TransferRow(name: "no transfer rule", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)], rule: nil, kind: .ride, fare: 1500),
        TransferRow(name: "free transfer", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)],
            rule: TransferRule(windowSeconds: 2700, farePercent: 0), kind: .transfer, fare: 0),
        TransferRow(name: "discount applies to the transfer fare", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)],
            entitlements: [F.verified(F.terms(4, .discount(percent: 50), category: 10))], kind: .transfer, fare: 375),
        TransferRow(name: "a free transfer spends no counted ride", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)],
            entitlements: [F.verified(F.terms(3, .rides(count: 2, per: .day)))], rule: TransferRule(windowSeconds: 2700, farePercent: 0),
            kind: .transfer, fare: 0, counter: nil),
        TransferRow(name: "a paid transfer still prefers a counted ride", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)],
            entitlements: [F.verified(F.terms(3, .rides(count: 2, per: .day)))], kind: .ride, fare: 0,
            counter: UsageCounter(entitlementID: 3, periodStart: kyivDay, rides: 1)),
        TransferRow(name: "a free benefit is a plain ride", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus)],
            entitlements: [F.verified(F.terms(1, .free))], kind: .ride, fare: 0),
        TransferRow(name: "only the latest trip counts", trips: [F.trip(at: F.now.adding(seconds: -600), on: F.otherBus, kind: .transfer), F.trip(at: F.now.adding(seconds: -1200), on: F.otherBus)],
            kind: .ride, fare: 1500),
    ]

    @Test(arguments: transferRows)
    func transfers(_ row: TransferRow) throws {
        let tariff = F.tariff.with { $0.transfer = row.rule }
        let card = F.cardState(purse: 5000, trips: row.trips)
        let acceptance = try #require(F.decideTap(card, row.entitlements, tariff: tariff).acceptance)
        #expect(acceptance.kind == row.kind)
        #expect(acceptance.fareKopecks == row.fare)
        #expect(acceptance.counterUpdate == row.counter)
        let record = try #require(acceptance.tripRecord)
        #expect(record.kind == (row.kind == .transfer ? .transfer : .ride))
        if row.kind == .transfer {
            #expect(acceptance.message.key == .acceptedTransfer)
            // The fare due before benefits is the transfer fare: that is what compensation is measured against.
            #expect(record.fullFareKopecks == tariff.discountRounding.discounted(1500, percent: 100 - (row.rule?.farePercent ?? 100)))
        }
    }
}
