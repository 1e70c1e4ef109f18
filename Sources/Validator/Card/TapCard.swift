import Entitlements
import Identifiers
import Tariff

/// Which tap wrote a trip record: the validator, the card's own tap counter and the time.
///
/// The identity is what makes tearing recoverable: the ledger's pending entry names the trip
/// record the card will hold if, and only if, the transaction was committed. Device and time
/// alone could repeat; the card's counter alone is shared by every validator; together they are
/// unique for one card.
public struct TripIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The validator that wrote the record.
    public var deviceID: DeviceID
    /// The card's own tap counter in the record (wraps at 65536).
    public var cardSequence: UInt16
    /// The record's time.
    public var time: UnixTime

    /// Creates an identity.
    public init(deviceID: DeviceID, cardSequence: UInt16, time: UnixTime) {
        self.deviceID = deviceID
        self.cardSequence = cardSequence
        self.time = time
    }

    /// `device/sequence/time`, the form kept in a pending ledger entry's detail.
    public var description: String { "\(deviceID.rawValue)/\(cardSequence)/\(time.rawValue)" }

    /// Parses `device/sequence/time`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 3, let device = UInt32(parts[0]), let sequence = UInt16(parts[1]),
            let time = Int64(parts[2])
        else { return nil }
        self.init(deviceID: DeviceID(device), cardSequence: sequence, time: UnixTime(time))
    }
}

/// What the validator read from a card for one tap, decoded.
public struct TapReading: Hashable, Sendable {
    /// The card's UID, as the reader reported it.
    public var uid: [UInt8]
    /// What the tariff decision needs: serial, layout, blocked flag, purse, counters, recent rides.
    public var state: CardState
    /// The signed entitlements found in the used slots (not yet verified).
    public var entitlements: [Entitlement]
    /// The entitlement held by each used slot, in slot order (`nil`: empty or malformed slot).
    public var slotEntitlements: [EntitlementID?]
    /// Every trip record on the card, any kind, oldest first: how pending taps are resolved.
    public var trips: [TripIdentity]

    /// Creates a reading.
    public init(uid: [UInt8], state: CardState, entitlements: [Entitlement], slotEntitlements: [EntitlementID?], trips: [TripIdentity]) {
        self.uid = uid
        self.state = state
        self.entitlements = entitlements
        self.slotEntitlements = slotEntitlements
        self.trips = trips
    }

    /// The tap counter the next trip record gets: one after the newest record's.
    public var nextCardSequence: UInt16 { (trips.last?.cardSequence ?? 0) &+ 1 }

    /// The slot holding `entitlement`, if one does.
    public func slot(of entitlement: EntitlementID) -> Int? { slotEntitlements.firstIndex(of: entitlement) }
}

/// Everything one tap changes on a card, written inside one DESFire transaction.
public struct TapWrite: Hashable, Sendable {
    /// A usage counter to replace.
    public struct CounterWrite: Hashable, Sendable {
        /// The entitlement slot whose counter it is.
        public var slot: Int
        /// The new value.
        public var counter: UsageCounter
        /// Creates a counter write.
        public init(slot: Int, counter: UsageCounter) {
            self.slot = slot
            self.counter = counter
        }
    }

    /// A trip record to append to the cyclic trip log.
    public struct TripWrite: Hashable, Sendable {
        /// The record, as the tariff decided it.
        public var record: TripRecord
        /// Its identity on the card (the card sequence is the reading's next one).
        public var identity: TripIdentity
        /// The slot of the entitlement used, if any.
        public var slot: Int?
        /// Creates a trip write.
        public init(record: TripRecord, identity: TripIdentity, slot: Int?) {
            self.record = record
            self.identity = identity
            self.slot = slot
        }
    }

    /// The blocked flag to set, when the card is on the deny list.
    public struct BlockWrite: Hashable, Sendable {
        /// The local day it was blocked.
        public var date: CivilDate
        /// Why (the deny list's reason).
        public var reason: DenyList.Reason?
        /// Creates a block write.
        public init(date: CivilDate, reason: DenyList.Reason?) {
            self.date = date
            self.reason = reason
        }
    }

    /// The counter update, if a counted ride was used.
    public var counter: CounterWrite?
    /// Kopecks to debit from the purse (0: none).
    public var purseDebitKopecks: Int
    /// The trip record to append.
    public var trip: TripWrite?
    /// The blocked flag to set.
    public var block: BlockWrite?

    /// Creates a write.
    public init(counter: CounterWrite? = nil, purseDebitKopecks: Int = 0, trip: TripWrite? = nil, block: BlockWrite? = nil) {
        self.counter = counter
        self.purseDebitKopecks = purseDebitKopecks
        self.trip = trip
        self.block = block
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool { counter == nil && purseDebitKopecks == 0 && trip == nil && block == nil }
}

/// One card in a reader's field, as the tap pipeline uses it: read what the decision needs,
/// stage the tap's changes inside the card's transaction, commit.
///
/// Implementations throw `CardError` when the card leaves or misbehaves (the tearing domain),
/// `ReaderError` when the reader fails, and `ValidatorError` for a card that is not ours or
/// does not decode. Nothing is changed on the card until `commit()` is answered: a card pulled
/// before that rolls back (DESFire backup, value and record files are transactional).
public protocol TapCard {
    /// Command APDUs sent to the card so far in this tap.
    var apduCount: Int { get }
    /// Reads what a tap needs, with as few APDUs as the card allows.
    mutating func read() async throws -> TapReading
    /// Sends the changes of `write` inside the card's open transaction, without committing.
    mutating func stage(_ write: TapWrite) async throws
    /// Sends CommitTransaction. If this throws a `CardError`, whether the card committed is unknown.
    mutating func commit() async throws
    /// Reads trip records older than the read's: `skippingNewest` back from the newest, `count`
    /// of them, oldest first (fewer where the log holds fewer). Sent only to settle an open
    /// pending entry whose record the read did not reach.
    mutating func readOlderTrips(skippingNewest: Int, count: Int) async throws -> [TripIdentity]
}

extension TapCard {
    /// A card that cannot read back: its pending entries wait for reconciliation when the newest
    /// record does not settle them.
    public mutating func readOlderTrips(skippingNewest: Int, count: Int) async throws -> [TripIdentity] { [] }
}
