import AccountingCore
import Entitlements
import Identifiers
import Tariff

/// A tariff version, the moment it took effect, and the tariff itself (decoded from its bundle).
public struct TariffVersion: Hashable, Sendable {
    /// Which version and since when.
    public var period: TariffPeriod
    /// The decoded tariff of that version.
    public var tariff: Tariff

    /// Pairs a tariff period with its tariff.
    public init(period: TariffPeriod, tariff: Tariff) {
        self.period = period
        self.tariff = tariff
    }
}

/// The reference data the ledgers do not carry (AccountingCore's reference values).
public struct ReferenceSet: Hashable, Sendable {
    /// The carriers compensated.
    public var carriers: [Carrier]
    /// Which carrier runs which route.
    public var routes: [RouteAssignment]
    /// Which validator was on which vehicle of which carrier, when.
    public var deviceAssignments: [DeviceAssignment]
    /// The year's compensation programme, if one is recorded.
    public var programme: CompensationProgramme?
    /// Every tariff version with the moment it took effect.
    public var tariffs: [TariffVersion]
    /// Cards on the deny list and when each listing took effect.
    public var denyListings: [DenyListing]
    /// Money put on purses at the desk.
    public var purseCredits: [PurseCredit]
    /// What the desk issued to each card.
    public var entitlements: [IssuedEntitlement]
    /// Payments made to carriers (all of them; the rules pick by date).
    public var payments: [CarrierPayment]

    /// Creates a reference set.
    public init(
        carriers: [Carrier] = [], routes: [RouteAssignment] = [], deviceAssignments: [DeviceAssignment] = [],
        programme: CompensationProgramme? = nil, tariffs: [TariffVersion] = [], denyListings: [DenyListing] = [],
        purseCredits: [PurseCredit] = [], entitlements: [IssuedEntitlement] = [], payments: [CarrierPayment] = []
    ) {
        self.carriers = carriers
        self.routes = routes
        self.deviceAssignments = deviceAssignments
        self.programme = programme
        self.tariffs = tariffs
        self.denyListings = denyListings
        self.purseCredits = purseCredits
        self.entitlements = entitlements
        self.payments = payments
    }
}

/// One line of a carrier's own monthly claim.
public struct ClaimLine: Hashable, Sendable, Codable {
    /// The carrier claiming.
    public var carrier: CarrierID
    /// The route.
    public var route: RouteNumber
    /// The local day.
    public var date: CivilDate
    /// The benefit category.
    public var category: CategoryCode
    /// Benefit rides the carrier counts.
    public var rides: Int
    /// The amount claimed, in kopecks.
    public var amountKopecks: Int64
    /// The line of the claim file it came from (1-based, counting the header), for the act.
    public var sourceLine: Int

    /// Creates a claim line.
    public init(carrier: CarrierID, route: RouteNumber, date: CivilDate, category: CategoryCode, rides: Int, amountKopecks: Int64, sourceLine: Int = 0) {
        self.carrier = carrier
        self.route = route
        self.date = date
        self.category = category
        self.rides = rides
        self.amountKopecks = amountKopecks
        self.sourceLine = sourceLine
    }
}

/// What was settled before this period: the carriers' debts at its start and the year so far.
public struct OpeningBalances: Hashable, Sendable {
    /// What the community owed each carrier at the period's start (accrued less paid, from the
    /// previous closed act); a carrier not listed starts at 0.
    public var carrierDebtKopecks: [CarrierID: Int64]
    /// Compensation accrued per category from 1 January to the period's start.
    public var accruedThisYearKopecks: [CategoryCode: Int64]

    /// Creates opening balances.
    public init(carrierDebtKopecks: [CarrierID: Int64] = [:], accruedThisYearKopecks: [CategoryCode: Int64] = [:]) {
        self.carrierDebtKopecks = carrierDebtKopecks
        self.accruedThisYearKopecks = accruedThisYearKopecks
    }
}

/// Thresholds of the rules, with the defaults the tool uses.
public struct ReconciliationOptions: Hashable, Sendable, Codable {
    /// A device whose last held entry is more than this many days before the period's end
    /// (while it is assigned to a vehicle) is reported silent.
    public var silentDeviceDays: Int
    /// An entry received more than this long after its device time is a late upload.
    public var uploadDelaySeconds: Int64
    /// An entry whose device time is more than this far after its received time (or a clock
    /// step larger than this) shows a device clock that is wrong.
    public var clockSkewSeconds: Int64
    /// The same card on two different vehicles less than this many seconds apart cannot be one
    /// card carried between them.
    public var minimumTravelSeconds: Int64
    /// How far before the period a loader should pass entries, so transfers and pending
    /// transactions at the start are judged from the card's earlier taps.
    public var contextSeconds: Int64
    /// When the report is made, if the period may not be over yet: silence is then measured up
    /// to this moment, not to the period's end (a bus that rode this morning is not silent in
    /// a month that ends in three weeks). A period that ended before it is judged at its end,
    /// so a past month's report does not depend on when it is made.
    public var asOf: UnixTime?

    /// Creates options; the defaults suit a town of buses.
    public init(
        silentDeviceDays: Int = 3, uploadDelaySeconds: Int64 = 2 * 86_400, clockSkewSeconds: Int64 = 600, minimumTravelSeconds: Int64 = 60,
        contextSeconds: Int64 = 2 * 86_400, asOf: UnixTime? = nil
    ) {
        self.silentDeviceDays = silentDeviceDays
        self.uploadDelaySeconds = uploadDelaySeconds
        self.clockSkewSeconds = clockSkewSeconds
        self.minimumTravelSeconds = minimumTravelSeconds
        self.contextSeconds = contextSeconds
        self.asOf = asOf
    }
}

/// Everything the reconciliation of one period reads; it reads nothing else.
public struct ReconciliationInput: Hashable, Sendable {
    /// The period reported.
    public var period: ReportingPeriod
    /// The ledgers, one per device (any order).
    public var devices: [DeviceLedger]
    /// The reference data.
    public var reference: ReferenceSet
    /// When the previous period was closed, if it was: entries of earlier days received after
    /// this are this period's late entries.
    public var previousClose: UnixTime?
    /// When this period was closed, if it was: entries received after this are left out (they
    /// are the next period's late entries), so a closed period's report never changes.
    public var close: UnixTime?
    /// The carriers' own claims for the period (any order).
    public var claims: [ClaimLine]
    /// Debts and the year's accrual before the period.
    public var opening: OpeningBalances
    /// Rule thresholds.
    public var options: ReconciliationOptions

    /// Creates an input.
    public init(
        period: ReportingPeriod, devices: [DeviceLedger], reference: ReferenceSet, previousClose: UnixTime? = nil, close: UnixTime? = nil,
        claims: [ClaimLine] = [], opening: OpeningBalances = OpeningBalances(), options: ReconciliationOptions = ReconciliationOptions()
    ) {
        self.period = period
        self.devices = devices
        self.reference = reference
        self.previousClose = previousClose
        self.close = close
        self.claims = claims
        self.opening = opening
        self.options = options
    }
}
