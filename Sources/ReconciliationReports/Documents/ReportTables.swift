import AccountingCore
import Entitlements
import Identifiers
import Reconciliation

/// The report's tables: each one becomes a CSV file, an HTML table on the printed pages and an
/// array in `report.json`. Names (file stems) and column keys are stable; docs/reconciliation-reports.md lists them.
public struct ReconciliationTables: Sendable {
    let report: ReconciliationReport
    let context: ReportContext

    /// The tables of `report`, named with `context`.
    public init(_ report: ReconciliationReport, context: ReportContext) {
        self.report = Self.ordered(report)
        self.context = context
    }

    /// The report with every list in one total order of its own fields, so that the files do
    /// not depend on the order the lists were built in (the rules sort them the same way; this
    /// keeps the documents' bytes a function of the report's content alone).
    static func ordered(_ report: ReconciliationReport) -> ReconciliationReport {
        var report = report
        report.lines.sort {
            ($0.carrier, $0.route, $0.category, $0.date, $0.tariffVersion) < ($1.carrier, $1.route, $1.category, $1.date, $1.tariffVersion)
        }
        report.totalsByCarrier.sort { $0.key < $1.key }
        report.totalsByCategory.sort { $0.key < $1.key }
        report.totalsByRoute.sort { $0.key < $1.key }
        report.budget?.lines.sort { $0.category < $1.category }
        report.excluded.sort { ($0.date, $0.entry, $0.reason) < ($1.date, $1.entry, $1.reason) }
        report.exceptions.sort { lhs, rhs in
            let left = (lhs.kind, lhs.device?.rawValue ?? 0, lhs.entries.first?.device.rawValue ?? 0, lhs.entries.first?.sequence ?? 0)
            let right = (rhs.kind, rhs.device?.rawValue ?? 0, rhs.entries.first?.device.rawValue ?? 0, rhs.entries.first?.sequence ?? 0)
            if left != right { return left < right }
            return (lhs.card?.rawValue ?? 0, lhs.text.uk) < (rhs.card?.rawValue ?? 0, rhs.text.uk)
        }
        report.acts.sort { $0.carrier.id < $1.carrier.id }
        report.late.sort { $0.entry < $1.entry }
        report.coverage.sort { $0.device < $1.device }
        report.cards.byCategory.sort { ($0.category?.rawValue ?? .max) < ($1.category?.rawValue ?? .max) }
        return report
    }

    /// Every table, in the order of the files list.
    public var all: [ReportTable] {
        [
            compensationLines(), compensationByCarrier, compensationByRoute(), compensationByCategory, budget, acts, actVariances(),
            payments(), exceptions, excludedRides, cardStatistics, rideDistribution, lateEntries, coverage,
        ]
    }

    // MARK: Compensation

    static let money = "грн"

    /// Розрахунок компенсації: one line per carrier, route, category, day and tariff version.
    public func compensationLines(carrier: CarrierID? = nil) -> ReportTable {
        let lines = report.lines.filter { carrier == nil || $0.carrier == carrier }
        let sum = lines.reduce(into: (0, Int64(0), Int64(0), Int64(0))) {
            $0.0 += $1.rides
            $0.1 += $1.fullFareKopecks
            $0.2 += $1.paidKopecks
            $0.3 += $1.compensationKopecks
        }
        if carrier != nil {
            // A carrier's own calculation, printed on A4: the carrier is in the heading, so the
            // columns are the ones the calculation needs (the CSV has them all).
            return ReportTable(
                name: carrier.map { "compensation-lines-carrier-\($0)" } ?? "compensation-lines",
                title: BilingualText(uk: "Розрахунок за маршрутами, категоріями і днями", en: "By route, category and day"),
                columns: [
                    ReportColumn("route", uk: "Маршрут", en: "Route"), ReportColumn("category", uk: "Категорія пільговиків", en: "Benefit category"),
                    ReportColumn("date", uk: "Дата", en: "Date"), ReportColumn("tariffVersion", uk: "Тариф", en: "Tariff"),
                    ReportColumn("rides", uk: "Поїздок", en: "Rides"), ReportColumn("fullFareKopecks", uk: "Повна вартість, грн", en: "Full fare, UAH"),
                    ReportColumn("paidByPassengersKopecks", uk: "Сплачено пасажирами, грн", en: "Paid by passengers, UAH"),
                    ReportColumn("compensationKopecks", uk: "До компенсації, грн", en: "Compensation, UAH"),
                ],
                rows: lines.map { line in
                    [
                        .text(context.routeName(line.route)), .words(context.categoryName(line.category)), .date(ReportDate(line.date)),
                        .integer(Int64(line.tariffVersion)), .integer(Int64(line.rides)), .money(kopecks: line.fullFareKopecks),
                        .money(kopecks: line.paidKopecks), .money(kopecks: line.compensationKopecks),
                    ]
                },
                totals: [[Self.total, .empty, .empty, .empty, .integer(Int64(sum.0)), .money(kopecks: sum.1), .money(kopecks: sum.2), .money(kopecks: sum.3)]])
        }
        return ReportTable(
            name: "compensation-lines",
            title: BilingualText(uk: "Розрахунок компенсації за пільговий проїзд", en: "Compensation for benefit rides"),
            columns: [
                ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."),
                ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
                ReportColumn("route", uk: "Маршрут", en: "Route"),
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"),
                ReportColumn("category", uk: "Категорія пільговиків", en: "Benefit category"),
                ReportColumn("date", uk: "Дата", en: "Date"),
                ReportColumn("tariffVersion", uk: "Версія тарифу", en: "Tariff version"),
                ReportColumn("rides", uk: "Поїздок", en: "Rides"),
                ReportColumn("fullFareKopecks", uk: "Повна вартість, грн", en: "Full fare, UAH"),
                ReportColumn("paidByPassengersKopecks", uk: "Сплачено пасажирами, грн", en: "Paid by passengers, UAH"),
                ReportColumn("compensationKopecks", uk: "До компенсації, грн", en: "Compensation, UAH"),
                ReportColumn("recordedFullFareKopecks", uk: "Повна вартість за валідаторами, грн", en: "Full fare recorded by validators, UAH"),
            ],
            rows: lines.map { line in
                [
                    .integer(Int64(line.carrier.rawValue)), .text(context.carrierName(line.carrier).ukrainian), .text(context.routeName(line.route)),
                    .integer(Int64(line.category.rawValue)), .words(context.categoryName(line.category)), .date(ReportDate(line.date)),
                    .integer(Int64(line.tariffVersion)), .integer(Int64(line.rides)), .money(kopecks: line.fullFareKopecks),
                    .money(kopecks: line.paidKopecks), .money(kopecks: line.compensationKopecks), .money(kopecks: line.recordedFullFareKopecks),
                ]
            },
            totals: [[.empty, Self.total, .empty, .empty, .empty, .empty, .empty, .integer(Int64(sum.0)), .money(kopecks: sum.1), .money(kopecks: sum.2), .money(kopecks: sum.3)]])
    }

    static let totalColumns = [
        ReportColumn("rides", uk: "Поїздок", en: "Rides"),
        ReportColumn("fullFareKopecks", uk: "Повна вартість, грн", en: "Full fare, UAH"),
        ReportColumn("paidByPassengersKopecks", uk: "Сплачено пасажирами, грн", en: "Paid by passengers, UAH"),
        ReportColumn("compensationKopecks", uk: "До компенсації, грн", en: "Compensation, UAH"),
    ]

    static func cells<Key>(_ total: CompensationTotal<Key>) -> [ReportCell] {
        [.integer(Int64(total.rides)), .money(kopecks: total.fullFareKopecks), .money(kopecks: total.paidKopecks), .money(kopecks: total.compensationKopecks)]
    }

    var grandTotal: [ReportCell] { Self.cells(report.total) }

    /// Totals per carrier.
    public var compensationByCarrier: ReportTable {
        ReportTable(
            name: "compensation-by-carrier", title: BilingualText(uk: "Компенсація за перевізниками", en: "Compensation by carrier"),
            columns: [
                ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."), ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
                ReportColumn("edrpou", uk: "Код ЄДРПОУ", en: "EDRPOU code"),
            ] + Self.totalColumns,
            rows: report.totalsByCarrier.map { total in
                [.integer(Int64(total.key.rawValue)), .text(context.carrierName(total.key).ukrainian), .text(context.carriers[total.key]?.edrpou ?? "")]
                    + Self.cells(total)
            },
            totals: [[.empty, Self.total, .empty] + grandTotal])
    }

    /// Totals per carrier and route.
    public func compensationByRoute(carrier: CarrierID? = nil) -> ReportTable {
        ReportTable(
            name: carrier.map { "compensation-by-route-carrier-\($0)" } ?? "compensation-by-route",
            title: BilingualText(uk: "Компенсація за маршрутами", en: "Compensation by route"),
            columns: [
                ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."), ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
                ReportColumn("route", uk: "Маршрут", en: "Route"),
            ] + Self.totalColumns,
            rows: report.totalsByRoute.filter { carrier == nil || $0.key.carrier == carrier }.map { total in
                [.integer(Int64(total.key.carrier.rawValue)), .text(context.carrierName(total.key.carrier).ukrainian), .text(context.routeName(total.key.route))]
                    + Self.cells(total)
            })
    }

    /// Totals per benefit category.
    public var compensationByCategory: ReportTable {
        ReportTable(
            name: "compensation-by-category", title: BilingualText(uk: "Компенсація за категоріями пільговиків", en: "Compensation by benefit category"),
            columns: [ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"), ReportColumn("category", uk: "Категорія", en: "Category")]
                + Self.totalColumns,
            rows: report.totalsByCategory.map { total in
                [.integer(Int64(total.key.rawValue)), .words(context.categoryName(total.key))] + Self.cells(total)
            },
            totals: [[.empty, Self.total] + grandTotal])
    }

    /// The programme's budget per category against accrual and the forecast.
    public var budget: ReportTable {
        let lines = report.budget?.lines ?? []
        return ReportTable(
            name: "budget", title: BilingualText(uk: "Виконання програми компенсації", en: "Compensation programme: budget status"),
            columns: [
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"), ReportColumn("category", uk: "Категорія", en: "Category"),
                ReportColumn("budgetKopecks", uk: "Річний бюджет, грн", en: "Annual budget, UAH"),
                ReportColumn("monthlyCapKopecks", uk: "Місячний ліміт, грн", en: "Monthly cap, UAH"),
                ReportColumn("accruedBeforeKopecks", uk: "Нараховано до періоду, грн", en: "Accrued before the period, UAH"),
                ReportColumn("accruedInPeriodKopecks", uk: "Нараховано за період, грн", en: "Accrued in the period, UAH"),
                ReportColumn("remainingKopecks", uk: "Залишок бюджету, грн", en: "Budget remaining, UAH"),
                ReportColumn("forecastYearKopecks", uk: "Прогноз на рік, грн", en: "Forecast for the year, UAH"),
                ReportColumn("usedBasisPoints", uk: "Використано бюджету", en: "Budget used"),
                ReportColumn("overMonthlyCap", uk: "Перевищено місячний ліміт", en: "Over the monthly cap"),
                ReportColumn("forecastOverBudget", uk: "Прогноз понад бюджет", en: "Forecast over budget"),
            ],
            rows: lines.map { line in
                let accrued = line.accruedBeforeKopecks + line.accruedInPeriodKopecks
                return [
                    .integer(Int64(line.category.rawValue)), .words(context.categoryName(line.category)), .money(kopecks: line.budgetKopecks),
                    line.monthlyCapKopecks.map { .money(kopecks: $0) } ?? .empty, .money(kopecks: line.accruedBeforeKopecks),
                    .money(kopecks: line.accruedInPeriodKopecks), .money(kopecks: line.budgetKopecks - accrued), .money(kopecks: line.forecastYearKopecks),
                    .percent(basisPoints: NumberFormat.basisPoints(accrued, of: line.budgetKopecks)), Self.yesNo(line.overMonthlyCap),
                    Self.yesNo(line.forecastOverBudget),
                ]
            },
            totals: report.budget.map { budget in
                [[
                    .empty, Self.total, .money(kopecks: budget.budgetKopecks), .empty, .empty, .empty,
                    .money(kopecks: budget.budgetKopecks - budget.accruedToDateKopecks), .money(kopecks: budget.forecastYearKopecks),
                    .percent(basisPoints: NumberFormat.basisPoints(budget.accruedToDateKopecks, of: budget.budgetKopecks)),
                ]]
            } ?? [])
    }

    static func yesNo(_ value: Bool) -> ReportCell { .words(value ? BilingualText(uk: "так", en: "yes") : BilingualText(uk: "ні", en: "no")) }

    static let total = ReportCell.words(BilingualText(uk: "Разом", en: "Total"))

    // MARK: Acts of reconciliation

    /// The act's balance per carrier.
    public var acts: ReportTable {
        ReportTable(
            name: "acts", title: BilingualText(uk: "Акти звірки взаєморозрахунків", en: "Acts of reconciliation"),
            columns: [
                ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."), ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
                ReportColumn("edrpou", uk: "Код ЄДРПОУ", en: "EDRPOU code"), ReportColumn("contract", uk: "Договір", en: "Contract"),
                ReportColumn("openingDebtKopecks", uk: "Заборгованість на початок, грн", en: "Opening debt, UAH"),
                ReportColumn("accruedKopecks", uk: "Нараховано, грн", en: "Accrued, UAH"),
                ReportColumn("accruedLateKopecks", uk: "у т. ч. за запізнілими записами, грн", en: "of which late entries, UAH"),
                ReportColumn("paidKopecks", uk: "Сплачено, грн", en: "Paid, UAH"),
                ReportColumn("closingDebtKopecks", uk: "Заборгованість на кінець, грн", en: "Closing debt, UAH"),
                ReportColumn("claimedKopecks", uk: "Заявлено перевізником, грн", en: "Claimed by the carrier, UAH"),
                ReportColumn("claimDifferenceKopecks", uk: "Розбіжність із заявкою, грн", en: "Difference from the claim, UAH"),
            ],
            rows: report.acts.map { act in
                [
                    .integer(Int64(act.carrier.id.rawValue)), .text(act.carrier.name), .text(act.carrier.edrpou), .text(act.carrier.contract),
                    .money(kopecks: act.openingDebtKopecks), .money(kopecks: act.accruedKopecks), .money(kopecks: act.accruedLateKopecks),
                    .money(kopecks: act.paidKopecks), .money(kopecks: act.closingDebtKopecks),
                    act.hasClaim ? .money(kopecks: act.claimedKopecks) : .empty,
                    act.hasClaim ? .money(kopecks: act.claimedKopecks - (act.accruedKopecks - act.accruedLateKopecks)) : .empty,
                ]
            })
    }

    /// Line-by-line comparison with the carriers' claims; only lines that differ.
    public func actVariances(carrier: CarrierID? = nil) -> ReportTable {
        let rows = report.acts.filter { carrier == nil || $0.carrier.id == carrier }.flatMap { act in
            act.variances.filter { $0.rideDifference != 0 || $0.amountDifferenceKopecks != 0 }.map { variance -> [ReportCell] in
                // The entry, the reason's code (to join with excluded-rides) and the reason in words.
                let pairs = Array(zip(variance.explainingEntries, variance.explainingReasons))
                let explanation = BilingualText(
                    uk: pairs.map { "\($0) \($1.rawValue) (\($1.text.uk))" }.joined(separator: "; "),
                    en: pairs.map { "\($0) \($1.rawValue) (\($1.text.en))" }.joined(separator: "; "))
                return [
                    .integer(Int64(act.carrier.id.rawValue)), .text(act.carrier.name), .text(context.routeName(variance.route)),
                    .date(ReportDate(variance.date)), .integer(Int64(variance.category.rawValue)), .integer(Int64(variance.ourRides)),
                    .money(kopecks: variance.ourAmountKopecks), .integer(Int64(variance.claimedRides)), .money(kopecks: variance.claimedAmountKopecks),
                    .integer(Int64(variance.rideDifference)), .money(kopecks: variance.amountDifferenceKopecks),
                    .text(variance.claimLines.map(String.init).joined(separator: ", ")), .words(explanation),
                ]
            }
        }
        return ReportTable(
            name: carrier.map { "act-variances-carrier-\($0)" } ?? "act-variances",
            title: BilingualText(uk: "Розбіжності з даними перевізника", en: "Differences from the carrier's figures"),
            columns: [
                ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."), ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
                ReportColumn("route", uk: "Маршрут", en: "Route"), ReportColumn("date", uk: "Дата", en: "Date"),
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"),
                ReportColumn("ourRides", uk: "Поїздок за обліком громади", en: "Rides, community's records"),
                ReportColumn("ourAmountKopecks", uk: "Сума за обліком громади, грн", en: "Amount, community's records, UAH"),
                ReportColumn("claimedRides", uk: "Поїздок за даними перевізника", en: "Rides, carrier's claim"),
                ReportColumn("claimedAmountKopecks", uk: "Сума за даними перевізника, грн", en: "Amount, carrier's claim, UAH"),
                ReportColumn("rideDifference", uk: "Різниця, поїздок", en: "Difference, rides"),
                ReportColumn("amountDifferenceKopecks", uk: "Різниця, грн", en: "Difference, UAH"),
                ReportColumn("claimLines", uk: "Рядки заявки", en: "Claim lines"),
                ReportColumn("explainingEntries", uk: "Записи, що пояснюють різницю", en: "Entries explaining the difference"),
            ],
            rows: rows)
    }

    /// Payments to carriers in the period.
    public func payments(carrier: CarrierID? = nil) -> ReportTable {
        let rows = report.acts.filter { carrier == nil || $0.carrier.id == carrier }.flatMap { act in
            act.payments.map { payment -> [ReportCell] in
                [
                    .integer(Int64(act.carrier.id.rawValue)), .text(act.carrier.name), .date(ReportDate(payment.paidOn)), .text(payment.reference),
                    .money(kopecks: payment.amountKopecks),
                ]
            }
        }
        return ReportTable(
            name: carrier.map { "payments-carrier-\($0)" } ?? "payments", title: BilingualText(uk: "Оплати перевізникам", en: "Payments to carriers"),
            columns: [
                ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."), ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
                ReportColumn("paidOn", uk: "Дата платежу", en: "Payment date"), ReportColumn("reference", uk: "Платіжне доручення", en: "Payment order"),
                ReportColumn("amountKopecks", uk: "Сума, грн", en: "Amount, UAH"),
            ],
            rows: rows)
    }

    // MARK: Exceptions, exclusions, late entries

    /// The integrity exceptions, each with its entries and evidence.
    public var exceptions: ReportTable {
        ReportTable(
            name: "exceptions", title: BilingualText(uk: "Винятки цілісності даних", en: "Integrity exceptions"),
            columns: [
                ReportColumn("number", uk: "№", en: "No."), ReportColumn("code", uk: "Код", en: "Code"),
                ReportColumn("kind", uk: "Вид винятку", en: "Kind"), ReportColumn("device", uk: "Пристрій", en: "Device"),
                ReportColumn("card", uk: "Картка", en: "Card"), ReportColumn("entries", uk: "Записи (пристрій/номер)", en: "Entries (device/sequence)"),
                ReportColumn("evidence", uk: "Докази", en: "Evidence"),
                ReportColumn("amountAtStakeKopecks", uk: "Сума під питанням, грн", en: "Amount at stake, UAH"),
                ReportColumn("description", uk: "Опис", en: "Description"),
            ],
            rows: report.exceptions.enumerated().map { index, exception in
                [
                    .integer(Int64(index + 1)), .text(exception.kind.rawValue), .words(BilingualText(uk: exception.kind.title.uk, en: exception.kind.title.en)),
                    exception.device.map { .integer(Int64($0.rawValue)) } ?? .empty, exception.card.map { .text($0.printed) } ?? .empty,
                    .text(exception.entries.map(\.description).joined(separator: ", ")),
                    .text(exception.evidence.map { EvidenceText.describe($0, zone: report.period.timeZone) }.joined(separator: "; ")),
                    .money(kopecks: exception.amountAtStakeKopecks), .words(BilingualText(uk: exception.text.uk, en: exception.text.en)),
                ]
            },
            totals: [[.empty, .empty, Self.total, .empty, .empty, .empty, .empty, .money(kopecks: report.exceptions.reduce(0) { $0 + $1.amountAtStakeKopecks })]])
    }

    /// Benefit rides left out of compensation, with why.
    public var excludedRides: ReportTable {
        ReportTable(
            name: "excluded-rides", title: BilingualText(uk: "Поїздки, не включені до компенсації", en: "Rides excluded from compensation"),
            columns: [
                ReportColumn("date", uk: "Дата", en: "Date"), ReportColumn("carrierId", uk: "Код перевізника", en: "Carrier no."),
                ReportColumn("carrier", uk: "Перевізник", en: "Carrier"), ReportColumn("route", uk: "Маршрут", en: "Route"),
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"), ReportColumn("card", uk: "Картка", en: "Card"),
                ReportColumn("entry", uk: "Запис", en: "Entry"), ReportColumn("reasonCode", uk: "Код причини", en: "Reason code"),
                ReportColumn("reason", uk: "Причина", en: "Reason"),
                ReportColumn("amountAtStakeKopecks", uk: "Сума, грн", en: "Amount, UAH"),
            ],
            rows: report.excluded.map { ride in
                [
                    .date(ReportDate(ride.date)), ride.carrier.map { .integer(Int64($0.rawValue)) } ?? .empty,
                    ride.carrier.map { .text(context.carrierName($0).ukrainian) } ?? .empty, .text(context.routeName(ride.route)),
                    .integer(Int64(ride.category.rawValue)), .text(ride.card.printed), .text(ride.entry.description), .text(ride.reason.rawValue),
                    .words(BilingualText(uk: ride.reason.text.uk, en: ride.reason.text.en)), .money(kopecks: ride.amountAtStakeKopecks),
                ]
            },
            totals: [[.empty, .empty, Self.total, .empty, .empty, .empty, .empty, .empty, .empty, .money(kopecks: report.excluded.reduce(0) { $0 + $1.amountAtStakeKopecks })]])
    }

    /// Entries of closed periods that arrived late.
    public var lateEntries: ReportTable {
        let zone = report.period.timeZone
        return ReportTable(
            name: "late-entries", title: BilingualText(uk: "Запізнілі записи попередніх періодів", en: "Late entries of earlier periods"),
            columns: [
                ReportColumn("entry", uk: "Запис", en: "Entry"), ReportColumn("kind", uk: "Вид запису", en: "Entry kind"),
                ReportColumn("deviceTime", uk: "Час на пристрої", en: "Device time"), ReportColumn("receivedAt", uk: "Отримано", en: "Received"),
                ReportColumn("carrier", uk: "Перевізник", en: "Carrier"), ReportColumn("route", uk: "Маршрут", en: "Route"),
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"),
                ReportColumn("compensationKopecks", uk: "До компенсації, грн", en: "Compensation, UAH"),
            ],
            rows: report.late.map { late in
                [
                    .text(late.entry.description), .text(late.kind), .text(ReportDateTime(late.deviceTime, in: zone).tableText),
                    .text(ReportDateTime(late.receivedAt, in: zone).tableText), late.carrier.map { .text(context.carrierName($0).ukrainian) } ?? .empty,
                    .text(context.routeName(late.route)), late.category.map { .integer(Int64($0.rawValue)) } ?? .empty,
                    .money(kopecks: late.compensationKopecks),
                ]
            },
            totals: [[.empty, Self.total, .empty, .empty, .empty, .empty, .empty, .money(kopecks: report.late.reduce(0) { $0 + $1.compensationKopecks })]])
    }

    // MARK: Cards and coverage

    var usages: [CardUsage] { [report.cards.all] + report.cards.byCategory }

    func groupName(_ usage: CardUsage, isAll: Bool) -> ReportCell {
        .words(isAll ? BilingualText(uk: "усі картки", en: "all cards") : context.categoryName(usage.category))
    }

    /// Cards active, rides and the average per card, for all cards and per category.
    public var cardStatistics: ReportTable {
        ReportTable(
            name: "card-statistics", title: BilingualText(uk: "Статистика карток", en: "Card statistics"),
            columns: [
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"), ReportColumn("group", uk: "Група", en: "Group"),
                ReportColumn("activeCards", uk: "Активних карток", en: "Active cards"), ReportColumn("rides", uk: "Поїздок", en: "Rides"),
                ReportColumn("averageRidesPerCardHundredths", uk: "Поїздок на картку в середньому", en: "Average rides per card"),
            ],
            rows: usages.enumerated().map { index, usage in
                [
                    usage.category.map { .integer(Int64($0.rawValue)) } ?? .empty, groupName(usage, isAll: index == 0),
                    .integer(Int64(usage.activeCards)), .integer(Int64(usage.rides)), .hundredths(Int64(usage.averageRidesPerCardHundredths)),
                ]
            })
    }

    /// How many cards rode how many times.
    public var rideDistribution: ReportTable {
        ReportTable(
            name: "ride-distribution", title: BilingualText(uk: "Розподіл карток за кількістю поїздок", en: "Cards by number of rides"),
            columns: [
                ReportColumn("categoryCode", uk: "Код категорії", en: "Category code"), ReportColumn("group", uk: "Група", en: "Group"),
                ReportColumn("minimumRides", uk: "Поїздок від", en: "Rides from"), ReportColumn("maximumRides", uk: "Поїздок до", en: "Rides to"),
                ReportColumn("cards", uk: "Карток", en: "Cards"),
            ],
            rows: usages.enumerated().flatMap { index, usage in
                usage.distribution.map { bucket -> [ReportCell] in
                    [
                        usage.category.map { .integer(Int64($0.rawValue)) } ?? .empty, groupName(usage, isAll: index == 0),
                        .integer(Int64(bucket.minimumRides)), bucket.maximumRides.map { .integer(Int64($0)) } ?? .empty, .integer(Int64(bucket.cards)),
                    ]
                }
            })
    }

    /// The devices read and how far their chains are held: the ledgers behind the report.
    public var coverage: ReportTable {
        ReportTable(
            name: "coverage", title: BilingualText(uk: "Охоплення журналів пристроїв", en: "Device ledgers covered"),
            columns: [
                ReportColumn("device", uk: "Пристрій", en: "Device"), ReportColumn("headSequence", uk: "Останній запис у сервісі", en: "Held head sequence"),
                ReportColumn("headHash", uk: "Хеш останнього запису", en: "Held head hash"),
                ReportColumn("receiptSequence", uk: "Квитанція до запису", en: "Receipt up to"),
                ReportColumn("checkpointSequence", uk: "Контрольна точка до запису", en: "Checkpoint up to"),
                ReportColumn("entriesRead", uk: "Прочитано записів", en: "Entries read"),
            ],
            rows: report.coverage.map { device in
                [
                    .integer(Int64(device.device.rawValue)), .integer(Int64(device.headSequence)), .text(device.headHash),
                    device.receiptSequence.map { .integer(Int64($0)) } ?? .empty, device.checkpointSequence.map { .integer(Int64($0)) } ?? .empty,
                    .integer(Int64(device.entriesRead)),
                ]
            })
    }
}

/// Evidence in words for the exceptions table (Ukrainian; the code names the kind for machines).
enum EvidenceText {
    static func time(_ instant: UnixTime, _ zone: TimeZoneRule) -> String { ReportDateTime(instant, in: zone).tableText }

    static func describe(_ evidence: Evidence, zone: TimeZoneRule) -> String {
        switch evidence {
        case .refusedBatch(let first, let last, let offeredAt):
            "відхилений пакет записів \(first)–\(last)" + (offeredAt.map { " (\(time($0, zone)))" } ?? "")
        case .cardTripNumbers(let card, let missing, let seenAfter):
            "картка \(card.printed): немає поїздки № \(missing), видно з запису \(seenAfter)"
        case .silence(let last, let days):
            "немає записів \(days) дн." + (last.map { ", останній \(time($0, zone))" } ?? "")
        case .coverage(let receipt, let checkpoint):
            "квитанція до \(receipt.map(String.init) ?? "—"), контрольна точка до \(checkpoint.map(String.init) ?? "—")"
        case .tamperAlarm(let sequence, let held, let offered, let first, let last, let raisedAt):
            "запис \(sequence): у сервісі \(held), запропоновано \(offered), пакет \(first)–\(last), \(time(raisedAt, zone))"
        case .receivedAfterClose(let receivedAt, let closedAt):
            "отримано \(time(receivedAt, zone)) після закриття \(time(closedAt, zone))"
        case .timeDifference(let deviceTime, let receivedAt, let seconds):
            "час пристрою \(time(deviceTime, zone)), отримано \(time(receivedAt, zone)), різниця \(seconds) с"
        case .clockStep(let newTime, let correction, let source):
            "годинник переведено на \(time(newTime, zone)) (\(correction) с, джерело \(source))"
        case .laterTap(let entry, let cardSequence):
            "пізніше прикладання \(entry), лічильник картки \(cardSequence)"
        case .pendingOutcome(let outcome):
            "результат: \(outcome)"
        case .sameRide(let entry):
            "та сама поїздка: \(entry)"
        case .twoVehicles(let first, let second, let seconds):
            "транспортні засоби \(first) і \(second) з інтервалом \(seconds) с"
        case .purseBalance(let previous, let debit, let after, let credits):
            "баланс після попередньої \(NumberFormat.excelMoney(kopecks: previous)), списано \(NumberFormat.excelMoney(kopecks: debit)), "
                + "баланс \(NumberFormat.excelMoney(kopecks: after)), поповнення \(NumberFormat.excelMoney(kopecks: credits)) грн"
        case .creditEvidence(let source):
            source == "desk-ledger" ? "поповнення за журналами кас" : "поповнення за імпортом"
        case .tripCounter(let previous, let previousCounter, let counter):
            "лічильник картки \(counter) після \(previousCounter) у записі \(previous)"
        case .denyListing(let reason, let effectiveAt):
            "стоп-список з \(time(effectiveAt, zone)): \(reason)"
        case .rideLimit(let entitlement, let limit, let periodStart, let rideNumber):
            "пільга \(entitlement): поїздка № \(rideNumber) при ліміті \(limit) з \(periodStart)"
        case .entitlementValidity(let entitlement, let from, let until, let rideDate):
            "пільга \(entitlement): чинна \(from.map { "\($0)" } ?? "—")…\(until.map { "\($0)" } ?? "—"), поїздка \(rideDate)"
        }
    }
}
