import AccountingCore
import Entitlements
import Identifiers

/// The key under which two records are the same tap: card, device time, vehicle, route, kind,
/// fare and entitlement. A validator writes one charge per tap; a second equal one is a
/// duplicate (a replayed write, a double confirmation), counted once.
struct RideIdentity: Hashable {
    var card: CardSerial
    var time: UnixTime
    var vehicle: VehicleID
    var route: RouteNumber
    var isBenefit: Bool
    var fare: Int64
    var entitlement: EntitlementID?

    init(_ ride: Ride) {
        card = ride.card
        time = ride.time
        vehicle = ride.vehicle
        route = ride.route
        isBenefit = ride.isBenefit
        fare = ride.fare
        entitlement = ride.entitlement
    }
}

/// Splits rides into the first record of each tap and the duplicates, each duplicate with the
/// record it repeats (the one with the lowest device and sequence is the original).
func separateDuplicates(_ rides: [Ride]) -> (originals: [Ride], duplicates: [(duplicate: Ride, original: Ride)]) {
    var originals = rides
    let duplicates = removeDuplicates(from: &originals)
    return (originals, duplicates)
}

/// Removes the duplicates from `rides` in place and returns each with the record it repeats.
///
/// Two records of one tap share its device time, so the rides are taken a device time at a
/// time (in time order): only the rides of one instant are ever in a table, and the month's
/// rides are never copied. What is left is in (time, reference) order; the duplicates come back
/// in reference order.
func removeDuplicates(from rides: inout [Ride]) -> [(duplicate: Ride, original: Ride)] {
    let inOrder = { (lhs: Ride, rhs: Ride) -> Bool in
        (lhs.time, lhs.reference, lhs.isBenefit ? 1 : 0) < (rhs.time, rhs.reference, rhs.isBenefit ? 1 : 0)
    }
    if !zip(rides, rides.dropFirst()).allSatisfy({ !inOrder($1, $0) }) { rides.sort(by: inOrder) }
    var duplicates: [(duplicate: Ride, original: Ride)] = []
    var first: [RideIdentity: Ride] = [:]
    // Originals are moved down over the duplicates: `kept` never passes the ride being read.
    var kept = 0
    var start = 0
    while start < rides.count {
        var end = start + 1
        while end < rides.count, rides[end].time == rides[start].time { end += 1 }
        if end - start == 1 {
            rides[kept] = rides[start]
            kept += 1
        } else {
            // One instant's rides, already in reference order: the first of each identity is the original.
            first.removeAll(keepingCapacity: true)
            for index in start..<end {
                let ride = rides[index]
                let identity = RideIdentity(ride)
                if let original = first[identity] {
                    duplicates.append((ride, original))
                } else {
                    first[identity] = ride
                    rides[kept] = ride
                    kept += 1
                }
            }
        }
        start = end
    }
    rides.removeLast(rides.count - kept)
    duplicates.sort { $0.duplicate.reference < $1.duplicate.reference }
    return duplicates
}

/// The deny listing in effect for `card` at `time`: the earliest listing whose effect time is
/// not after the ride. A listing not yet carried by any bundle (`effectiveAt == nil`) never
/// counts: validators could not have refused the card.
func denyListing(for card: CardSerial, at time: UnixTime, in listings: [DenyListing]) -> DenyListing? {
    listings.filter { $0.card == card && ($0.effectiveAt.map { $0 <= time } ?? false) }
        .min { ($0.effectiveAt!, $0.reason) < ($1.effectiveAt!, $1.reason) }
}

/// Whether an issued entitlement lets a ride on `date` count: `.valid`, or why not.
enum EntitlementCheck: Hashable {
    case valid(IssuedEntitlement)
    case notIssued
    case outsideDates(IssuedEntitlement)
}

/// Checks a benefit ride's entitlement against what the desk issued: it must be issued to
/// this card with this number and category, and the ride's local date within its dates.
func checkEntitlement(card: CardSerial, entitlement: EntitlementID?, category: CategoryCode?, on date: CivilDate, issued: [IssuedEntitlement])
    -> EntitlementCheck
{
    guard let entitlement,
        let terms = issued.filter({ $0.card == card && $0.entitlement == entitlement && $0.category == category }).min(by: {
            ($0.validFrom, $0.validUntil) < ($1.validFrom, $1.validUntil)
        })
    else { return .notIssued }
    return date >= terms.validFrom && date <= terms.validUntil ? .valid(terms) : .outsideDates(terms)
}

/// A ride beyond its entitlement's limit: which ride of the period it was.
struct LimitBreach: Hashable {
    var ride: EntryReference
    var entitlement: EntitlementID
    var limit: Int
    var periodStart: CivilDate
    var rideNumber: Int
}

/// Counts each counted-rides entitlement's rides per period (its `ridePeriod`, in local days)
/// in time order, and names the rides beyond the limit.
///
/// A free transfer does not spend a ride (docs/tariff.md), so a ride whose reference fare is 0
/// on a transfer is not counted. `rides` are one card's benefit rides in time order, with the
/// local date and the fare basis of each.
func rideLimitBreaches(
    card: CardSerial, rides: [(ride: Ride, date: CivilDate, basis: FareBasis?)], issued: [IssuedEntitlement]
) -> [LimitBreach] {
    var counts: [EntitlementID: (periodStart: CivilDate, count: Int)] = [:]
    var breaches: [LimitBreach] = []
    for (ride, date, basis) in rides {
        guard let id = ride.entitlement,
            case .valid(let terms) = checkEntitlement(card: card, entitlement: id, category: ride.category, on: date, issued: issued),
            terms.product == .rides, let limit = terms.rideLimit, let period = terms.ridePeriod
        else { continue }
        if let basis, basis.isTransfer, basis.referenceFare == 0 { continue }
        let start = period.start(containing: date)
        var state = counts[id] ?? (start, 0)
        if state.periodStart != start { state = (start, 0) }
        state.count += 1
        counts[id] = state
        if state.count > Int(limit) {
            breaches.append(LimitBreach(ride: ride.reference, entitlement: id, limit: Int(limit), periodStart: start, rideNumber: state.count))
        }
    }
    return breaches
}
