import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// An entry of an earlier period received after that period was closed.
public struct LateEntry: Hashable, Sendable, Codable {
    /// The entry.
    public var entry: EntryReference
    /// Its kind's name (`benefit-use`, …).
    public var kind: String
    /// Its device time.
    public var deviceTime: UnixTime
    /// When the service received it.
    public var receivedAt: UnixTime
    /// The carrier, for a benefit ride on an assigned device.
    public var carrier: CarrierID?
    /// The route, if the entry has one.
    public var route: RouteNumber?
    /// The category, if the entry has one.
    public var category: CategoryCode?
    /// The compensation it adds to this period's accrual (0 for anything but a compensable ride).
    public var compensationKopecks: Int64

    /// Creates a late entry.
    public init(
        entry: EntryReference, kind: String, deviceTime: UnixTime, receivedAt: UnixTime, carrier: CarrierID?, route: RouteNumber?,
        category: CategoryCode?, compensationKopecks: Int64
    ) {
        self.entry = entry
        self.kind = kind
        self.deviceTime = deviceTime
        self.receivedAt = receivedAt
        self.carrier = carrier
        self.route = route
        self.category = category
        self.compensationKopecks = compensationKopecks
    }
}

/// What the report was made from, for the manifest: each device's held head and coverage and
/// the tariff versions used.
public struct DeviceCoverage: Hashable, Sendable, Codable {
    /// The device.
    public var device: DeviceID
    /// The held head's sequence.
    public var headSequence: UInt64
    /// The held head's hash (hex).
    public var headHash: String
    /// The highest receipted sequence.
    public var receiptSequence: UInt64?
    /// The highest checkpointed sequence.
    public var checkpointSequence: UInt64?
    /// Entries of this device read.
    public var entriesRead: Int

    /// Creates a coverage record.
    public init(device: DeviceID, headSequence: UInt64, headHash: String, receiptSequence: UInt64?, checkpointSequence: UInt64?, entriesRead: Int) {
        self.device = device
        self.headSequence = headSequence
        self.headHash = headHash
        self.receiptSequence = receiptSequence
        self.checkpointSequence = checkpointSequence
        self.entriesRead = entriesRead
    }
}

/// The month's reconciliation: compensation, exclusions, exceptions, card statistics, acts.
///
/// Every list is sorted by a total order on its own fields, so the same ledgers give the same
/// report whatever order or batches they were read in (a property test holds this).
public struct ReconciliationReport: Hashable, Sendable, Codable {
    /// The period.
    public var period: ReportingPeriod
    /// Whether the period was closed (its report then never changes).
    public var closedAt: UnixTime?
    /// Compensation lines, by carrier, route, category, date, tariff version.
    public var lines: [CompensationLine]
    /// Totals per carrier.
    public var totalsByCarrier: [CompensationTotal<CarrierID>]
    /// Totals per category.
    public var totalsByCategory: [CompensationTotal<CategoryCode>]
    /// Totals per carrier and route.
    public var totalsByRoute: [CompensationTotal<CarrierRoute>]
    /// The grand total.
    public var total: CompensationTotal<Int>
    /// Programme budget against accrual, if a programme is recorded.
    public var budget: BudgetSummary?
    /// Benefit rides not compensated, each with why.
    public var excluded: [ExcludedRide]
    /// Integrity exceptions, by kind, device, first entry.
    public var exceptions: [IntegrityException]
    /// Card statistics.
    public var cards: CardStatistics
    /// One act per carrier that has lines, payments, a claim or an opening debt.
    public var acts: [CarrierAct]
    /// Entries of earlier periods received after those were closed.
    public var late: [LateEntry]
    /// The devices read and how far their chains are held and covered.
    public var coverage: [DeviceCoverage]
    /// The tariff versions the lines used.
    public var tariffVersionsUsed: [UInt32]

    /// Creates a report.
    public init(
        period: ReportingPeriod, closedAt: UnixTime?, lines: [CompensationLine], totalsByCarrier: [CompensationTotal<CarrierID>],
        totalsByCategory: [CompensationTotal<CategoryCode>], totalsByRoute: [CompensationTotal<CarrierRoute>], total: CompensationTotal<Int>,
        budget: BudgetSummary?, excluded: [ExcludedRide], exceptions: [IntegrityException], cards: CardStatistics, acts: [CarrierAct],
        late: [LateEntry], coverage: [DeviceCoverage], tariffVersionsUsed: [UInt32]
    ) {
        self.period = period
        self.closedAt = closedAt
        self.lines = lines
        self.totalsByCarrier = totalsByCarrier
        self.totalsByCategory = totalsByCategory
        self.totalsByRoute = totalsByRoute
        self.total = total
        self.budget = budget
        self.excluded = excluded
        self.exceptions = exceptions
        self.cards = cards
        self.acts = acts
        self.late = late
        self.coverage = coverage
        self.tariffVersionsUsed = tariffVersionsUsed
    }
}
