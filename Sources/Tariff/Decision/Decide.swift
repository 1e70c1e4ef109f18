import Entitlements
import Identifiers

/// Decides a tap: accept (with the fare, the entitlement used and everything to write) or deny (with why).
///
/// `entitlements` must already have passed `TrustStore.verify` for this card; the type makes that
/// impossible to forget. Signature checks are kept out of the decision so that a validator can
/// verify a card's entitlements once per tap (or cache them per card while it stays in the field)
/// and so that this function stays pure arithmetic over small arrays: no crypto, no I/O, no clock.
/// `verifyAndDecide` does both steps for callers that want one call.
///
/// The rules, in order (docs/tariff.md gives the reasoning):
/// 1. a layout version the tariff does not accept is refused;
/// 2. a card whose blocked flag is set is refused;
/// 3. a deny-listed card is refused and the validator told to set its blocked flag;
/// 4. the same card on the same vehicle within the anti-passback window is accepted again with
///    no charge and nothing written;
/// 5. a ride within the transfer window after a ride on another vehicle is priced at the transfer fare;
/// 6. the usable entitlements (in date today, covering this route and zone, open at this local
///    time) are tried best first: free, pass, counted rides, discount, stored value; within a kind,
///    higher priority first, then lower id; the first that can pay for the ride is used;
/// 7. failing all, the purse pays the full fare if the tariff allows it;
/// 8. otherwise the most useful reason is given: insufficient funds, ride limit reached, outside
///    the time windows, route not covered, no valid entitlement.
public func decide(
    card: CardState,
    entitlements: [VerifiedEntitlement],
    context: TapContext,
    tariff: Tariff,
    denyList: DenyList,
    now: UnixTime
) -> Decision {
    guard tariff.acceptedLayoutVersions.contains(card.layoutVersion) else {
        return .deny(Denial(reason: .unknownLayoutVersion(card.layoutVersion), markCardBlocked: false, message: Messages.unknownLayoutVersion))
    }
    guard !card.isBlocked else {
        return .deny(Denial(reason: .cardBlocked, markCardBlocked: false, message: Messages.cardBlocked))
    }
    if let reason = denyList.reason(for: card.serial) {
        return .deny(Denial(reason: .denyListed(reason), markCardBlocked: true, message: Messages.cardBlocked))
    }

    let fullFare = tariff.fullFare(on: context.route)
    let secondsSince = { (trip: TripRecord) -> Int64 in now.seconds(since: trip.time) }

    // A trip stamped in the future (a validator with a wrong clock) is ignored rather than
    // allowed to block or discount rides indefinitely.
    let pastTrips = card.recentTrips.lazy.filter { secondsSince($0) >= 0 }
    if pastTrips.contains(where: { $0.vehicleID == context.vehicleID && secondsSince($0) < Int64(tariff.antiPassbackSeconds) }) {
        return .accept(
            Acceptance(
                kind: .repeatTap, fareKopecks: 0, fullFareKopecks: 0, entitlement: nil, counterUpdate: nil, ridesLeft: nil,
                purseDebitKopecks: 0, purseBalanceAfterKopecks: card.purseKopecks, tripRecord: nil, message: Messages.repeatTap))
    }

    var fareDue = fullFare
    var isTransfer = false
    if let transfer = tariff.transfer,
        let last = pastTrips.max(by: { $0.time < $1.time }),
        secondsSince(last) < Int64(transfer.windowSeconds),
        last.vehicleID != context.vehicleID,
        last.kind == .ride || transfer.allowsChaining
    {
        fareDue = tariff.discountRounding.discounted(fullFare, percent: 100 - min(max(transfer.farePercent, 0), 100))
        isTransfer = fareDue < fullFare
    }

    let local = tariff.timeZone.local(at: now)
    let ride = RideBuilder(card: card, context: context, tariff: tariff, now: now, fareDue: fareDue, isTransfer: isTransfer)

    var missedTimeWindow = false
    var missedRoute = false
    var limitRenewsOn: CivilDate?
    var shortfall: (balance: Int, fare: Int)?

    for verified in ranked(entitlements) {
        let terms = verified.terms
        // Defensive: a verified entitlement of another card (a caller mix-up) is never used.
        guard terms.cardSerial == card.serial, terms.layoutVersion == card.layoutVersion, terms.isValid(on: local.date) else {
            continue
        }
        guard terms.covers(route: context.route, zone: context.zone) else {
            missedRoute = true
            continue
        }
        guard terms.isWithinTimeWindows(local) else {
            missedTimeWindow = true
            continue
        }
        switch terms.product {
        case .free:
            return ride.accept(fare: 0, using: terms, transferPriced: false, message: Messages.acceptedFree(tariff.category(terms.category)))
        case .pass(let from, let through):
            guard local.date >= from, local.date <= through else { continue }
            return ride.accept(fare: 0, using: terms, transferPriced: false, message: Messages.acceptedPass(through: through))
        case .rides(let count, let period):
            let periodStart = period.start(containing: local.date)
            let used = card.counters.first { $0.entitlementID == terms.id && $0.periodStart == periodStart }?.rides ?? 0
            let left = Int(count) - Int(used)
            if isTransfer && fareDue == 0 {
                // A free transfer does not spend a counted ride.
                return ride.accept(fare: 0, using: terms, transferPriced: true, ridesLeft: max(left, 0), message: Messages.acceptedTransfer(fare: 0, balance: card.purseKopecks))
            }
            guard left > 0 else {
                let renewal = period.nextStart(after: periodStart)
                limitRenewsOn = min(limitRenewsOn ?? renewal, renewal)
                continue
            }
            let counter = UsageCounter(entitlementID: terms.id, periodStart: periodStart, rides: used + 1)
            return ride.accept(
                fare: 0, using: terms, transferPriced: false, counter: counter, ridesLeft: left - 1,
                message: Messages.acceptedCountedRide(tariff.category(terms.category), ridesLeft: left - 1))
        case .discount(let percent):
            let fare = tariff.discountRounding.discounted(fareDue, percent: Int(percent))
            guard fare <= card.purseKopecks else {
                shortfall = lowerShortfall(shortfall, balance: card.purseKopecks, fare: fare)
                continue
            }
            let message =
                isTransfer
                ? Messages.acceptedTransfer(fare: fare, balance: card.purseKopecks - fare)
                : Messages.acceptedDiscount(tariff.category(terms.category), fare: fare, balance: card.purseKopecks - fare)
            return ride.accept(fare: fare, using: terms, transferPriced: isTransfer, message: message)
        case .storedValue:
            guard fareDue <= card.purseKopecks else {
                shortfall = lowerShortfall(shortfall, balance: card.purseKopecks, fare: fareDue)
                continue
            }
            return ride.acceptFromPurse(using: terms)
        }
    }

    if tariff.purseWithoutEntitlement {
        if fareDue <= card.purseKopecks { return ride.acceptFromPurse(using: nil) }
        shortfall = lowerShortfall(shortfall, balance: card.purseKopecks, fare: fareDue)
    }

    if let shortfall {
        return .deny(
            Denial(
                reason: .insufficientFunds(balanceKopecks: shortfall.balance, fareKopecks: shortfall.fare), markCardBlocked: false,
                message: Messages.insufficientFunds(balance: shortfall.balance, fare: shortfall.fare)))
    }
    if let limitRenewsOn {
        return .deny(Denial(reason: .rideLimitReached(renewsOn: limitRenewsOn), markCardBlocked: false, message: Messages.rideLimitReached(renewsOn: limitRenewsOn)))
    }
    if missedTimeWindow {
        return .deny(Denial(reason: .outsideTimeWindow, markCardBlocked: false, message: Messages.outsideTimeWindow))
    }
    if missedRoute {
        return .deny(Denial(reason: .routeNotCovered, markCardBlocked: false, message: Messages.routeNotCovered))
    }
    return .deny(Denial(reason: .noValidEntitlement, markCardBlocked: false, message: Messages.noValidEntitlement))
}

/// What one tap produced when verification and decision are done together.
public struct TapOutcome: Hashable, Sendable {
    /// The decision.
    public var decision: Decision
    /// The entitlements that failed verification, with why (for the ledger and the desk).
    public var rejected: [EntitlementRejectionRecord]
}

/// An entitlement that failed verification during a tap.
public struct EntitlementRejectionRecord: Hashable, Sendable {
    /// The entitlement's id as written on the card (unauthenticated if the signature failed).
    public var entitlementID: EntitlementID
    /// Why it was not used.
    public var rejection: EntitlementRejection
}

/// Verifies the card's entitlements against the trust store and decides the tap.
public func verifyAndDecide(
    card: CardState,
    entitlements: [Entitlement],
    trust: TrustStore,
    context: TapContext,
    tariff: Tariff,
    denyList: DenyList,
    now: UnixTime
) -> TapOutcome {
    var verified: [VerifiedEntitlement] = []
    verified.reserveCapacity(entitlements.count)
    var rejected: [EntitlementRejectionRecord] = []
    for entitlement in entitlements {
        switch trust.verify(
            entitlement, for: card.serial, layoutVersion: card.layoutVersion, categories: tariff.categories, now: now,
            timeZone: tariff.timeZone)
        {
        case .valid(let good): verified.append(good)
        case .invalid(let why): rejected.append(EntitlementRejectionRecord(entitlementID: entitlement.id, rejection: why))
        }
    }
    let decision = decide(card: card, entitlements: verified, context: context, tariff: tariff, denyList: denyList, now: now)
    return TapOutcome(decision: decision, rejected: rejected)
}

/// The order in which entitlements are tried: free, pass, counted rides, discount, stored value;
/// then higher priority; then lower id (so the choice never depends on the order read from the card).
func ranked(_ entitlements: [VerifiedEntitlement]) -> [VerifiedEntitlement] {
    if entitlements.count < 2 { return entitlements }
    return entitlements.sorted { left, right in
        let a = left.terms
        let b = right.terms
        let rankA = rank(a.product.kind)
        let rankB = rank(b.product.kind)
        if rankA != rankB { return rankA < rankB }
        if a.priority != b.priority { return a.priority > b.priority }
        return a.id < b.id
    }
}

func rank(_ kind: ProductKind) -> Int {
    switch kind {
    case .free: 0
    case .pass: 1
    case .rides: 2
    case .discount: 3
    case .storedValue: 4
    }
}

func lowerShortfall(_ current: (balance: Int, fare: Int)?, balance: Int, fare: Int) -> (balance: Int, fare: Int) {
    guard let current, current.fare <= fare else { return (balance, fare) }
    return current
}

extension RidePeriod {
    /// The first day of the period after the one starting on `start`.
    public func nextStart(after start: CivilDate) -> CivilDate {
        switch self {
        case .day: return start.adding(days: 1)
        case .week: return start.startOfISOWeek.adding(days: 7)
        case .month: return start.startOfNextMonth
        }
    }
}

/// Builds acceptances for one tap, so every path fills in the trip record and purse the same way.
struct RideBuilder {
    let card: CardState
    let context: TapContext
    let tariff: Tariff
    let now: UnixTime
    let fareDue: Int
    let isTransfer: Bool

    func accept(
        fare: Int, using terms: EntitlementTerms?, transferPriced: Bool, counter: UsageCounter? = nil, ridesLeft: Int? = nil,
        message: PassengerMessage
    ) -> Decision {
        let kind: TripKind = transferPriced ? .transfer : .ride
        let record = TripRecord(
            time: now, deviceID: context.deviceID, vehicleID: context.vehicleID, route: context.route, zone: context.zone,
            entitlementID: terms?.id, category: terms?.category, fareKopecks: fare,
            fullFareKopecks: transferPriced ? fareDue : tariff.fullFare(on: context.route), kind: kind)
        return .accept(
            Acceptance(
                kind: transferPriced ? .transfer : .ride, fareKopecks: fare, fullFareKopecks: record.fullFareKopecks,
                entitlement: terms, counterUpdate: counter, ridesLeft: ridesLeft, purseDebitKopecks: fare,
                purseBalanceAfterKopecks: card.purseKopecks - fare, tripRecord: record, message: message))
    }

    func acceptFromPurse(using terms: EntitlementTerms?) -> Decision {
        let balance = card.purseKopecks - fareDue
        let message =
            isTransfer ? Messages.acceptedTransfer(fare: fareDue, balance: balance) : Messages.acceptedFullFare(fare: fareDue, balance: balance)
        return accept(fare: fareDue, using: terms, transferPriced: isTransfer, message: message)
    }
}
