import Entitlements
import Identifiers

// The accounting store's reference data: what the ledgers do not say but the finance officer
// needs to turn entries into money owed (who runs which route, on which bus, under which tariff
// and budget). Kept as plain values so the store, the admin endpoints and the pure
// reconciliation rules share one meaning. JSON field names are part of the admin API
// (docs/openapi.yaml); times are Unix seconds, dates are local civil dates `YYYY-MM-DD`.

/// A carrier's number in this community's reference data.
public struct CarrierID: NumericIdentifier {
    /// The number.
    public let rawValue: UInt32
    /// Wraps a number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
}

/// A transport company the community compensates.
public struct Carrier: Hashable, Sendable, Codable {
    /// Its number here.
    public var id: CarrierID
    /// Its registered name, as printed on the act of reconciliation.
    public var name: String
    /// Its ЄДРПОУ code (8 digits).
    public var edrpou: String
    /// The number of its contract with the community.
    public var contract: String

    /// Creates a carrier.
    public init(id: CarrierID, name: String, edrpou: String, contract: String) {
        self.id = id
        self.name = name
        self.edrpou = edrpou
        self.contract = contract
    }
}

/// A route and the carrier that serves it.
public struct RouteAssignment: Hashable, Sendable, Codable {
    /// The route number validators report.
    public var route: RouteNumber
    /// Its name, e.g. `Центр — Вокзал`.
    public var name: String
    /// The carrier that runs it.
    public var carrier: CarrierID

    /// Creates a route assignment.
    public init(route: RouteNumber, name: String, carrier: CarrierID) {
        self.route = route
        self.name = name
        self.carrier = carrier
    }
}

/// Which vehicle (and so which carrier's bus) a validator was installed in, over a span of time.
///
/// Spans of one device never overlap; `validUntil` is exclusive and `nil` while it is still there.
public struct DeviceAssignment: Hashable, Sendable, Codable {
    /// The validator.
    public var device: DeviceID
    /// The vehicle it is installed in.
    public var vehicle: VehicleID
    /// The carrier that owns the vehicle.
    public var carrier: CarrierID
    /// From when (inclusive).
    public var validFrom: UnixTime
    /// Until when (exclusive), or `nil` while it is still installed.
    public var validUntil: UnixTime?

    /// Creates an assignment.
    public init(device: DeviceID, vehicle: VehicleID, carrier: CarrierID, validFrom: UnixTime, validUntil: UnixTime?) {
        self.device = device
        self.vehicle = vehicle
        self.carrier = carrier
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether the assignment held at `time`.
    public func holds(at time: UnixTime) -> Bool {
        time >= validFrom && (validUntil.map { time < $0 } ?? true)
    }
}

/// The year's compensation programme: what the council budgeted for each benefit category.
public struct CompensationProgramme: Hashable, Sendable, Codable {
    /// One category's line of the programme.
    public struct Line: Hashable, Sendable, Codable {
        /// The benefit category.
        public var category: CategoryCode
        /// The year's budget for it, in kopecks.
        public var budgetKopecks: Int64
        /// The most that may be accrued for it in one month, if the programme caps it.
        public var monthlyCapKopecks: Int64?

        /// Creates a line.
        public init(category: CategoryCode, budgetKopecks: Int64, monthlyCapKopecks: Int64? = nil) {
            self.category = category
            self.budgetKopecks = budgetKopecks
            self.monthlyCapKopecks = monthlyCapKopecks
        }
    }

    /// The calendar year.
    public var year: Int
    /// One line per category.
    public var lines: [Line]

    /// Creates a programme.
    public init(year: Int, lines: [Line]) {
        self.year = year
        self.lines = lines
    }
}

/// A tariff version and the moment it took effect; it holds until the next one does.
public struct TariffPeriod: Hashable, Sendable, Codable {
    /// The tariff bundle's version (the bundle itself is in the store's bundles).
    public var version: UInt32
    /// When it took effect.
    public var effectiveFrom: UnixTime

    /// Creates a tariff period.
    public init(version: UInt32, effectiveFrom: UnixTime) {
        self.version = version
        self.effectiveFrom = effectiveFrom
    }
}

/// A card's deny listing and the moment it took effect on the validators.
public struct DenyListing: Hashable, Sendable, Codable {
    /// The card.
    public var card: CardSerial
    /// Why: `lost`, `stolen`, `replaced`, `fraud`, `other`.
    public var reason: String
    /// When the desk reported it.
    public var reportedAt: UnixTime
    /// When the signed deny-list bundle carrying it took effect, or `nil` if none has yet.
    public var effectiveAt: UnixTime?
    /// The deny-list bundle version that first carried it, if any.
    public var bundleVersion: UInt32?

    /// Creates a listing.
    public init(card: CardSerial, reason: String, reportedAt: UnixTime, effectiveAt: UnixTime?, bundleVersion: UInt32?) {
        self.card = card
        self.reason = reason
        self.reportedAt = reportedAt
        self.effectiveAt = effectiveAt
        self.bundleVersion = bundleVersion
    }
}

/// Money put on a card's purse at the desk (from the desk's ledger, or imported until it has one).
public struct PurseCredit: Hashable, Sendable, Codable {
    /// The card.
    public var card: CardSerial
    /// The amount added, in kopecks.
    public var amountKopecks: Int64
    /// When.
    public var creditedAt: UnixTime
    /// Where the record comes from: `desk-ledger` or `import`.
    public var source: String
    /// The desk's reference (receipt number, desk entry), for the auditor.
    public var reference: String

    /// Creates a credit.
    public init(card: CardSerial, amountKopecks: Int64, creditedAt: UnixTime, source: String, reference: String) {
        self.card = card
        self.amountKopecks = amountKopecks
        self.creditedAt = creditedAt
        self.source = source
        self.reference = reference
    }
}

/// What an entitlement written to a card allows, as the desk issued it (the ride entry carries
/// only the entitlement id and category).
public struct IssuedEntitlement: Hashable, Sendable, Codable {
    /// The card.
    public var card: CardSerial
    /// The entitlement's number on that card.
    public var entitlement: EntitlementID
    /// Its benefit category.
    public var category: CategoryCode
    /// Its product kind.
    public var product: ProductKind
    /// For a `rides` product: how many rides per period.
    public var rideLimit: UInt16?
    /// For a `rides` product: the period the limit counts over.
    public var ridePeriod: RidePeriod?
    /// For a `discount` product: the percent off.
    public var discountPercent: UInt8?
    /// First local date valid.
    public var validFrom: CivilDate
    /// Last local date valid (inclusive).
    public var validUntil: CivilDate

    /// Creates an issued entitlement.
    public init(
        card: CardSerial, entitlement: EntitlementID, category: CategoryCode, product: ProductKind, rideLimit: UInt16? = nil,
        ridePeriod: RidePeriod? = nil, discountPercent: UInt8? = nil, validFrom: CivilDate, validUntil: CivilDate
    ) {
        self.card = card
        self.entitlement = entitlement
        self.category = category
        self.product = product
        self.rideLimit = rideLimit
        self.ridePeriod = ridePeriod
        self.discountPercent = discountPercent
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// The issued terms of a signed entitlement.
    public init(_ terms: EntitlementTerms) {
        var rideLimit: UInt16?
        var ridePeriod: RidePeriod?
        var discount: UInt8?
        switch terms.product {
        case .rides(let count, let per):
            rideLimit = count
            ridePeriod = per
        case .discount(let percent): discount = percent
        case .free, .pass, .storedValue: break
        }
        self.init(
            card: terms.cardSerial, entitlement: terms.id, category: terms.category, product: terms.product.kind, rideLimit: rideLimit,
            ridePeriod: ridePeriod, discountPercent: discount, validFrom: terms.validFrom, validUntil: terms.validUntil)
    }
}

/// A payment the community made to a carrier.
public struct CarrierPayment: Hashable, Sendable, Codable {
    /// The carrier paid.
    public var carrier: CarrierID
    /// The local date of the payment order.
    public var paidOn: CivilDate
    /// The amount, in kopecks.
    public var amountKopecks: Int64
    /// The payment order's number or other reference.
    public var reference: String

    /// Creates a payment.
    public init(carrier: CarrierID, paidOn: CivilDate, amountKopecks: Int64, reference: String) {
        self.carrier = carrier
        self.paidOn = paidOn
        self.amountKopecks = amountKopecks
        self.reference = reference
    }
}
