import Entitlements
import Identifiers

/// The terms of an entitlement a desk wrote on a card, as a `entitlement-written` entry carries
/// them: what reconciliation needs to judge a ride against its limit and validity, nothing more.
public struct WrittenEntitlementTerms: Hashable, Sendable {
    /// The kind of product.
    public var product: ProductKind
    /// The first local day it is valid.
    public var validFrom: CivilDate
    /// The last local day it is valid.
    public var validUntil: CivilDate
    /// Free rides a period for a `rides` product, with `ridePeriod`.
    public var rideLimit: UInt16?
    /// The period `rideLimit` counts in.
    public var ridePeriod: RidePeriod?
    /// The discount of a `discount` product, per cent.
    public var discountPercent: UInt8?

    /// Creates terms; a ride limit and its period come together or not at all (the encoder refuses one alone).
    public init(
        product: ProductKind, validFrom: CivilDate, validUntil: CivilDate, rideLimit: UInt16? = nil,
        ridePeriod: RidePeriod? = nil, discountPercent: UInt8? = nil
    ) {
        self.product = product
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.rideLimit = rideLimit
        self.ridePeriod = ridePeriod
        self.discountPercent = discountPercent
    }

    /// The terms of `entitlement` (its product's parameters and its validity).
    public init(_ entitlement: Entitlement) {
        var terms = WrittenEntitlementTerms(
            product: entitlement.product.kind, validFrom: entitlement.validFrom, validUntil: entitlement.validUntil)
        switch entitlement.product {
        case .rides(let count, let period):
            terms.rideLimit = count
            terms.ridePeriod = period
        case .discount(let percent):
            terms.discountPercent = percent
        case .free, .pass, .storedValue:
            break
        }
        self = terms
    }
}

/// The card's own counters after a tap, as the validator wrote them on the card: what lets
/// reconciliation see a card image replayed (a clone, or a card restored from an old dump).
public struct CardCounters: Hashable, Sendable {
    /// The card's tap counter (its trip log's sequence number) after the tap; it only grows on one card.
    public var tripSequence: UInt32
    /// The counted entitlement's rides used in its period after the tap, when the card counts rides.
    public var countedRides: UInt32?
    /// The first local day of that period.
    public var countPeriodStart: CivilDate?

    /// Creates counters; `countedRides` and `countPeriodStart` come together or not at all.
    public init(tripSequence: UInt32, countedRides: UInt32? = nil, countPeriodStart: CivilDate? = nil) {
        self.tripSequence = tripSequence
        self.countedRides = countedRides
        self.countPeriodStart = countPeriodStart
    }
}
