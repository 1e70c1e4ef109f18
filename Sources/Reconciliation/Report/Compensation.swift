import AccountingCore
import Entitlements
import Identifiers

/// One line of the розрахунок компенсації: a carrier's benefit rides on one route, in one
/// category, on one local day, under one tariff version.
public struct CompensationLine: Hashable, Sendable, Codable {
    /// The carrier that owned the vehicle.
    public var carrier: CarrierID
    /// The route.
    public var route: RouteNumber
    /// The benefit category.
    public var category: CategoryCode
    /// The local day.
    public var date: CivilDate
    /// The tariff version in force at these rides.
    public var tariffVersion: UInt32
    /// Benefit rides counted.
    public var rides: Int
    /// Σ of the fare each ride would have cost a passenger without the benefit (the route's full
    /// fare, or the transfer fare on a transfer), by that tariff: the basis of compensation.
    public var fullFareKopecks: Int64
    /// Σ of the full fare the validators recorded, for comparison (equal unless transfers or a
    /// stale tariff on a validator make them differ).
    public var recordedFullFareKopecks: Int64
    /// Σ paid by the passengers.
    public var paidKopecks: Int64
    /// Σ(full fare − fare), never negative per ride.
    public var compensationKopecks: Int64
    /// The rides behind the line.
    public var entries: [EntryReference]

    /// Creates a line.
    public init(
        carrier: CarrierID, route: RouteNumber, category: CategoryCode, date: CivilDate, tariffVersion: UInt32, rides: Int,
        fullFareKopecks: Int64, recordedFullFareKopecks: Int64, paidKopecks: Int64, compensationKopecks: Int64, entries: [EntryReference]
    ) {
        self.carrier = carrier
        self.route = route
        self.category = category
        self.date = date
        self.tariffVersion = tariffVersion
        self.rides = rides
        self.fullFareKopecks = fullFareKopecks
        self.recordedFullFareKopecks = recordedFullFareKopecks
        self.paidKopecks = paidKopecks
        self.compensationKopecks = compensationKopecks
        self.entries = entries
    }
}

/// A sum over compensation lines, keyed by what it groups (a carrier, a category or a route).
public struct CompensationTotal<Key: Hashable & Sendable & Codable & Comparable>: Hashable, Sendable, Codable {
    /// What is summed over.
    public var key: Key
    /// Benefit rides.
    public var rides: Int
    /// Σ full fare (the compensation basis).
    public var fullFareKopecks: Int64
    /// Σ paid by passengers.
    public var paidKopecks: Int64
    /// Σ compensation.
    public var compensationKopecks: Int64

    /// Creates a total.
    public init(key: Key, rides: Int = 0, fullFareKopecks: Int64 = 0, paidKopecks: Int64 = 0, compensationKopecks: Int64 = 0) {
        self.key = key
        self.rides = rides
        self.fullFareKopecks = fullFareKopecks
        self.paidKopecks = paidKopecks
        self.compensationKopecks = compensationKopecks
    }
}

/// A route total names its carrier too (a route belongs to one carrier in the reference data,
/// but the vehicles' owners decide whom a ride is paid to).
public struct CarrierRoute: Hashable, Comparable, Sendable, Codable {
    /// The carrier.
    public var carrier: CarrierID
    /// The route.
    public var route: RouteNumber

    /// Creates a key.
    public init(carrier: CarrierID, route: RouteNumber) {
        self.carrier = carrier
        self.route = route
    }

    /// By carrier, then route.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.carrier, lhs.route) < (rhs.carrier, rhs.route) }
}

/// Why a ride was left out of compensation. Every benefit ride either is in a line or is listed
/// with one of these; none is dropped silently.
public enum ExclusionReason: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// The validator was assigned to no vehicle of a carrier at the ride's time.
    case deviceNotAssigned = "device-not-assigned"
    /// No tariff version was in force at the ride's time.
    case noTariff = "no-tariff"
    /// The category is not one the tariff in force names.
    case categoryNotInTariff = "category-not-in-tariff"
    /// A second record of a ride already counted.
    case duplicate = "duplicate"
    /// The card was deny-listed before the ride.
    case denyListed = "deny-listed"
    /// The entitlement was not issued to this card (or not in this category).
    case entitlementNotIssued = "entitlement-not-issued"
    /// The ride falls outside the entitlement's validity dates.
    case entitlementExpired = "entitlement-expired"
    /// The ride is beyond the entitlement's ride limit for its period.
    case overRideLimit = "over-ride-limit"
    /// A pending card transaction whose outcome nothing settles.
    case pendingUnknown = "pending-unknown"

    /// By code.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A benefit ride that is not compensated, with why.
public struct ExcludedRide: Hashable, Sendable, Codable {
    /// The entry.
    public var entry: EntryReference
    /// The card.
    public var card: CardSerial
    /// The category claimed by the entry.
    public var category: CategoryCode
    /// The route.
    public var route: RouteNumber
    /// The carrier, when the device was assigned.
    public var carrier: CarrierID?
    /// The local day.
    public var date: CivilDate
    /// What would have been compensated.
    public var amountAtStakeKopecks: Int64
    /// Why it is left out.
    public var reason: ExclusionReason

    /// Creates an excluded ride.
    public init(
        entry: EntryReference, card: CardSerial, category: CategoryCode, route: RouteNumber, carrier: CarrierID?, date: CivilDate,
        amountAtStakeKopecks: Int64, reason: ExclusionReason
    ) {
        self.entry = entry
        self.card = card
        self.category = category
        self.route = route
        self.carrier = carrier
        self.date = date
        self.amountAtStakeKopecks = amountAtStakeKopecks
        self.reason = reason
    }
}

/// The programme's line for one category: budget, accrued, and the year-end forecast.
public struct BudgetLine: Hashable, Sendable, Codable {
    /// The category.
    public var category: CategoryCode
    /// The year's budget.
    public var budgetKopecks: Int64
    /// The monthly cap, if the programme has one.
    public var monthlyCapKopecks: Int64?
    /// Accrued from 1 January to the period's start.
    public var accruedBeforeKopecks: Int64
    /// Accrued in this period.
    public var accruedInPeriodKopecks: Int64
    /// Forecast for the whole year at the rate so far (accrued to date ÷ days elapsed × days in the year).
    public var forecastYearKopecks: Int64
    /// Whether this period's accrual exceeds the monthly cap.
    public var overMonthlyCap: Bool
    /// Whether the forecast exceeds the budget.
    public var forecastOverBudget: Bool

    /// Creates a line.
    public init(
        category: CategoryCode, budgetKopecks: Int64, monthlyCapKopecks: Int64?, accruedBeforeKopecks: Int64, accruedInPeriodKopecks: Int64,
        forecastYearKopecks: Int64, overMonthlyCap: Bool, forecastOverBudget: Bool
    ) {
        self.category = category
        self.budgetKopecks = budgetKopecks
        self.monthlyCapKopecks = monthlyCapKopecks
        self.accruedBeforeKopecks = accruedBeforeKopecks
        self.accruedInPeriodKopecks = accruedInPeriodKopecks
        self.forecastYearKopecks = forecastYearKopecks
        self.overMonthlyCap = overMonthlyCap
        self.forecastOverBudget = forecastOverBudget
    }
}

/// Programme budget against accrual and payments.
public struct BudgetSummary: Hashable, Sendable, Codable {
    /// The programme's year (the year of the period's first day).
    public var year: Int
    /// One line per category of the programme, and per category accrued but not in it.
    public var lines: [BudgetLine]
    /// Σ budget.
    public var budgetKopecks: Int64
    /// Σ accrued from 1 January to the period's end.
    public var accruedToDateKopecks: Int64
    /// Paid to carriers from 1 January to the period's last day.
    public var paidToDateKopecks: Int64
    /// Σ forecast for the year.
    public var forecastYearKopecks: Int64

    /// Creates a summary.
    public init(year: Int, lines: [BudgetLine], budgetKopecks: Int64, accruedToDateKopecks: Int64, paidToDateKopecks: Int64, forecastYearKopecks: Int64) {
        self.year = year
        self.lines = lines
        self.budgetKopecks = budgetKopecks
        self.accruedToDateKopecks = accruedToDateKopecks
        self.paidToDateKopecks = paidToDateKopecks
        self.forecastYearKopecks = forecastYearKopecks
    }
}
