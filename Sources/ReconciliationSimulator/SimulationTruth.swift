import AccountingCore
import Entitlements
import Identifiers

/// One ledger entry, named by its device and sequence number.
public struct EntryPosition: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The device.
    public var device: UInt32
    /// The entry's sequence number on that device.
    public var sequence: UInt64

    /// Names an entry.
    public init(device: UInt32, sequence: UInt64) {
        self.device = device
        self.sequence = sequence
    }

    /// Device order, then sequence order.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.device, lhs.sequence) < (rhs.device, rhs.sequence) }
    /// `device/sequence`.
    public var description: String { "\(device)/\(sequence)" }
}

/// A fault the simulator planted on purpose: what the reconciliation must find, exactly.
public struct PlantedFault: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The kinds of fault, one per integrity exception of issue 12.
    public enum Kind: String, Hashable, Comparable, Sendable, Codable, CaseIterable {
        /// A device's chain has a hole: a batch was lost, the batches after it were offered and
        /// refused with 409 `gap`, so the service holds a prefix that stops early.
        case sequenceGap = "sequence-gap"
        /// A charge entry written twice for one card transaction (the same pending entry).
        case duplicate
        /// The same card on two vehicles closer in time than travel allows.
        case cloneTravel = "clone-travel"
        /// A card's purse balance went up between two taps with no desk credit, in a community
        /// whose credits are an import (no desk ledger): a clone suspect.
        case clonePurse = "clone-purse"
        /// A card's purse balance went up by a top-up's worth between two taps and no desk's
        /// ledger records the credit (a community with a desk ledger).
        case forgedCredit = "forged-credit"
        /// A card's tap counter (on the ride entries, format 2) repeated or went back between two taps: a copy of the card.
        case cloneCounter = "clone-counter"
        /// A batch offered a changed copy of held entries: a tamper alarm.
        case tamper
        /// Entries received long after their device time.
        case lateUpload = "late-upload"
        /// The device clock was stepped.
        case clockAdjustment = "clock-adjustment"
        /// A pending card transaction with no confirmation, proved committed by the card's next tap on another bus.
        case tornCommitted = "torn-committed"
        /// … proved not committed by the card's next tap on another bus.
        case tornNotCommitted = "torn-not-committed"
        /// … which no later evidence resolves.
        case tornUnknown = "torn-unknown"
        /// A benefit ride on a card after its deny listing took effect.
        case denyListedUse = "deny-listed-use"
        /// A benefit ride beyond the entitlement's ride limit for its period.
        case overLimit = "over-limit"
        /// A benefit ride after the entitlement's last valid day.
        case afterExpiry = "after-expiry"
        /// A device that uploaded nothing for more than the silence threshold before the period's end.
        case silentDevice = "silent-device"

        /// Declaration order.
        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// What kind of fault.
    public var kind: Kind
    /// The device it is about (for device faults: gaps, tampering, late uploads, clock, silence).
    public var device: UInt32?
    /// The card it is about (for card faults).
    public var card: CardSerial?
    /// The entries that show it (for a gap: the last held entry).
    public var entries: [EntryPosition]
    /// The amount involved, in kopecks (a torn transaction's amount at stake), if any.
    public var amountKopecks: Int64?
    /// Kind-specific facts for people: a gap's evidence, a correction, a delay.
    public var detail: String

    /// Creates a fault.
    public init(kind: Kind, device: UInt32? = nil, card: CardSerial? = nil, entries: [EntryPosition], amountKopecks: Int64? = nil, detail: String = "") {
        self.kind = kind
        self.device = device
        self.card = card
        self.entries = entries.sorted()
        self.amountKopecks = amountKopecks
        self.detail = detail
    }

    /// Kind, then device, card and entries.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        if lhs.device != rhs.device { return (lhs.device ?? 0) < (rhs.device ?? 0) }
        if lhs.card != rhs.card { return (lhs.card?.rawValue ?? 0) < (rhs.card?.rawValue ?? 0) }
        return lhs.entries.lexicographicallyPrecedes(rhs.entries)
    }

    /// `kind device card [entries] detail`.
    public var description: String {
        var parts = [kind.rawValue]
        if let device { parts.append("device \(device)") }
        if let card { parts.append("card \(card)") }
        parts.append("[\(entries.map(\.description).joined(separator: " "))]")
        if let amountKopecks { parts.append("\(amountKopecks) kop") }
        if !detail.isEmpty { parts.append(detail) }
        return parts.joined(separator: " ")
    }
}

/// One line of the compensation: carrier × route × benefit category × local day.
public struct CompensationKey: Hashable, Comparable, Sendable, Codable {
    /// The carrier.
    public var carrier: CarrierID
    /// The route.
    public var route: RouteNumber
    /// The benefit category.
    public var category: CategoryCode
    /// The Kyiv civil day.
    public var day: CivilDate

    /// Creates a key.
    public init(carrier: CarrierID, route: RouteNumber, category: CategoryCode, day: CivilDate) {
        self.carrier = carrier
        self.route = route
        self.category = category
        self.day = day
    }

    /// Carrier, route, category, day.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.carrier.rawValue, lhs.route.rawValue, lhs.category.rawValue, lhs.day) < (rhs.carrier.rawValue, rhs.route.rawValue, rhs.category.rawValue, rhs.day)
    }
}

/// The sums of one compensation line.
public struct CompensationAmounts: Hashable, Sendable, Codable {
    /// Benefit rides.
    public var rides: Int
    /// Σ full fare, kopecks.
    public var fullFareKopecks: Int64
    /// Σ paid by the passengers, kopecks.
    public var paidKopecks: Int64
    /// Σ (full fare − fare), kopecks: what the community owes.
    public var compensationKopecks: Int64 { fullFareKopecks - paidKopecks }

    /// Zero.
    public init(rides: Int = 0, fullFareKopecks: Int64 = 0, paidKopecks: Int64 = 0) {
        self.rides = rides
        self.fullFareKopecks = fullFareKopecks
        self.paidKopecks = paidKopecks
    }

    mutating func add(fullFare: Int64, fare: Int64) {
        rides += 1
        fullFareKopecks += fullFare
        paidKopecks += fare
    }
}

/// A benefit ride held by the service but not compensated, and why.
public struct ExcludedRide: Hashable, Comparable, Sendable, Codable {
    /// The entry that records it (the charge entry, or the pending entry of a torn transaction).
    public var entry: EntryPosition
    /// Why: the `PlantedFault.Kind` that excludes it.
    public var reason: PlantedFault.Kind

    /// Creates an excluded ride.
    public init(entry: EntryPosition, reason: PlantedFault.Kind) {
        self.entry = entry
        self.reason = reason
    }

    /// Entry order.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.entry < rhs.entry }
}

/// What the reconciliation of a simulated month must find, computed by the simulator from its
/// own choices while it generated the month, never by the `Reconciliation` module.
///
/// The rules it assumes (docs/reconcile-tool.md, "The month simulator"): a benefit ride is
/// compensated once, at full fare minus fare, on the Kyiv day of its device time, for the carrier
/// and route of the bus; a torn ride proved committed by the card's next tap counts (from its
/// pending entry); excluded are duplicates, rides after a deny listing's effect, over a ride
/// limit, after an entitlement's expiry, and torn rides left unresolved (a torn ride proved not
/// committed is no ride at all, so it is neither a line nor an exclusion). Clone suspects are
/// flagged, not excluded. Entries the service does not hold (after a gap) count for
/// nothing.
public struct SimulationTruth: Sendable {
    /// Every planted fault, sorted.
    public var faults: [PlantedFault]
    /// Compensation per carrier × route × category × day.
    public var compensation: [CompensationKey: CompensationAmounts]
    /// Held benefit rides that are not compensated, sorted.
    public var excluded: [ExcludedRide]
    /// The sequence each device's held chain ends at.
    public var heldHeads: [UInt32: UInt64]
    /// How many entries the service holds at the end of the uploads.
    public var heldEntries: Int
    /// How many entries the devices wrote (held or not).
    public var writtenEntries: Int
    /// The delay beyond which an entry counts as a late upload here.
    public var lateThresholdSeconds: Int64
    /// The silence beyond which a device counts as silent here.
    public var silenceThresholdSeconds: Int64

    /// Total compensation, kopecks.
    public var totalCompensationKopecks: Int64 { compensation.values.reduce(0) { $0 + $1.compensationKopecks } }
    /// Total compensated rides.
    public var totalRides: Int { compensation.values.reduce(0) { $0 + $1.rides } }

    /// Compensation per carrier, kopecks.
    public var compensationPerCarrier: [CarrierID: Int64] {
        var totals: [CarrierID: Int64] = [:]
        for (key, amounts) in compensation { totals[key.carrier, default: 0] += amounts.compensationKopecks }
        return totals
    }
}
