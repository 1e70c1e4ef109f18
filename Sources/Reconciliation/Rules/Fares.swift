import AccountingCore
import Entitlements
import Identifiers
import Tariff

/// The tariff versions in the order they took effect; the one in force at an instant is the
/// latest whose `effectiveFrom` is not after it.
struct TariffSchedule: Sendable {
    let versions: [TariffVersion]

    init(_ versions: [TariffVersion]) {
        self.versions = versions.sorted { ($0.period.effectiveFrom, $0.period.version) < ($1.period.effectiveFrom, $1.period.version) }
    }

    func version(at time: UnixTime) -> TariffVersion? {
        versions.last { $0.period.effectiveFrom <= time }
    }
}

/// What a benefit ride would have cost a passenger without the benefit, by the tariff in force.
struct FareBasis: Hashable, Sendable {
    /// The tariff version used.
    var tariffVersion: UInt32
    /// The route's full fare by that tariff.
    var routeFullFare: Int64
    /// Whether the tap was a transfer under that tariff's transfer rule.
    var isTransfer: Bool
    /// The basis of compensation: the transfer fare on a transfer, else the route's full fare.
    var referenceFare: Int64
}

/// The transfer rule (docs/tariff.md, "Transfers and compensation"): a tap is a transfer when
/// the tariff in force has a transfer rule, the card's previous accepted ride was on another
/// vehicle less than `windowSeconds` before (and not in the future), that previous ride was
/// not itself a transfer unless the rule allows chaining, and the transfer fare is below the
/// route's full fare.
///
/// `rides` are one card's accepted rides in time order; the answer has one basis per ride
/// (`nil` where no tariff was in force).
func fareBases(ofCardRides rides: [Ride], schedule: TariffSchedule) -> [FareBasis?] {
    var bases: [FareBasis?] = []
    var previous: (ride: Ride, wasTransfer: Bool)?
    for ride in rides {
        guard let version = schedule.version(at: ride.time) else {
            bases.append(nil)
            previous = (ride, false)
            continue
        }
        let tariff = version.tariff
        let fullFare = Int64(tariff.fullFare(on: ride.route))
        var referenceFare = fullFare
        var isTransfer = false
        if let rule = tariff.transfer, let previous {
            let elapsed = ride.time.seconds(since: previous.ride.time)
            if elapsed >= 0, elapsed < Int64(rule.windowSeconds), previous.ride.vehicle != ride.vehicle,
                !previous.wasTransfer || rule.allowsChaining
            {
                let transferFare = Int64(tariff.discountRounding.discounted(Int(fullFare), percent: 100 - min(max(rule.farePercent, 0), 100)))
                if transferFare < fullFare {
                    isTransfer = true
                    referenceFare = transferFare
                }
            }
        }
        bases.append(FareBasis(tariffVersion: version.period.version, routeFullFare: fullFare, isTransfer: isTransfer, referenceFare: referenceFare))
        previous = (ride, isTransfer)
    }
    return bases
}

/// Compensation for one benefit ride: the reference fare less what the passenger paid, never
/// negative.
func compensation(referenceFare: Int64, farePaid: Int64) -> Int64 {
    max(referenceFare - max(farePaid, 0), 0)
}
