import AccountingCore
import Entitlements
import Identifiers

/// Cards and rides of one group: active cards, rides, the average in hundredths and the
/// distribution over `RideCountBucket.bounds`.
func cardUsage(category: CategoryCode?, ridesPerCard: [CardSerial: Int]) -> CardUsage {
    let cards = ridesPerCard.count
    let rides = ridesPerCard.values.reduce(0, +)
    let average = cards == 0 ? 0 : (rides * 200 + cards) / (2 * cards)
    let distribution = RideCountBucket.bounds.map { bounds in
        RideCountBucket(
            minimumRides: bounds.0, maximumRides: bounds.1,
            cards: ridesPerCard.values.filter { count in count >= bounds.0 && bounds.1.map { count <= $0 } ?? true }.count)
    }
    return CardUsage(category: category, activeCards: cards, rides: rides, averageRidesPerCardHundredths: average, distribution: distribution)
}

extension Reconciler {
    /// Card statistics over the period's accepted rides (duplicates already removed): every
    /// card, and the cards of each category (`CardUsageCounts`).
    func cardStatistics(_ rides: some Sequence<Ride>) -> CardStatistics {
        var counts = CardUsageCounts()
        counts.count(rides)
        return counts.statistics
    }

    /// The programme's budget against what is accrued (before the period, in it, and late
    /// entries accrued in it) and paid, and the forecast for the year at the rate so far.
    func budgetSummary(lines: [CompensationLine], late: [LateEntry]) -> BudgetSummary? {
        guard let programme = reference.programme else { return nil }
        let year = period.firstDay.year
        let yearStart = CivilDate(year: year, month: 1, day: 1)!
        let daysInYear = Int64(CivilDate(year: year + 1, month: 1, day: 1)!.daysSinceEpoch - yearStart.daysSinceEpoch)
        let lastDay = min(period.lastDay, CivilDate(year: year, month: 12, day: 31)!)
        let elapsed = Int64(lastDay.daysSinceEpoch - yearStart.daysSinceEpoch) + 1

        var inPeriod: [CategoryCode: Int64] = [:]
        for line in lines { inPeriod[line.category, default: 0] += line.compensationKopecks }
        for entry in late { if let category = entry.category, entry.compensationKopecks != 0 { inPeriod[category, default: 0] += entry.compensationKopecks } }
        let programmeLines = Dictionary(programme.lines.map { ($0.category, $0) }, uniquingKeysWith: { first, _ in first })
        let categories = Set(programmeLines.keys).union(inPeriod.keys).union(input.opening.accruedThisYearKopecks.keys).sorted()

        let budgetLines = categories.map { category -> BudgetLine in
            let line = programmeLines[category]
            let before = input.opening.accruedThisYearKopecks[category] ?? 0
            let now = inPeriod[category] ?? 0
            let forecast = elapsed > 0 ? ((before + now) * daysInYear * 2 + elapsed) / (2 * elapsed) : before + now
            let budget = line?.budgetKopecks ?? 0
            return BudgetLine(
                category: category, budgetKopecks: budget, monthlyCapKopecks: line?.monthlyCapKopecks, accruedBeforeKopecks: before,
                accruedInPeriodKopecks: now, forecastYearKopecks: forecast, overMonthlyCap: line?.monthlyCapKopecks.map { now > $0 } ?? false,
                forecastOverBudget: forecast > budget)
        }
        let paid = reference.payments.filter { $0.paidOn >= yearStart && $0.paidOn <= lastDay }.reduce(Int64(0)) { $0 + $1.amountKopecks }
        return BudgetSummary(
            year: year, lines: budgetLines, budgetKopecks: budgetLines.reduce(0) { $0 + $1.budgetKopecks },
            accruedToDateKopecks: budgetLines.reduce(0) { $0 + $1.accruedBeforeKopecks + $1.accruedInPeriodKopecks },
            paidToDateKopecks: paid, forecastYearKopecks: budgetLines.reduce(0) { $0 + $1.forecastYearKopecks })
    }

    /// The act with each carrier: opening debt, accrued (lines and late entries), paid in the
    /// period, closing debt, and the comparison with the carrier's claim line by line.
    func carrierActs(lines: [CompensationLine], late: [LateEntry], excluded: [ExcludedRide]) -> [CarrierAct] {
        let paidInPeriod = reference.payments.filter { $0.paidOn >= period.firstDay && $0.paidOn <= period.lastDay }
        var carriers = Set(reference.carriers.map(\.id))
        carriers.formUnion(lines.map(\.carrier))
        carriers.formUnion(late.filter { $0.compensationKopecks != 0 }.compactMap(\.carrier))
        carriers.formUnion(paidInPeriod.map(\.carrier))
        carriers.formUnion(input.claims.map(\.carrier))
        carriers.formUnion(input.opening.carrierDebtKopecks.keys)
        let named = Dictionary(reference.carriers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        return carriers.sorted().map { id -> CarrierAct in
            let carrier = named[id] ?? Carrier(id: id, name: "", edrpou: "", contract: "")
            let ours = lines.filter { $0.carrier == id }
            let lateAccrued = late.filter { $0.carrier == id }.reduce(Int64(0)) { $0 + $1.compensationKopecks }
            let accrued = ours.reduce(Int64(0)) { $0 + $1.compensationKopecks } + lateAccrued
            let payments = paidInPeriod.filter { $0.carrier == id }.sorted { ($0.paidOn, $0.reference, $0.amountKopecks) < ($1.paidOn, $1.reference, $1.amountKopecks) }
            let paid = payments.reduce(Int64(0)) { $0 + $1.amountKopecks }
            let opening = input.opening.carrierDebtKopecks[id] ?? 0
            let claims = input.claims.filter { $0.carrier == id }
            return CarrierAct(
                carrier: carrier, openingDebtKopecks: opening, accruedKopecks: accrued, accruedLateKopecks: lateAccrued, paidKopecks: paid,
                payments: payments, closingDebtKopecks: opening + accrued - paid, hasClaim: !claims.isEmpty,
                claimedKopecks: claims.reduce(0) { $0 + $1.amountKopecks },
                variances: claimVariances(ours: ours, claims: claims, excluded: excluded.filter { $0.carrier == id }))
        }
    }
}

/// Compares one carrier's compensation lines with its claim by route, day and category (our
/// lines summed over tariff versions, claim lines summed where the carrier repeats a key), and
/// attaches the left-out rides of the same key as the entries that may explain a difference.
func claimVariances(ours: [CompensationLine], claims: [ClaimLine], excluded: [ExcludedRide]) -> [ClaimVariance] {
    struct Key: Hashable, Comparable {
        var route: RouteNumber
        var date: CivilDate
        var category: CategoryCode
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.route, lhs.date, lhs.category) < (rhs.route, rhs.date, rhs.category) }
    }
    var variances: [Key: ClaimVariance] = [:]
    func blank(_ key: Key) -> ClaimVariance {
        ClaimVariance(
            route: key.route, date: key.date, category: key.category, ourRides: 0, ourAmountKopecks: 0, claimedRides: 0, claimedAmountKopecks: 0,
            claimLines: [], explainingEntries: [], explainingReasons: [])
    }
    for line in ours {
        let key = Key(route: line.route, date: line.date, category: line.category)
        var variance = variances[key] ?? blank(key)
        variance.ourRides += line.rides
        variance.ourAmountKopecks += line.compensationKopecks
        variances[key] = variance
    }
    for claim in claims {
        let key = Key(route: claim.route, date: claim.date, category: claim.category)
        var variance = variances[key] ?? blank(key)
        variance.claimedRides += claim.rides
        variance.claimedAmountKopecks += claim.amountKopecks
        variance.claimLines.append(claim.sourceLine)
        variances[key] = variance
    }
    for ride in excluded.sorted(by: ExcludedRide.order) {
        let key = Key(route: ride.route, date: ride.date, category: ride.category)
        guard var variance = variances[key] else { continue }
        variance.explainingEntries.append(ride.entry)
        variance.explainingReasons.append(ride.reason)
        variances[key] = variance
    }
    return variances.keys.sorted().map { key in
        var variance = variances[key]!
        variance.claimLines.sort()
        return variance
    }
}
