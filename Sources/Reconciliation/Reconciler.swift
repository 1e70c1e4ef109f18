import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// How one benefit ride is judged: who is paid, and whether it is left out. Its fare basis is
/// kept beside it, by the ride's position (`Reconciler.report`).
struct Assessment: Hashable {
    var carrier: CarrierID?
    /// The compensation if counted (or at stake if excluded).
    var compensation: Int64
    var exclusion: ExclusionReason?
}

/// Runs the rules in order over one input. Internal: `reconcile(_:)` is the entry point.
struct Reconciler {
    let input: ReconciliationInput
    let schedule: TariffSchedule
    /// Deny listings by card, and issued entitlements by card: each ride looks up its own
    /// card's, so a month of millions of rides never scans the whole reference.
    let listingsByCard: [CardSerial: [DenyListing]]
    let issuedByCard: [CardSerial: [IssuedEntitlement]]

    /// The rules over `input`'s period and reference data; its ledgers are fed separately
    /// (`ReconciliationAccumulator`), so `input.devices` is not read here.
    init(input: ReconciliationInput) {
        self.input = input
        self.schedule = TariffSchedule(input.reference.tariffs)
        self.listingsByCard = Dictionary(grouping: input.reference.denyListings, by: \.card)
        self.issuedByCard = Dictionary(grouping: input.reference.entitlements, by: \.card)
    }

    func listings(of card: CardSerial) -> [DenyListing] { listingsByCard[card] ?? [] }
    func issued(to card: CardSerial) -> [IssuedEntitlement] { issuedByCard[card] ?? [] }

    var period: ReportingPeriod { input.period }
    var reference: ReferenceSet { input.reference }

    /// The card rules over one partition of the month's cards (`CardPartitions`): each card's
    /// rides, taps and purse debits, judged and then dropped, leaving only sums and findings.
    ///
    /// `keeping` names the entries whose assessment the month-wide rules will ask for
    /// (`LedgerDigest.referencesJudged`); every other ride's is summed into its line and gone.
    func judgeCards(_ partition: consuming LedgerFactsBuilder, evidence: CardEvidence, keeping wanted: Set<EntryReference>) -> CardFindings {
        let assignments = evidence.assignments
        var found = CardFindings()
        // The taps that carry counters are needed only for the counters going backwards: found
        // first, then dropped, before the rides are sorted and judged.
        let counterFindings = counterFindings(partition.takeCounterTapsByCard(), desk: evidence.desk)
        var facts = partition.settle()
        // The partition's rides, taken out of the facts so the duplicates are removed without a copy.
        var rides = facts.rides
        facts.rides = []
        let duplicates = removeDuplicates(from: &rides)
        found.tripGaps = facts.tripGaps

        // What is found per ride is kept by the ride's position in `rides`, in arrays rather than
        // tables keyed by entry: a month holds millions of rides (docs/reconciliation.md, "Input
        // shape and scale"). An entry committed from later taps can be two rides (benefit and
        // paid) at one reference; they are neighbours in `rides`, and share what either found.
        let ridesByCard = RidesByCard(rides)
        let ridesByEntry = RidesByEntry(rides)

        // Fare basis of every ride, from each card's rides in time order (transfers).
        var bases = [FareBasis?](repeating: nil, count: rides.count)
        ridesByCard.forEachCard(of: rides) { _, positions, list in
            for (position, basis) in zip(positions, fareBases(ofCardRides: list, schedule: schedule)) { bases[Int(position)] = basis }
        }
        shareWithinEntries(&bases, of: rides)
        let basisOf = { (reference: EntryReference) -> FareBasis? in ridesByEntry.position(of: reference, in: rides).flatMap { bases[$0] } }

        // Ride limits, over every benefit ride read (the period's and the context before it).
        let checkEntitlements = !reference.entitlements.isEmpty
        var breaches: [EntryReference: LimitBreach] = [:]
        if checkEntitlements {
            ridesByCard.forEachCard(of: rides) { card, positions, list in
                let benefit = zip(positions, list).filter { $0.1.isBenefit }.map { ($0.1, period.localDay(of: $0.1.time), bases[Int($0.0)]) }
                for breach in rideLimitBreaches(card: card, rides: benefit, issued: issued(to: card)) {
                    breaches[breach.ride] = breach
                }
            }
        }

        var assessments = [Assessment?](repeating: nil, count: rides.count)
        for (position, ride) in rides.enumerated() where ride.isBenefit && isReportable(ride.time, receivedAt: ride.receivedAt) {
            assessments[position] = assess(
                ride, basis: bases[position], assignments: assignments, breach: breaches[ride.reference], checkEntitlements: checkEntitlements)
        }
        shareWithinEntries(&assessments, of: rides)
        let assessmentOf = { (reference: EntryReference) -> Assessment? in ridesByEntry.position(of: reference, in: rides).flatMap { assessments[$0] } }
        for reference in wanted {
            if let assessment = assessmentOf(reference) { found.assessments[reference] = assessment }
        }

        addCompensationLines(rides: rides, bases: bases, assessments: assessments, to: &found.lines)

        for (position, ride) in rides.enumerated() where ride.isBenefit && isReportable(ride.time, receivedAt: ride.receivedAt) {
            let assessment = assessments[position]!
            guard let reason = assessment.exclusion else { continue }
            found.excluded.append(excludedRide(ride, reason: reason, carrier: assessment.carrier, amount: assessment.compensation))
        }
        for (duplicate, _) in duplicates where duplicate.isBenefit && isReportable(duplicate.time, receivedAt: duplicate.receivedAt) {
            let basis = basisOf(duplicate.reference)
            let amount = compensation(referenceFare: basis?.referenceFare ?? duplicate.recordedFullFare, farePaid: duplicate.fare)
            let carrier = assignments.assignment(of: duplicate.device, at: duplicate.time)?.carrier
            found.excluded.append(excludedRide(duplicate, reason: .duplicate, carrier: carrier, amount: amount))
        }
        for pending in facts.openPendings where pending.outcome != .committed && pending.isBenefit {
            let record = pending.record
            guard pending.outcome == .unknown, isReportable(record.deviceTime, receivedAt: pending.entry.receivedAt), let card = record.cardSerial,
                let category = record.category, let route = record.route
            else { continue }
            found.excluded.append(
                ExcludedRide(
                    entry: pending.reference, card: card, category: category, route: route,
                    carrier: assignments.assignment(of: pending.reference.device, at: record.deviceTime)?.carrier,
                    date: period.localDay(of: record.deviceTime), amountAtStakeKopecks: pendingAtStake(pending, schedule: schedule),
                    reason: .pendingUnknown))
        }

        let rideCompensation = { (reference: EntryReference) -> Int64 in
            assessmentOf(reference).map { $0.exclusion == nil ? $0.compensation : 0 } ?? 0
        }
        found.exceptions += pendingExceptions(facts.openPendings, schedule: schedule)
        found.exceptions += rideExceptions(
            rides: rides, ridesByCard: ridesByCard, duplicates: duplicates, purse: facts.purseMovements, assessments: assessments, breaches: breaches,
            basisOf: basisOf, checkEntitlements: checkEntitlements, credits: evidence.purseCredits)
        found.exceptions += counterExceptions(counterFindings, compensationOf: rideCompensation)
        found.unassigned = unassignedRides(rides: rides, assessments: assessments, basisOf: basisOf)
        found.usage.count(rides.lazy.filter { self.period.contains($0.time) })
        return found
    }

    /// The report from what the card pass found (every partition's `CardFindings` merged) and
    /// what the device pass found (`LedgerDigest`).
    ///
    /// A closed period is judged from what had arrived by its close (the accumulator leaves
    /// later entries out), so its report never changes; what came later is the next period's
    /// late section.
    func report(cards found: consuming CardFindings, digest: consuming LedgerDigest, assignments: AssignmentIndex) -> ReconciliationReport {
        var lines = found.lines.values.map { line in
            var line = line
            line.entries.sort()
            return line
        }
        found.lines = [:]
        lines.sort(by: CompensationLine.order)
        var excluded = found.excluded
        excluded.sort(by: ExcludedRide.order)

        let assessmentOf = { (reference: EntryReference) -> Assessment? in found.assessments[reference] }
        let late = lateEntries(digest.late, assessmentOf: assessmentOf, assignments: assignments)

        let rideCompensation = { (reference: EntryReference) -> Int64 in
            assessmentOf(reference).map { $0.exclusion == nil ? $0.compensation : 0 } ?? 0
        }
        var exceptions = found.exceptions
        exceptions += deviceExceptions(digest.devices, tripGaps: found.tripGapsInCardOrder, assignments: assignments, compensationOf: rideCompensation)
        exceptions += entryExceptions(digest, compensationOf: rideCompensation, late: late)
        exceptions += unassignedExceptions(found.unassigned)
        exceptions.sort(by: IntegrityException.order)

        let cards = found.usage.statistics
        let totals = Totals(lines: lines)
        let budget = budgetSummary(lines: lines, late: late)
        let acts = carrierActs(lines: lines, late: late, excluded: excluded)
        let coverage = digest.devices.map { device -> DeviceCoverage in
            let head = device.head
            return DeviceCoverage(
                device: device.ledger.device, headSequence: head.head.sequence, headHash: head.head.hash.hex,
                receiptSequence: device.ledger.receiptSequence.map { min($0, head.head.sequence) },
                checkpointSequence: device.ledger.checkpointSequence.map { min($0, head.head.sequence) },
                entriesRead: device.entriesRead)
        }
        let versions = Set(lines.map(\.tariffVersion)).sorted()

        return ReconciliationReport(
            period: period, closedAt: input.close, lines: lines, totalsByCarrier: totals.byCarrier, totalsByCategory: totals.byCategory,
            totalsByRoute: totals.byRoute, total: totals.all, budget: budget, excluded: excluded, exceptions: exceptions, cards: cards,
            acts: acts, late: late, coverage: coverage, tariffVersionsUsed: versions)
    }

    // MARK: Scope

    /// Whether an entry of this time belongs in this report: in the period, or an earlier
    /// period's entry received after that period was closed (a late entry).
    func isReportable(_ time: UnixTime, receivedAt: UnixTime?) -> Bool {
        period.contains(time) || isLate(time, receivedAt: receivedAt)
    }

    /// An entry of an earlier period received after the previous close.
    func isLate(_ time: UnixTime, receivedAt: UnixTime?) -> Bool {
        guard time < period.start, let receivedAt, let previousClose = input.previousClose else { return false }
        return receivedAt > previousClose
    }

    // MARK: Compensation

    /// Judges one benefit ride; the first reason that applies excludes it, in this order:
    /// device not assigned, no tariff, category not in the tariff, deny-listed, entitlement not
    /// issued, outside its dates, over its ride limit.
    func assess(_ ride: Ride, basis: FareBasis?, assignments: AssignmentIndex, breach: LimitBreach?, checkEntitlements: Bool) -> Assessment {
        let carrier = assignments.assignment(of: ride.device, at: ride.time)?.carrier
        let amount = compensation(referenceFare: basis?.referenceFare ?? ride.recordedFullFare, farePaid: ride.fare)
        var assessment = Assessment(carrier: carrier, compensation: amount, exclusion: nil)
        let tariff = schedule.version(at: ride.time)?.tariff
        if carrier == nil {
            assessment.exclusion = .deviceNotAssigned
        } else if basis == nil || tariff == nil {
            assessment.exclusion = .noTariff
        } else if let category = ride.category, tariff?.category(category) == nil {
            assessment.exclusion = .categoryNotInTariff
        } else if ride.category == nil {
            assessment.exclusion = .categoryNotInTariff
        } else if denyListing(for: ride.card, at: ride.time, in: listings(of: ride.card)) != nil {
            assessment.exclusion = .denyListed
        } else if checkEntitlements {
            switch checkEntitlement(
                card: ride.card, entitlement: ride.entitlement, category: ride.category, on: period.localDay(of: ride.time), issued: issued(to: ride.card))
            {
            case .notIssued: assessment.exclusion = .entitlementNotIssued
            case .outsideDates: assessment.exclusion = .entitlementExpired
            case .valid: if breach != nil { assessment.exclusion = .overRideLimit }
            }
        }
        return assessment
    }

    /// Adds the counted benefit rides of the period to their lines (carrier, route, category,
    /// local day, tariff version); `bases` and `assessments` are by position in `rides`. The
    /// lines' entries are sorted when the report is made.
    func addCompensationLines(rides: [Ride], bases: [FareBasis?], assessments: [Assessment?], to lines: inout [CompensationKey: CompensationLine]) {
        for (position, ride) in rides.enumerated() where ride.isBenefit && period.contains(ride.time) {
            guard let assessment = assessments[position], assessment.exclusion == nil, let carrier = assessment.carrier,
                let basis = bases[position], let category = ride.category
            else { continue }
            let key = CompensationKey(carrier: carrier, route: ride.route, category: category, date: period.localDay(of: ride.time), version: basis.tariffVersion)
            lines[key, default: CompensationLine(
                carrier: carrier, route: ride.route, category: category, date: key.date, tariffVersion: basis.tariffVersion, rides: 0,
                fullFareKopecks: 0, recordedFullFareKopecks: 0, paidKopecks: 0, compensationKopecks: 0, entries: [])].add(
                ride.reference, fullFare: basis.referenceFare, recordedFullFare: ride.recordedFullFare, paid: ride.fare, compensation: assessment.compensation)
        }
    }

    func excludedRide(_ ride: Ride, reason: ExclusionReason, carrier: CarrierID?, amount: Int64) -> ExcludedRide {
        ExcludedRide(
            entry: ride.reference, card: ride.card, category: ride.category ?? CategoryCode(0), route: ride.route, carrier: carrier,
            date: period.localDay(of: ride.time), amountAtStakeKopecks: amount, reason: reason)
    }

    /// What an unsettled pending benefit tap would be compensated: the route's full fare by the
    /// tariff in force (or the full fare it recorded) less the fare.
    func pendingAtStake(_ pending: OpenPending, schedule: TariffSchedule) -> Int64 {
        let record = pending.record
        let fare = record.fareKopecks ?? 0
        if let route = record.route, let tariff = schedule.version(at: record.deviceTime)?.tariff {
            return compensation(referenceFare: Int64(tariff.fullFare(on: route)), farePaid: fare)
        }
        return compensation(referenceFare: record.fullFareKopecks ?? fare, farePaid: fare)
    }

    // MARK: Late entries

    /// Entries of earlier periods received after the previous close, with the compensation
    /// each adds to this period.
    func lateEntries(_ candidates: [LateCandidate], assessmentOf: (EntryReference) -> Assessment?, assignments: AssignmentIndex) -> [LateEntry] {
        // A late entry is reportable, so a benefit ride among them is exactly one with an assessment.
        candidates.map { candidate -> LateEntry in
            let assessment = assessmentOf(candidate.reference)
            let counted = assessment.map { $0.exclusion == nil ? $0.compensation : 0 } ?? 0
            return LateEntry(
                entry: candidate.reference, kind: candidate.kind, deviceTime: candidate.deviceTime, receivedAt: candidate.receivedAt,
                carrier: assessment?.carrier ?? assignments.assignment(of: candidate.reference.device, at: candidate.deviceTime)?.carrier,
                route: candidate.route, category: candidate.category, compensationKopecks: counted)
        }
        .sorted { $0.entry < $1.entry }
    }
}

/// What the card rules consult besides each card's own facts, made once for all partitions.
struct CardEvidence: Sendable {
    var desk: DeskActions
    var purseCredits: PurseCreditIndex
    var assignments: AssignmentIndex
}

/// Where a counted ride is summed: carrier, route, category, local day and tariff version.
struct CompensationKey: Hashable {
    var carrier: CarrierID
    var route: RouteNumber
    var category: CategoryCode
    var date: CivilDate
    var version: UInt32
}

/// A month's rides grouped by card without copying them: their positions, ordered by card and
/// then position, so each card's rides come out in the order the month's list has them (time).
struct RidesByCard: Sendable {
    private let order: [Int32]

    init(_ rides: [Ride]) {
        precondition(rides.count < Int(Int32.max), "more rides than a position holds")
        order = (0..<Int32(rides.count)).sorted { (rides[Int($0)].card, $0) < (rides[Int($1)].card, $1) }
    }

    /// Calls `body` with each card (ascending), its rides' positions in `rides` and the rides,
    /// one card's list at a time.
    func forEachCard(of rides: [Ride], _ body: (CardSerial, ArraySlice<Int32>, [Ride]) -> Void) {
        var start = order.startIndex
        while start < order.endIndex {
            let card = rides[Int(order[start])].card
            var end = start + 1
            while end < order.endIndex, rides[Int(order[end])].card == card { end += 1 }
            body(card, order[start..<end], order[start..<end].map { rides[Int($0)] })
            start = end
        }
    }
}

/// A month's rides found by entry: their positions ordered by reference (four bytes a ride, no
/// hash table), searched by bisection.
struct RidesByEntry: Sendable {
    private let order: [Int32]

    init(_ rides: [Ride]) {
        precondition(rides.count < Int(Int32.max), "more rides than a position holds")
        order = (0..<Int32(rides.count)).sorted { (rides[Int($0)].reference, $0) < (rides[Int($1)].reference, $1) }
    }

    /// The position of a ride of this entry (the first, if two rides share it), or nil.
    func position(of reference: EntryReference, in rides: [Ride]) -> Int? {
        var low = 0
        var high = order.count
        while low < high {
            let middle = (low + high) / 2
            if rides[Int(order[middle])].reference < reference { low = middle + 1 } else { high = middle }
        }
        guard low < order.count, rides[Int(order[low])].reference == reference else { return nil }
        return Int(order[low])
    }
}

/// Gives every ride of one entry what the last of them found (rides of one entry are
/// neighbours in the month's list, which is in time and then entry order): what a table keyed
/// by entry would hold for each of them.
func shareWithinEntries<Value>(_ values: inout [Value?], of rides: [Ride]) {
    var start = 0
    while start < rides.count {
        var end = start + 1
        while end < rides.count, rides[end].reference == rides[start].reference { end += 1 }
        if end - start > 1, let last = values[start..<end].last(where: { $0 != nil }) {
            for index in start..<end { values[index] = last }
        }
        start = end
    }
}

extension CompensationLine {
    /// Adds one counted ride.
    mutating func add(_ entry: EntryReference, fullFare: Int64, recordedFullFare: Int64, paid: Int64, compensation: Int64) {
        rides += 1
        fullFareKopecks += fullFare
        recordedFullFareKopecks += recordedFullFare
        paidKopecks += paid
        compensationKopecks += compensation
        entries.append(entry)
    }
}

/// Which carrier's vehicle a device was on, when.
struct AssignmentIndex: Sendable {
    let byDevice: [DeviceID: [DeviceAssignment]]

    init(_ assignments: [DeviceAssignment]) {
        byDevice = Dictionary(grouping: assignments, by: \.device).mapValues { list in
            list.sorted { ($0.validFrom, $0.vehicle, $0.carrier) < ($1.validFrom, $1.vehicle, $1.carrier) }
        }
    }

    /// The assignment holding at `time` (the latest-starting one if spans overlap by mistake).
    func assignment(of device: DeviceID, at time: UnixTime) -> DeviceAssignment? {
        byDevice[device]?.last { $0.holds(at: time) }
    }

    /// Whether the device was assigned at any instant of `[from, until)`.
    func isAssigned(_ device: DeviceID, from: UnixTime, until: UnixTime) -> Bool {
        byDevice[device]?.contains { $0.validFrom < until && ($0.validUntil.map { $0 > from } ?? true) } ?? false
    }

    var devices: [DeviceID] { byDevice.keys.sorted() }
}

extension CompensationLine {
    /// Carrier, route, category, date, tariff version: the key, so a total order on lines.
    static func order(_ lhs: CompensationLine, _ rhs: CompensationLine) -> Bool {
        (lhs.carrier, lhs.route, lhs.category, lhs.date, lhs.tariffVersion) < (rhs.carrier, rhs.route, rhs.category, rhs.date, rhs.tariffVersion)
    }
}

extension ExcludedRide {
    /// By entry (one exclusion per entry), then reason.
    static func order(_ lhs: ExcludedRide, _ rhs: ExcludedRide) -> Bool {
        (lhs.entry, lhs.reason) < (rhs.entry, rhs.reason)
    }
}

/// Merges the ledgers given for one device (a loader may pass a device's batches separately):
/// entries together, the furthest head and coverage, every alarm and refused batch. Taking the
/// maximum and the union makes the result independent of how the device was split.
func mergedByDevice(_ ledgers: [DeviceLedger]) -> [DeviceLedger] {
    Dictionary(grouping: ledgers, by: \.device).map { device, parts -> DeviceLedger in
        guard parts.count > 1 else { return parts[0] }
        let furthest = parts.max {
            ($0.heldHead.sequence, $0.heldHeadDeviceTime?.rawValue ?? .min, $0.heldHead.hash.hex)
                < ($1.heldHead.sequence, $1.heldHeadDeviceTime?.rawValue ?? .min, $1.heldHead.hash.hex)
        }!
        return DeviceLedger(
            device: device, entries: parts.flatMap(\.entries), heldHead: furthest.heldHead, heldHeadDeviceTime: furthest.heldHeadDeviceTime,
            receiptSequence: parts.compactMap(\.receiptSequence).max(), checkpointSequence: parts.compactMap(\.checkpointSequence).max(),
            tamperAlarms: Array(Set(parts.flatMap(\.tamperAlarms))), refusedBatches: Array(Set(parts.flatMap(\.refusedBatches))),
            role: parts.contains { $0.role == .desk } ? .desk : .validator)
    }
    .sorted { $0.device < $1.device }
}
