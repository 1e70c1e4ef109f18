import Entitlements
import Identifiers

/// How many rides an entitlement has used in its current period, as stored on the card.
public struct UsageCounter: Hashable, Sendable, Codable {
    /// The entitlement counted.
    public var entitlementID: EntitlementID
    /// The first local day of the period the count belongs to; a later period starts from zero.
    public var periodStart: CivilDate
    /// Rides used in that period.
    public var rides: UInt16

    /// Creates a counter.
    public init(entitlementID: EntitlementID, periodStart: CivilDate, rides: UInt16) {
        self.entitlementID = entitlementID
        self.periodStart = periodStart
        self.rides = rides
    }
}

/// What kind of ride a trip record is.
public enum TripKind: UInt8, Hashable, Sendable, Codable, CaseIterable {
    /// A ride at its own fare (or a benefit).
    case ride = 1
    /// A ride begun within the transfer window after another, at the transfer fare.
    case transfer = 2
}

/// One tap written to the card's cyclic trip log (and mirrored in the validator's ledger).
public struct TripRecord: Hashable, Sendable, Codable {
    /// When the tap was accepted.
    public var time: UnixTime
    /// The validator that accepted it.
    public var deviceID: DeviceID
    /// The vehicle it was on.
    public var vehicleID: VehicleID
    /// The route.
    public var route: RouteNumber
    /// The zone.
    public var zone: ZoneNumber
    /// The entitlement used, if any (`nil`: full fare from the purse).
    public var entitlementID: EntitlementID?
    /// The category of that entitlement, if any (what the community compensates).
    public var category: CategoryCode?
    /// What the passenger paid, in kopecks.
    public var fareKopecks: Int
    /// The full fare of the ride, in kopecks (the compensation is full fare less fare paid).
    public var fullFareKopecks: Int
    /// Ride or transfer.
    public var kind: TripKind

    /// Creates a record.
    public init(
        time: UnixTime, deviceID: DeviceID, vehicleID: VehicleID, route: RouteNumber, zone: ZoneNumber,
        entitlementID: EntitlementID?, category: CategoryCode?, fareKopecks: Int, fullFareKopecks: Int, kind: TripKind
    ) {
        self.time = time
        self.deviceID = deviceID
        self.vehicleID = vehicleID
        self.route = route
        self.zone = zone
        self.entitlementID = entitlementID
        self.category = category
        self.fareKopecks = fareKopecks
        self.fullFareKopecks = fullFareKopecks
        self.kind = kind
    }
}

/// What the validator read from the card before deciding.
public struct CardState: Hashable, Sendable {
    /// The community card number.
    public var serial: CardSerial
    /// The layout the card was personalized with.
    public var layoutVersion: LayoutVersion
    /// Whether the card's own blocked flag is set.
    public var isBlocked: Bool
    /// The purse balance in kopecks.
    public var purseKopecks: Int
    /// Ride counters, one per counted entitlement.
    public var counters: [UsageCounter]
    /// The most recent trips in the card's log, in any order.
    public var recentTrips: [TripRecord]

    /// Creates a card state.
    public init(
        serial: CardSerial, layoutVersion: LayoutVersion, isBlocked: Bool = false, purseKopecks: Int = 0,
        counters: [UsageCounter] = [], recentTrips: [TripRecord] = []
    ) {
        self.serial = serial
        self.layoutVersion = layoutVersion
        self.isBlocked = isBlocked
        self.purseKopecks = purseKopecks
        self.counters = counters
        self.recentTrips = recentTrips
    }
}

/// Where the tap happens: the validator, its vehicle and its current route and zone.
///
/// The time is not here but `decide(…, now:)`'s own parameter, so a decision has one clock.
public struct TapContext: Hashable, Sendable {
    /// The validator.
    public var deviceID: DeviceID
    /// The vehicle.
    public var vehicleID: VehicleID
    /// The route being served.
    public var route: RouteNumber
    /// The zone the vehicle is in.
    public var zone: ZoneNumber
    /// Which of the validator's readers (door) the card was tapped on.
    public var reader: UInt8

    /// Creates a tap context.
    public init(deviceID: DeviceID, vehicleID: VehicleID, route: RouteNumber, zone: ZoneNumber, reader: UInt8 = 0) {
        self.deviceID = deviceID
        self.vehicleID = vehicleID
        self.route = route
        self.zone = zone
        self.reader = reader
    }
}
