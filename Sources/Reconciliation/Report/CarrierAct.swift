import AccountingCore
import Entitlements
import Identifiers

/// One line of the act's comparison: our figures and the carrier's for one route, day and category.
public struct ClaimVariance: Hashable, Sendable, Codable {
    /// The route.
    public var route: RouteNumber
    /// The local day.
    public var date: CivilDate
    /// The category.
    public var category: CategoryCode
    /// Benefit rides in our compensation lines.
    public var ourRides: Int
    /// Compensation in our lines.
    public var ourAmountKopecks: Int64
    /// Rides the carrier claims (0 when it claims nothing for this key).
    public var claimedRides: Int
    /// The amount the carrier claims.
    public var claimedAmountKopecks: Int64
    /// The claim file lines behind the claim.
    public var claimLines: [Int]
    /// The entries that may explain the difference: rides left out of compensation and
    /// pending transactions on this route, day and category.
    public var explainingEntries: [EntryReference]
    /// The reasons those entries were left out, one each, in the order of `explainingEntries`.
    public var explainingReasons: [ExclusionReason]

    /// claimed − ours, rides.
    public var rideDifference: Int { claimedRides - ourRides }
    /// claimed − ours, kopecks.
    public var amountDifferenceKopecks: Int64 { claimedAmountKopecks - ourAmountKopecks }

    /// Creates a variance line.
    public init(
        route: RouteNumber, date: CivilDate, category: CategoryCode, ourRides: Int, ourAmountKopecks: Int64, claimedRides: Int,
        claimedAmountKopecks: Int64, claimLines: [Int], explainingEntries: [EntryReference], explainingReasons: [ExclusionReason]
    ) {
        self.route = route
        self.date = date
        self.category = category
        self.ourRides = ourRides
        self.ourAmountKopecks = ourAmountKopecks
        self.claimedRides = claimedRides
        self.claimedAmountKopecks = claimedAmountKopecks
        self.claimLines = claimLines
        self.explainingEntries = explainingEntries
        self.explainingReasons = explainingReasons
    }
}

/// The акт звірки взаєморозрахунків with one carrier for the period.
public struct CarrierAct: Hashable, Sendable, Codable {
    /// The carrier (name, ЄДРПОУ, contract as in the reference data; a placeholder when unknown).
    public var carrier: Carrier
    /// What the community owed the carrier at the period's start.
    public var openingDebtKopecks: Int64
    /// Compensation accrued in the period (its lines plus its late entries).
    public var accruedKopecks: Int64
    /// Of which: compensation for late entries of earlier periods.
    public var accruedLateKopecks: Int64
    /// Payments to the carrier dated in the period.
    public var paidKopecks: Int64
    /// The payments, sorted by date and reference.
    public var payments: [CarrierPayment]
    /// opening + accrued − paid.
    public var closingDebtKopecks: Int64
    /// Whether the carrier submitted a claim for the period.
    public var hasClaim: Bool
    /// Σ of the carrier's claim.
    public var claimedKopecks: Int64
    /// Every route, day and category where either side has a figure, with differences.
    public var variances: [ClaimVariance]

    /// Creates an act.
    public init(
        carrier: Carrier, openingDebtKopecks: Int64, accruedKopecks: Int64, accruedLateKopecks: Int64, paidKopecks: Int64,
        payments: [CarrierPayment], closingDebtKopecks: Int64, hasClaim: Bool, claimedKopecks: Int64, variances: [ClaimVariance]
    ) {
        self.carrier = carrier
        self.openingDebtKopecks = openingDebtKopecks
        self.accruedKopecks = accruedKopecks
        self.accruedLateKopecks = accruedLateKopecks
        self.paidKopecks = paidKopecks
        self.payments = payments
        self.closingDebtKopecks = closingDebtKopecks
        self.hasClaim = hasClaim
        self.claimedKopecks = claimedKopecks
        self.variances = variances
    }
}
