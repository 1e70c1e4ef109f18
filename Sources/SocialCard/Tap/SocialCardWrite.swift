import Entitlements
import Tariff

/// Everything one tap changes on a social card, in the tariff's terms: the decided outcome, not
/// yet bytes. ``SocialCardSession/stage(_:using:)`` encodes it with the layout and sends it
/// inside the card's transaction.
public struct SocialCardWrite: Hashable, Sendable {
    /// A usage counter to replace.
    public struct Counter: Hashable, Sendable {
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

    /// A ride to append to the trip log.
    public struct Trip: Hashable, Sendable {
        /// The ride as the tariff decided it; its time and device are the record's.
        public var ride: TripRecord
        /// The card's tap counter for the record: one after the newest record's.
        public var sequence: UInt16
        /// The entitlement slot used, if any.
        public var slot: Int?

        /// Creates a trip write.
        public init(ride: TripRecord, sequence: UInt16, slot: Int?) {
            self.ride = ride
            self.sequence = sequence
            self.slot = slot
        }
    }

    /// The counter update, if a counted ride was used.
    public var counter: Counter?
    /// Kopecks to debit from the purse (0: none).
    public var purseDebitKopecks: Int
    /// The ride to record.
    public var trip: Trip?
    /// The local day the card is blocked on, when the deny list blocks it (`nil`: no change).
    public var blockedOn: CivilDate?

    /// Creates a write.
    public init(counter: Counter? = nil, purseDebitKopecks: Int = 0, trip: Trip? = nil, blockedOn: CivilDate? = nil) {
        self.counter = counter
        self.purseDebitKopecks = purseDebitKopecks
        self.trip = trip
        self.blockedOn = blockedOn
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool { counter == nil && purseDebitKopecks == 0 && trip == nil && blockedOn == nil }
}
