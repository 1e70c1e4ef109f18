import Entitlements
import Identifiers
import Tariff

/// One entitlement slot as read: a signed entitlement, or why its bytes are not one.
public enum EntitlementSlotContent: Hashable, Sendable {
    /// A decoded signed entitlement (not yet verified: see `TrustStore.verify`).
    case entitlement(Entitlement)
    /// The slot's bytes do not decode (a torn write, tampering); the reason says why.
    case malformed(String)
    /// The slot is empty.
    case empty

    /// The entitlement, if the slot holds one.
    public var entitlement: Entitlement? {
        if case .entitlement(let entitlement) = self { entitlement } else { nil }
    }
}

/// Everything a read of a social card brought back, decoded.
public struct SocialCardContents: Hashable, Sendable {
    /// The card's UID (as the reader reports it).
    public var uid: [UInt8]
    /// The version of the card's keys.
    public var keyVersion: UInt8
    /// The card info.
    public var info: CardInfo
    /// The used entitlement slots, in slot order.
    public var slots: [EntitlementSlotContent]
    /// The purse balance in kopecks.
    public var purseKopecks: Int
    /// The usage counters of the used slots, in slot order.
    public var counters: [UsageCounterRecord]
    /// The trip log records read, oldest first.
    public var trips: [TripLogRecord]
    /// The status record.
    public var status: CardStatus
    /// APDUs the read took, including the reader's GET DATA for the UID.
    public var apduCount: Int
    /// The layout version the card moves to, when this is the former application of an upgrade
    /// that reached its last step (``LayoutUpgrade``): its card info names the new layout's
    /// version. Such an application is the card only while the new one is not complete. Nil on
    /// every other card; only a read asked to read such an application sets it
    /// (``SocialCardReader/read(from:purpose:trips:readingSuperseded:using:)``).
    public var supersededBy: Int?

    /// Creates contents (the reader does; tests and tools may too).
    public init(
        uid: [UInt8], keyVersion: UInt8, info: CardInfo, slots: [EntitlementSlotContent], purseKopecks: Int,
        counters: [UsageCounterRecord], trips: [TripLogRecord], status: CardStatus, apduCount: Int
    ) {
        self.uid = uid
        self.keyVersion = keyVersion
        self.info = info
        self.slots = slots
        self.purseKopecks = purseKopecks
        self.counters = counters
        self.trips = trips
        self.status = status
        self.apduCount = apduCount
    }

    /// The entitlements that decoded, for `TrustStore.verify`.
    public var entitlements: [Entitlement] { slots.compactMap(\.entitlement) }

    /// What the tariff decision needs: serial, layout, blocked flag, purse, the counters in use
    /// and the rides of the trip log (records of other kinds, such as `issued`, are left out).
    public var cardState: CardState {
        var usage: [UsageCounter] = []
        for (slot, counter) in counters.enumerated() {
            guard counter.entitlementID.rawValue != 0 || counter.ridesUsed != 0,
                  slot < slots.count, slots[slot].entitlement?.id == counter.entitlementID else { continue }
            usage.append(UsageCounter(entitlementID: counter.entitlementID, periodStart: counter.periodStart, rides: UInt16(clamping: counter.ridesUsed)))
        }
        var rides: [TripRecord] = []
        for trip in trips {
            let kind: TripKind
            switch trip.kind {
            case "entry": kind = .ride
            case "transfer": kind = .transfer
            default: continue
            }
            let entitlement = trip.entitlementSlot.flatMap { $0 < slots.count ? slots[$0].entitlement : nil }
            rides.append(TripRecord(
                time: trip.time, deviceID: DeviceID(trip.deviceID), vehicleID: VehicleID(UInt32(trip.vehicle)),
                route: RouteNumber(UInt16(clamping: trip.route)), zone: ZoneNumber(UInt8(clamping: trip.zone)),
                entitlementID: entitlement?.id, category: trip.category == 0 ? nil : CategoryCode(UInt16(clamping: trip.category)),
                fareKopecks: trip.fareKopecks, fullFareKopecks: trip.fareKopecks, kind: kind))
        }
        return CardState(
            serial: info.serial, layoutVersion: LayoutVersion(UInt16(clamping: info.layoutVersion)), isBlocked: status.isBlocked,
            purseKopecks: purseKopecks, counters: usage, recentTrips: rides)
    }
}
