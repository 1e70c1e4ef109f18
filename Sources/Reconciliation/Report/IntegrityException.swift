import Entitlements
import Identifiers

/// What kind of integrity exception; the raw value is its stable code (CSV, JSON, tests).
///
/// Codes are never reused or renamed: a report of last year must still mean the same thing.
public enum ExceptionKind: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// The device went on past the held head: entries exist that the service does not hold.
    case sequenceGap = "sequence-gap"
    /// Held entries beyond the last service receipt (or the device's last checkpoint).
    case notReceipted = "not-receipted"
    /// The device offered a second history for sequences already held.
    case tamperAlarm = "tamper-alarm"
    /// No entry from an assigned device for more than the threshold of days.
    case deviceSilent = "device-silent"
    /// An entry of an earlier period received after that period was closed.
    case receivedAfterClose = "received-after-close"
    /// An entry received long after its device time.
    case uploadDelayed = "upload-delayed"
    /// An entry whose device time is after the time the service received it (the clock ran ahead).
    case clockAhead = "clock-ahead"
    /// The device stepped its clock (a `clock-adjusted` entry).
    case clockAdjusted = "clock-adjusted"
    /// A card transaction left pending whose outcome no later evidence settles.
    case pendingUnknown = "pending-unknown"
    /// A pending card transaction settled from the card's later taps on any validator.
    case pendingResolved = "pending-resolved"
    /// The same ride recorded more than once.
    case duplicate = "duplicate"
    /// The same card on two vehicles closer in time than travel between them allows.
    case cloneTwoVehicles = "clone-two-vehicles"
    /// The card's purse balance rose between two taps without a desk credit (credits imported: no desk ledger).
    case clonePurseRose = "clone-purse-rose"
    /// The card's purse balance rose between two taps and no desk's ledger records a credit.
    case forgedCredit = "forged-credit"
    /// The card's tap counter went backwards (or repeated) between two taps with no desk issue between.
    case cloneCounterBackwards = "clone-counter-backwards"
    /// A ride on a card after its deny listing took effect.
    case rideAfterDenyListing = "ride-after-deny-listing"
    /// A ride beyond the entitlement's ride limit for its period.
    case overRideLimit = "over-ride-limit"
    /// A ride outside the entitlement's validity dates, or under one not issued to the card.
    case entitlementNotValid = "entitlement-not-valid"
    /// A validator with no vehicle assignment at the time of its rides.
    case deviceNotAssigned = "device-not-assigned"

    /// By code.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One piece of evidence behind an exception.
public enum Evidence: Hashable, Sendable, Codable {
    /// The device offered a batch starting after the held head, refused for a gap.
    case refusedBatch(firstSequence: UInt64, lastSequence: UInt64, offeredAt: UnixTime?)
    /// A card's trip numbers jump: its tap `missingCardSequence` (between two seen taps) is in no
    /// held ledger; `seenAfter` is the later tap that shows it.
    case cardTripNumbers(card: CardSerial, missingCardSequence: UInt16, seenAfter: EntryReference)
    /// The device's last held entry is this old at the period's end.
    case silence(lastEntryTime: UnixTime?, days: Int)
    /// The last sequences a receipt and a checkpoint cover.
    case coverage(receiptSequence: UInt64?, checkpointSequence: UInt64?)
    /// The service's tamper alarm: sequence, the hash held and the hash offered, the batch range.
    case tamperAlarm(sequence: UInt64, heldHash: String, offeredHash: String, batchFirst: UInt64, batchLast: UInt64, raisedAt: UnixTime)
    /// Received at `receivedAt`, after the close at `closedAt`.
    case receivedAfterClose(receivedAt: UnixTime, closedAt: UnixTime)
    /// Device time and received time, and the difference in seconds (received − device).
    case timeDifference(deviceTime: UnixTime, receivedAt: UnixTime, seconds: Int64)
    /// A clock step: the new device time and the correction in seconds.
    case clockStep(newTime: UnixTime, correctionSeconds: Int64, source: String)
    /// A later tap of the card that settles (or fails to settle) a pending transaction.
    case laterTap(entry: EntryReference, cardSequence: UInt16)
    /// The outcome a pending transaction was given: `committed`, `not-committed` or `unknown`.
    case pendingOutcome(String)
    /// The same ride at another entry.
    case sameRide(EntryReference)
    /// Two taps of a card on different vehicles and the seconds between them.
    case twoVehicles(first: VehicleID, second: VehicleID, seconds: Int64)
    /// The purse balance before and after, and the desk credits between.
    case purseBalance(previousAfterKopecks: Int64, debitKopecks: Int64, balanceAfterKopecks: Int64, creditsKopecks: Int64)
    /// Where the credits a purse was checked against came from: `desk-ledger` or `import`.
    case creditEvidence(String)
    /// The card's tap counter at an earlier tap and at this one (format 2 card counters).
    case tripCounter(previous: EntryReference, previousCounter: UInt32, counter: UInt32)
    /// The card's deny listing: reason and when it took effect.
    case denyListing(reason: String, effectiveAt: UnixTime)
    /// The entitlement's limit, period start and the ride's number in it.
    case rideLimit(entitlement: EntitlementID, limit: Int, periodStart: CivilDate, rideNumber: Int)
    /// The entitlement's validity and the ride's local day (nil validity: not issued).
    case entitlementValidity(entitlement: EntitlementID, validFrom: CivilDate?, validUntil: CivilDate?, rideDate: CivilDate)

    /// A stable code naming the kind of evidence.
    public var code: String {
        switch self {
        case .refusedBatch: "refused-batch"
        case .cardTripNumbers: "card-trip-numbers"
        case .silence: "silence"
        case .coverage: "coverage"
        case .tamperAlarm: "tamper-alarm"
        case .receivedAfterClose: "received-after-close"
        case .timeDifference: "time-difference"
        case .clockStep: "clock-step"
        case .laterTap: "later-tap"
        case .pendingOutcome: "pending-outcome"
        case .sameRide: "same-ride"
        case .twoVehicles: "two-vehicles"
        case .purseBalance: "purse-balance"
        case .creditEvidence: "credit-evidence"
        case .tripCounter: "trip-counter"
        case .denyListing: "deny-listing"
        case .rideLimit: "ride-limit"
        case .entitlementValidity: "entitlement-validity"
        }
    }
}

/// A finding about the ledgers that the finance officer must see, with the entries behind it.
public struct IntegrityException: Hashable, Sendable, Codable {
    /// What kind.
    public var kind: ExceptionKind
    /// The device concerned, if one is (a card's clone suspicion spans devices).
    public var device: DeviceID?
    /// The card concerned, if one is (its serial only, never a name).
    public var card: CardSerial?
    /// The entries behind it, sorted.
    public var entries: [EntryReference]
    /// Which evidence shows it.
    public var evidence: [Evidence]
    /// The money at stake (compensation that depends on it), in kopecks; 0 when none is known.
    public var amountAtStakeKopecks: Int64
    /// The finding in words, Ukrainian and English.
    public var text: LocalizedText

    /// Creates an exception.
    public init(
        kind: ExceptionKind, device: DeviceID?, card: CardSerial? = nil, entries: [EntryReference], evidence: [Evidence],
        amountAtStakeKopecks: Int64, text: LocalizedText
    ) {
        self.kind = kind
        self.device = device
        self.card = card
        self.entries = entries.sorted()
        self.evidence = evidence
        self.amountAtStakeKopecks = amountAtStakeKopecks
        self.text = text
    }
}
