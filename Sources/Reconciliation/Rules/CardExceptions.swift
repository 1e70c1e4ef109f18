import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// Two taps of one card on different vehicles closer in time than travel between them allows.
struct TwoVehicleTaps: Hashable {
    var first: Ride
    var second: Ride
    var seconds: Int64
}

/// Finds, in one card's rides in time order, consecutive rides on different vehicles less than
/// `minimumTravelSeconds` apart: one card cannot be on both, so a copy of it exists.
func twoVehicleTaps(ofCardRides rides: [Ride], minimumTravelSeconds: Int64) -> [TwoVehicleTaps] {
    zip(rides, rides.dropFirst()).compactMap { first, second in
        let seconds = second.time.seconds(since: first.time)
        guard first.vehicle != second.vehicle, seconds >= 0, seconds < minimumTravelSeconds else { return nil }
        return TwoVehicleTaps(first: first, second: second, seconds: seconds)
    }
}

/// A purse balance higher than the previous balance, less the debit, plus the desk's credits
/// between: money that came from nowhere, as a copied card replaying an older balance shows.
struct PurseRise: Hashable {
    var previous: PurseMovement
    var current: PurseMovement
    var credits: Int64
    /// By how much the balance exceeds what it could be.
    var excess: Int64
}

/// Checks one card's purse debits in time order against the desk's credits.
func purseRises(ofCardMovements movements: [PurseMovement], credits: [PurseCredit]) -> [PurseRise] {
    zip(movements, movements.dropFirst()).compactMap { previous, current in
        let credited = credits.filter { $0.card == current.card && $0.creditedAt > previous.time && $0.creditedAt <= current.time }
            .reduce(Int64(0)) { $0 + $1.amountKopecks }
        let expected = previous.balanceAfter + credited - current.amount
        guard current.balanceAfter > expected else { return nil }
        return PurseRise(previous: previous, current: current, credits: credited, excess: current.balanceAfter - expected)
    }
}

extension Reconciler {
    /// Pending card transactions: settled from later taps, or unknown with the amount at stake.
    func pendingExceptions(_ pendings: [OpenPending], schedule: TariffSchedule) -> [IntegrityException] {
        pendings.compactMap { pending -> IntegrityException? in
            let record = pending.record
            guard isReportable(record.deviceTime, receivedAt: pending.entry.receivedAt) else { return nil }
            let device = pending.reference.device
            let atStake = pending.isBenefit ? pendingAtStake(pending, schedule: schedule) : max(record.fareKopecks ?? 0, 0)
            var evidence: [Evidence] = [.pendingOutcome(pending.outcome.rawValue)]
            var references = [pending.reference]
            if let tap = pending.evidence {
                evidence.append(.laterTap(entry: tap.reference, cardSequence: tap.stamp.cardSequence))
                references.append(tap.reference)
            }
            switch pending.outcome {
            case .unknown:
                return IntegrityException(
                    kind: .pendingUnknown, device: device, card: record.cardSerial, entries: references, evidence: evidence, amountAtStakeKopecks: atStake,
                    text: LocalizedText(
                        uk: "Операція з карткою \(pending.reference) не завершена, і пізніші дані не показують її результату; під питанням \(Money.uk(atStake)).",
                        en: "Card transaction \(pending.reference) was left pending and no later evidence settles it; \(Money.en(atStake)) at stake."))
            case .committed, .notCommitted:
                let committed = pending.outcome == .committed
                return IntegrityException(
                    kind: .pendingResolved, device: device, card: record.cardSerial, entries: references, evidence: evidence,
                    amountAtStakeKopecks: committed ? atStake : 0,
                    text: LocalizedText(
                        uk: "Операцію з карткою \(pending.reference) з'ясовано за наступною поїздкою картки \(pending.evidence!.reference): "
                            + (committed ? "виконана." : "не виконана."),
                        en: "Card transaction \(pending.reference) settled by the card's next tap \(pending.evidence!.reference): "
                            + (committed ? "committed." : "not committed.")))
            }
        }
    }

    /// Duplicates, clone suspects, rides after deny listing, over limits, outside entitlement
    /// dates, and rides on unassigned devices.
    func rideExceptions(
        rides: [Ride], ridesByCard: RidesByCard, duplicates: [(duplicate: Ride, original: Ride)], purse: [PurseMovement], assessments: [Assessment?],
        breaches: [EntryReference: LimitBreach], basisOf: (EntryReference) -> FareBasis?, checkEntitlements: Bool, credits: PurseCreditIndex
    ) -> [IntegrityException] {
        var exceptions: [IntegrityException] = []
        func atStake(_ ride: Ride) -> Int64 {
            guard ride.isBenefit else { return 0 }
            return compensation(referenceFare: basisOf(ride.reference)?.referenceFare ?? ride.recordedFullFare, farePaid: ride.fare)
        }

        for (duplicate, original) in duplicates where isReportable(duplicate.time, receivedAt: duplicate.receivedAt) {
            exceptions.append(
                IntegrityException(
                    kind: .duplicate, device: duplicate.device, card: duplicate.card, entries: [duplicate.reference, original.reference],
                    evidence: [.sameRide(original.reference)], amountAtStakeKopecks: atStake(duplicate),
                    text: LocalizedText(
                        uk: "Запис \(duplicate.reference) повторює поїздку \(original.reference) і не враховується.",
                        en: "Entry \(duplicate.reference) repeats the ride \(original.reference) and is not counted.")))
        }

        ridesByCard.forEachCard(of: rides) { card, _, list in
            for taps in twoVehicleTaps(ofCardRides: list, minimumTravelSeconds: input.options.minimumTravelSeconds)
            where isReportable(taps.second.time, receivedAt: taps.second.receivedAt) {
                exceptions.append(
                    IntegrityException(
                        kind: .cloneTwoVehicles, device: taps.second.device, card: card, entries: [taps.first.reference, taps.second.reference],
                        evidence: [.twoVehicles(first: taps.first.vehicle, second: taps.second.vehicle, seconds: taps.seconds)],
                        amountAtStakeKopecks: atStake(taps.second),
                        text: LocalizedText(
                            uk: "Картка \(card.printed) за \(taps.seconds) с у двох транспортних засобах (\(taps.first.vehicle) і \(taps.second.vehicle)): можливий клон.",
                            en: "Card \(card.printed) on two vehicles (\(taps.first.vehicle) and \(taps.second.vehicle)) \(taps.seconds) s apart: a clone suspect.")))
            }
        }

        // Purse rises: against the desks' ledgers or the imported credits (DeskLedgers.swift).
        exceptions += purseExceptions(purse, credits: credits)

        // Rides after deny listing, grouped by card and device.
        var denied: [CardDevice: [Ride]] = [:]
        for ride in rides where isReportable(ride.time, receivedAt: ride.receivedAt) {
            if denyListing(for: ride.card, at: ride.time, in: listings(of: ride.card)) != nil {
                denied[CardDevice(card: ride.card, device: ride.device), default: []].append(ride)
            }
        }
        for key in denied.keys.sorted() {
            let list = denied[key]!
            let listing = denyListing(for: key.card, at: list[0].time, in: listings(of: key.card))!
            exceptions.append(
                IntegrityException(
                    kind: .rideAfterDenyListing, device: key.device, card: key.card, entries: list.map(\.reference),
                    evidence: [.denyListing(reason: listing.reason, effectiveAt: listing.effectiveAt!)],
                    amountAtStakeKopecks: list.reduce(0) { $0 + atStake($1) },
                    text: LocalizedText(
                        uk: "Картку \(key.card.printed) прийнято \(list.count) раз(и) на пристрої \(key.device) після внесення до стоп-списку (\(listing.reason), з \(listing.effectiveAt!)).",
                        en: "Card \(key.card.printed) accepted \(list.count) time(s) on device \(key.device) after its deny listing (\(listing.reason), from \(listing.effectiveAt!)).")))
        }

        guard checkEntitlements else { return exceptions }

        // Over the ride limit, grouped by card, entitlement and period.
        var over: [LimitKey: [(Ride, LimitBreach)]] = [:]
        var invalid: [CardEntitlement: [(Ride, EntitlementCheck)]] = [:]
        for ride in rides where ride.isBenefit && isReportable(ride.time, receivedAt: ride.receivedAt) {
            if let breach = breaches[ride.reference] {
                over[LimitKey(card: ride.card, entitlement: breach.entitlement, periodStart: breach.periodStart), default: []].append((ride, breach))
            }
            let check = checkEntitlement(
                card: ride.card, entitlement: ride.entitlement, category: ride.category, on: period.localDay(of: ride.time), issued: issued(to: ride.card))
            if case .valid = check { continue }
            invalid[CardEntitlement(card: ride.card, entitlement: ride.entitlement ?? EntitlementID(0)), default: []].append((ride, check))
        }
        for key in over.keys.sorted() {
            let list = over[key]!
            let devices = Set(list.map(\.0.device))
            exceptions.append(
                IntegrityException(
                    kind: .overRideLimit, device: devices.count == 1 ? devices.first : nil, card: key.card, entries: list.map(\.0.reference),
                    evidence: list.map {
                        .rideLimit(entitlement: $0.1.entitlement, limit: $0.1.limit, periodStart: $0.1.periodStart, rideNumber: $0.1.rideNumber)
                    }, amountAtStakeKopecks: list.reduce(0) { $0 + atStake($1.0) },
                    text: LocalizedText(
                        uk: "Картка \(key.card.printed), пільга \(key.entitlement): \(list.count) поїздк. понад ліміт \(list[0].1.limit) за період з \(key.periodStart).",
                        en: "Card \(key.card.printed), entitlement \(key.entitlement): \(list.count) ride(s) over the limit of \(list[0].1.limit) for the period from \(key.periodStart).")))
        }
        for key in invalid.keys.sorted() {
            let list = invalid[key]!
            let devices = Set(list.map(\.0.device))
            let evidence = list.map { ride, check -> Evidence in
                let date = period.localDay(of: ride.time)
                if case .outsideDates(let terms) = check {
                    return .entitlementValidity(entitlement: key.entitlement, validFrom: terms.validFrom, validUntil: terms.validUntil, rideDate: date)
                }
                return .entitlementValidity(entitlement: key.entitlement, validFrom: nil, validUntil: nil, rideDate: date)
            }
            exceptions.append(
                IntegrityException(
                    kind: .entitlementNotValid, device: devices.count == 1 ? devices.first : nil, card: key.card, entries: list.map(\.0.reference),
                    evidence: evidence, amountAtStakeKopecks: list.reduce(0) { $0 + atStake($1.0) },
                    text: LocalizedText(
                        uk: "Картка \(key.card.printed), пільга \(key.entitlement): \(list.count) поїздк. поза строком дії або за пільгою, якої не видано.",
                        en: "Card \(key.card.printed), entitlement \(key.entitlement): \(list.count) ride(s) outside its dates or under an entitlement never issued.")))
        }
        return exceptions
    }

    /// The benefit rides among `rides` that no vehicle assignment covers (`assessments` by
    /// position), each with its amount at stake: their exception is per device, so it is made
    /// once every card is judged (`unassignedExceptions`).
    func unassignedRides(rides: [Ride], assessments: [Assessment?], basisOf: (EntryReference) -> FareBasis?) -> [UnassignedRide] {
        zip(rides, assessments).compactMap { ride, assessment in
            guard ride.isBenefit, let assessment, assessment.carrier == nil else { return nil }
            let amount = compensation(referenceFare: basisOf(ride.reference)?.referenceFare ?? ride.recordedFullFare, farePaid: ride.fare)
            return UnassignedRide(reference: ride.reference, time: ride.time, amountAtStake: amount)
        }
    }

    /// Benefit rides on a device no vehicle assignment covers, one exception per device, its
    /// rides in time order.
    func unassignedExceptions(_ rides: [UnassignedRide]) -> [IntegrityException] {
        let ordered = rides.sorted { ($0.time, $0.reference) < ($1.time, $1.reference) }
        return Dictionary(grouping: ordered, by: \.reference.device).sorted { $0.key < $1.key }.map { device, list in
            IntegrityException(
                kind: .deviceNotAssigned, device: device, entries: list.map(\.reference), evidence: [],
                amountAtStakeKopecks: list.reduce(0) { $0 + $1.amountAtStake },
                text: LocalizedText(
                    uk: "Пристрій \(device) не закріплено за транспортом перевізника на час \(list.count) пільгових поїздок.",
                    en: "Device \(device) was assigned to no carrier's vehicle at the time of \(list.count) benefit ride(s)."))
        }
    }
}

/// A benefit ride on a device assigned to no vehicle at its time.
struct UnassignedRide: Hashable, Sendable {
    var reference: EntryReference
    var time: UnixTime
    var amountAtStake: Int64
}

struct CardDevice: Hashable, Comparable {
    var card: CardSerial
    var device: DeviceID
    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.card, lhs.device) < (rhs.card, rhs.device) }
}

struct LimitKey: Hashable, Comparable {
    var card: CardSerial
    var entitlement: EntitlementID
    var periodStart: CivilDate
    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.card, lhs.entitlement, lhs.periodStart) < (rhs.card, rhs.entitlement, rhs.periodStart) }
}

struct CardEntitlement: Hashable, Comparable {
    var card: CardSerial
    var entitlement: EntitlementID
    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.card, lhs.entitlement) < (rhs.card, rhs.entitlement) }
}

extension IntegrityException {
    /// Kind, device (none first), card (none first), entries, then the English text: a total
    /// order for every exception this module makes.
    static func order(_ lhs: IntegrityException, _ rhs: IntegrityException) -> Bool {
        let left = (lhs.kind, lhs.device == nil ? 0 : 1, lhs.device?.rawValue ?? 0, lhs.card == nil ? 0 : 1, lhs.card?.rawValue ?? 0)
        let right = (rhs.kind, rhs.device == nil ? 0 : 1, rhs.device?.rawValue ?? 0, rhs.card == nil ? 0 : 1, rhs.card?.rawValue ?? 0)
        if left != right { return left < right }
        if lhs.entries != rhs.entries { return lhs.entries.lexicographicallyPrecedes(rhs.entries) }
        return lhs.text.en < rhs.text.en
    }
}
