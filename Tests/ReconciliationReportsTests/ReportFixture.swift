import AccountingCore
import Entitlements
import Identifiers
import Reconciliation

@testable import ReconciliationReports

/// A November report built by hand: two carriers (one named to break pages and CSV), two
/// categories, lines on most days, an act with a claim and variances, every kind of section.
enum ReportFixture {
    static let hostile = Carrier(id: 1, name: "<script>alert(1)</script>", edrpou: "01234567", contract: "№ 7/2026; \"А\"")
    static let quoted = Carrier(id: 2, name: "ТОВ \"Лебідь; Транс\"\nфілія", edrpou: "87654321", contract: "=1+1")
    static let categories = [
        BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери", en: "Pensioners")),
        BenefitCategory(code: 2, id: "veteran", name: LocalizedText(uk: "Ветерани війни", en: "War veterans")),
    ]
    static let routes = [
        RouteAssignment(route: 1, name: "Центр — Вокзал", carrier: 1), RouteAssignment(route: 7, name: "Лікарня <b>", carrier: 2),
    ]

    static func context(generatedAt: UnixTime = UnixTime(1_796_112_000), carriers: [Carrier] = [hostile, quoted]) -> ReportContext {
        ReportContext(
            community: BilingualText(uk: "Немішаївська селищна громада", en: "Nemishaieve community"), carriers: carriers, routes: routes,
            categories: categories, generatedAt: generatedAt, inputsDigest: String(repeating: "ab", count: 32))
    }

    static let period = try! ReportingPeriod(month: "2026-11")

    static var lines: [CompensationLine] {
        var lines: [CompensationLine] = []
        for day in period.days where day.day % 5 != 0 {
            for (carrier, route) in [(CarrierID(1), RouteNumber(1)), (CarrierID(2), RouteNumber(7))] {
                for category: CategoryCode in [1, 2] where !(carrier == 2 && category == 2 && day.day % 2 == 0) {
                    let rides = Int(day.day) + Int(category.rawValue) * 3
                    lines.append(
                        CompensationLine(
                            carrier: carrier, route: route, category: category, date: day, tariffVersion: 3, rides: rides,
                            fullFareKopecks: Int64(rides) * 1500, recordedFullFareKopecks: Int64(rides) * 1500, paidKopecks: category == 2 ? Int64(rides) * 750 : 0,
                            compensationKopecks: Int64(rides) * (category == 2 ? 750 : 1500),
                            entries: [EntryReference(device: DeviceID(rawValue: carrier.rawValue * 100), sequence: UInt64(day.day))]))
                }
            }
        }
        return lines.sorted { ($0.carrier, $0.route, $0.category, $0.date) < ($1.carrier, $1.route, $1.category, $1.date) }
    }

    static func total<Key>(_ key: Key, _ lines: [CompensationLine]) -> CompensationTotal<Key> {
        CompensationTotal(
            key: key, rides: lines.reduce(0) { $0 + $1.rides }, fullFareKopecks: lines.reduce(0) { $0 + $1.fullFareKopecks },
            paidKopecks: lines.reduce(0) { $0 + $1.paidKopecks }, compensationKopecks: lines.reduce(0) { $0 + $1.compensationKopecks })
    }

    static var report: ReconciliationReport {
        let lines = Self.lines
        let byCarrier = [CarrierID(1), CarrierID(2)].map { carrier in total(carrier, lines.filter { $0.carrier == carrier }) }
        let byCategory = [CategoryCode(1), CategoryCode(2)].map { category in total(category, lines.filter { $0.category == category }) }
        let byRoute = [CarrierRoute(carrier: 1, route: 1), CarrierRoute(carrier: 2, route: 7)].map { key in
            total(key, lines.filter { $0.carrier == key.carrier && $0.route == key.route })
        }
        let day3 = CivilDate(year: 2026, month: 11, day: 3)!
        let tuesday = UnixTime(1_793_700_000)
        let exceptions = [
            IntegrityException(
                kind: .sequenceGap, device: 200, entries: [EntryReference(device: 200, sequence: 41)],
                evidence: [.refusedBatch(firstSequence: 45, lastSequence: 60, offeredAt: tuesday), .cardTripNumbers(card: 0x00AA_BBCC_DDEE_0001, missingCardSequence: 12, seenAfter: EntryReference(device: 100, sequence: 9))],
                amountAtStakeKopecks: 4500, text: LocalizedText(uk: "Пристрій 200 продовжив після запису 41", en: "Device 200 went on after entry 41")),
            IntegrityException(
                kind: .tamperAlarm, device: 200, entries: [EntryReference(device: 200, sequence: 30)],
                evidence: [.tamperAlarm(sequence: 30, heldHash: String(repeating: "1", count: 64), offeredHash: String(repeating: "2", count: 64), batchFirst: 30, batchLast: 35, raisedAt: tuesday)],
                amountAtStakeKopecks: 0, text: LocalizedText(uk: "Дві історії <script>", en: "Two histories")),
            IntegrityException(
                kind: .cloneTwoVehicles, device: nil, card: 0x00AA_BBCC_DDEE_0002, entries: [EntryReference(device: 100, sequence: 3), EntryReference(device: 200, sequence: 4)],
                evidence: [.twoVehicles(first: 11, second: 12, seconds: 60)], amountAtStakeKopecks: 3000, text: LocalizedText(uk: "Картка у двох автобусах", en: "Card on two buses")),
            IntegrityException(
                kind: .deviceSilent, device: 100, entries: [], evidence: [.silence(lastEntryTime: tuesday, days: 5)], amountAtStakeKopecks: 0,
                text: LocalizedText(uk: "Мовчить", en: "Silent")),
        ]
        let act1 = CarrierAct(
            carrier: hostile, openingDebtKopecks: 100_000, accruedKopecks: byCarrier[0].compensationKopecks + 1500, accruedLateKopecks: 1500, paidKopecks: 50_000,
            payments: [CarrierPayment(carrier: 1, paidOn: day3, amountKopecks: 50_000, reference: "ПД-17; \"терміново\"")],
            closingDebtKopecks: 100_000 + byCarrier[0].compensationKopecks + 1500 - 50_000, hasClaim: true, claimedKopecks: byCarrier[0].compensationKopecks + 3000,
            variances: [
                ClaimVariance(
                    route: 1, date: day3, category: 1, ourRides: 6, ourAmountKopecks: 9000, claimedRides: 8, claimedAmountKopecks: 12000, claimLines: [4],
                    explainingEntries: [EntryReference(device: 100, sequence: 77)], explainingReasons: [.denyListed]),
                ClaimVariance(
                    route: 1, date: day3, category: 2, ourRides: 9, ourAmountKopecks: 6750, claimedRides: 9, claimedAmountKopecks: 6750, claimLines: [5],
                    explainingEntries: [], explainingReasons: []),
            ])
        let act2 = CarrierAct(
            carrier: quoted, openingDebtKopecks: 0, accruedKopecks: byCarrier[1].compensationKopecks, accruedLateKopecks: 0, paidKopecks: 0, payments: [],
            closingDebtKopecks: byCarrier[1].compensationKopecks, hasClaim: false, claimedKopecks: 0, variances: [])
        let usage = CardUsage(
            category: nil, activeCards: 120, rides: 900, averageRidesPerCardHundredths: 750,
            distribution: RideCountBucket.bounds.map { RideCountBucket(minimumRides: $0.0, maximumRides: $0.1, cards: 15) })
        return ReconciliationReport(
            period: period, closedAt: nil, lines: lines, totalsByCarrier: byCarrier, totalsByCategory: byCategory, totalsByRoute: byRoute,
            total: total(0, lines),
            budget: BudgetSummary(
                year: 2026,
                lines: [
                    BudgetLine(category: 1, budgetKopecks: 50_000_000, monthlyCapKopecks: 5_000_000, accruedBeforeKopecks: 30_000_000, accruedInPeriodKopecks: byCategory[0].compensationKopecks, forecastYearKopecks: 40_000_000, overMonthlyCap: false, forecastOverBudget: false),
                    BudgetLine(category: 2, budgetKopecks: 1_000_000, monthlyCapKopecks: nil, accruedBeforeKopecks: 900_000, accruedInPeriodKopecks: byCategory[1].compensationKopecks, forecastYearKopecks: 1_500_000, overMonthlyCap: false, forecastOverBudget: true),
                ],
                budgetKopecks: 51_000_000, accruedToDateKopecks: 30_900_000 + report0Compensation(lines), paidToDateKopecks: 20_000_000, forecastYearKopecks: 41_500_000),
            excluded: [
                ExcludedRide(entry: EntryReference(device: 100, sequence: 77), card: 0x00AA_BBCC_DDEE_0003, category: 1, route: 1, carrier: 1, date: day3, amountAtStakeKopecks: 1500, reason: .denyListed),
                ExcludedRide(entry: EntryReference(device: 300, sequence: 5), card: 0x00AA_BBCC_DDEE_0004, category: 2, route: 9, carrier: nil, date: day3, amountAtStakeKopecks: 750, reason: .deviceNotAssigned),
            ],
            exceptions: exceptions, cards: CardStatistics(all: usage, byCategory: [CardUsage(category: 1, activeCards: 80, rides: 600, averageRidesPerCardHundredths: 750, distribution: [])]),
            acts: [act1, act2],
            late: [LateEntry(entry: EntryReference(device: 100, sequence: 2), kind: "benefit-use", deviceTime: UnixTime(1_790_000_000), receivedAt: tuesday, carrier: 1, route: 1, category: 1, compensationKopecks: 1500)],
            coverage: [
                DeviceCoverage(device: 100, headSequence: 120, headHash: String(repeating: "c", count: 64), receiptSequence: 110, checkpointSequence: 120, entriesRead: 120),
                DeviceCoverage(device: 200, headSequence: 41, headHash: String(repeating: "d", count: 64), receiptSequence: nil, checkpointSequence: 40, entriesRead: 41),
            ],
            tariffVersionsUsed: [3])
    }

    static func report0Compensation(_ lines: [CompensationLine]) -> Int64 { lines.reduce(0) { $0 + $1.compensationKopecks } }
}
