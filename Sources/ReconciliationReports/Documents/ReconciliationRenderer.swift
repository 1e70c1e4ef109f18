import AccountingCore
import Crypto
import Entitlements
import Identifiers
import Reconciliation

/// Turns a `ReconciliationReport` into the files of a report directory.
///
/// `render` gives the printed pages (`report.uk.html`, `report.en.html`), one CSV per table
/// and `report.json`; the tool writes them and then the signed manifest over them:
///
/// ```swift
/// let manifest = ReconciliationRenderer.manifest(for: report, community: …, extraInputs: …)
/// let context = ReportContext(community: …, reference: input.reference, generatedAt: now, inputsDigest: manifest.inputsDigest)
/// let files = ReconciliationRenderer.render(report, context: context)
/// let signed = try manifest.signed(outputs: files, with: financeKey)
/// // write files + [signed.file]
/// ```
public enum ReconciliationRenderer {
    /// The format name `report.json` carries.
    public static let jsonFormat = "hromada-reconciliation-report/1"

    /// Every output file: the two HTML pages, the CSV tables, `report.json`; sorted by name.
    public static func render(_ report: ReconciliationReport, context: ReportContext) -> [OutputFile] {
        let tables = ReconciliationTables(report, context: context).all
        var files = document(report, context: context).files
        files += tables.map { OutputFile(name: "\($0.name).csv", bytes: ExcelCSV.encode($0)) }
        files.append(OutputFile(name: "report.json", bytes: json(report, context: context).prettyBytes))
        return files.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// The manifest's subject and inputs for `report`: each device's held head and coverage and
    /// the tariff versions used, plus what the tool adds (`extraInputs`: bundle hashes, claim
    /// files, the closing record).
    public static func manifest(for report: ReconciliationReport, community: String, extraInputs: [ManifestInput] = []) -> ReportManifest {
        var subject: [String: JSONValue] = [
            "community": .string(community), "periodFrom": .string(report.period.firstDay.description),
            "periodTo": .string(report.period.lastDay.description), "timeZone": .string(report.period.timeZone.name),
            "generator": .string("hromada-reconcile"),
        ]
        if let closedAt = report.closedAt { subject["closedAt"] = .integer(closedAt.rawValue) }
        var inputs = report.coverage.map { device in
            var attributes: [String: JSONValue] = [
                "sequence": .integer(Int64(device.headSequence)), "chainHash": .string(device.headHash), "entriesRead": .integer(Int64(device.entriesRead)),
            ]
            if let receipt = device.receiptSequence { attributes["receiptSequence"] = .integer(Int64(receipt)) }
            if let checkpoint = device.checkpointSequence { attributes["checkpointSequence"] = .integer(Int64(checkpoint)) }
            return ManifestInput(kind: "device-head", name: "\(device.device.rawValue)", attributes: attributes)
        }
        inputs += report.tariffVersionsUsed.map { ManifestInput(kind: "tariff-version", name: "\($0)") }
        return ReportManifest(subject: subject, inputs: inputs + extraInputs)
    }

    /// The whole report for machines: the format, the period, and every table's rows keyed by
    /// column (money in kopecks). No generation time, so the same report is the same bytes.
    public static func json(_ report: ReconciliationReport, context: ReportContext) -> JSONValue {
        let tables = ReconciliationTables(report, context: context).all
        var period: [String: JSONValue] = [
            "firstDay": .string(report.period.firstDay.description), "lastDay": .string(report.period.lastDay.description),
            "label": .string(report.period.label), "timeZone": .string(report.period.timeZone.name),
            "start": .integer(report.period.start.rawValue), "end": .integer(report.period.end.rawValue),
        ]
        period["closedAt"] = report.closedAt.map { .integer($0.rawValue) } ?? .null
        return .object([
            "format": .string(jsonFormat),
            "community": .object(["uk": .string(context.community.ukrainian), "en": .string(context.community.english)]),
            "period": .object(period),
            "total": .object([
                "rides": .integer(Int64(report.total.rides)), "fullFareKopecks": .integer(report.total.fullFareKopecks),
                "paidByPassengersKopecks": .integer(report.total.paidKopecks), "compensationKopecks": .integer(report.total.compensationKopecks),
            ]),
            "tariffVersionsUsed": .array(report.tariffVersionsUsed.map { .integer(Int64($0)) }),
            "tables": .object(Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0.json) })),
        ])
    }

    /// The three charts: rides per day by category, compensation per carrier (by category),
    /// exceptions per device (by kind).
    public static func charts(_ report: ReconciliationReport, context: ReportContext) -> [BarChart] {
        let report = ReconciliationTables.ordered(report)
        let days = report.period.days
        let dayIndex = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
        let categories = Array(Set(report.lines.map(\.category))).sorted()
        var ridesPerDay = Dictionary(uniqueKeysWithValues: categories.map { ($0, [Int64](repeating: 0, count: days.count)) })
        for line in report.lines {
            if let index = dayIndex[line.date] { ridesPerDay[line.category]![index] += Int64(line.rides) }
        }
        let rides = BarChart(
            id: "chart-rides-per-day", title: BilingualText(uk: "Пільгові поїздки за днями і категоріями", en: "Benefit rides per day by category"),
            valueAxis: BilingualText(uk: "Поїздки", en: "Rides"), categoryAxis: BilingualText(uk: "День місяця", en: "Day of the month"),
            categories: days.map { "\($0.day)" },
            series: categories.map { BarChart.Series(name: context.categoryName($0), values: ridesPerDay[$0]!) })

        let carriers = report.totalsByCarrier.map(\.key)
        let carrierIndex = Dictionary(uniqueKeysWithValues: carriers.enumerated().map { ($1, $0) })
        var compensation = Dictionary(uniqueKeysWithValues: categories.map { ($0, [Int64](repeating: 0, count: carriers.count)) })
        for line in report.lines {
            if let index = carrierIndex[line.carrier] { compensation[line.category]![index] += line.compensationKopecks }
        }
        let perCarrier = BarChart(
            id: "chart-compensation-per-carrier", title: BilingualText(uk: "Компенсація за перевізниками", en: "Compensation per carrier"),
            valueAxis: BilingualText(uk: "Компенсація", en: "Compensation"), categoryAxis: BilingualText(uk: "Перевізник", en: "Carrier"),
            categories: carriers.map { context.carrierName($0).ukrainian },
            series: categories.map { BarChart.Series(name: context.categoryName($0), values: compensation[$0]!) }, unit: .money)

        let devices = Array(Set(report.exceptions.map { $0.device?.rawValue ?? 0 })).sorted()
        let deviceIndex = Dictionary(uniqueKeysWithValues: devices.enumerated().map { ($1, $0) })
        let kinds = Array(Set(report.exceptions.map(\.kind))).sorted()
        var counts = Dictionary(uniqueKeysWithValues: kinds.map { ($0, [Int64](repeating: 0, count: devices.count)) })
        for exception in report.exceptions { counts[exception.kind]![deviceIndex[exception.device?.rawValue ?? 0]!] += 1 }
        let perDevice = BarChart(
            id: "chart-exceptions-per-device", title: BilingualText(uk: "Винятки за пристроями", en: "Exceptions per device"),
            valueAxis: BilingualText(uk: "Винятки", en: "Exceptions"), categoryAxis: BilingualText(uk: "Пристрій", en: "Device"),
            categories: devices.map { $0 == 0 ? "—" : "\($0)" },
            series: kinds.map { BarChart.Series(name: BilingualText(uk: $0.title.uk, en: $0.title.en), values: counts[$0]!) })
        return [rides, perCarrier, perDevice]
    }

    /// The printed report: summary with charts, then per carrier the розрахунок компенсації and
    /// the акт звірки, then exceptions, excluded rides, budget, card statistics, late entries and
    /// the ledgers covered; each section from a new page.
    public static func document(_ report: ReconciliationReport, context: ReportContext) -> PrintDocument {
        let report = ReconciliationTables.ordered(report)
        let tables = ReconciliationTables(report, context: context)
        let charts = charts(report, context: context)
        let header = PrintHeader(
            community: context.community,
            title: BilingualText(
                uk: "Компенсація за пільговий проїзд: звіт за \(report.period.label)", en: "Benefit ride compensation: report for \(report.period.label)"),
            periodStart: ReportDate(report.period.firstDay), periodEnd: ReportDate(report.period.lastDay),
            generatedAt: ReportDateTime(context.generatedAt, in: report.period.timeZone), inputsDigest: context.inputsDigest)
        let period = BilingualText(
            uk: "\(ReportDate(report.period.firstDay).ukrainian) — \(ReportDate(report.period.lastDay).ukrainian)",
            en: "\(report.period.firstDay) — \(report.period.lastDay)")
        var sections: [PrintSection] = []

        var summary: [PrintBlock.Fact] = [
            .init(BilingualText(uk: "Звітний період", en: "Period"), .text(period.ukrainian)),
            .init(BilingualText(uk: "Пільгових поїздок", en: "Benefit rides"), .integer(Int64(report.total.rides))),
            .init(BilingualText(uk: "Повна вартість поїздок", en: "Full fares"), .money(kopecks: report.total.fullFareKopecks)),
            .init(BilingualText(uk: "Сплачено пасажирами", en: "Paid by passengers"), .money(kopecks: report.total.paidKopecks)),
            .init(BilingualText(uk: "Усього до компенсації", en: "Total compensation"), .money(kopecks: report.total.compensationKopecks), emphasized: true),
            .init(BilingualText(uk: "Винятків цілісності", en: "Integrity exceptions"), .integer(Int64(report.exceptions.count))),
            .init(BilingualText(uk: "Поїздок не включено до компенсації", en: "Rides excluded"), .integer(Int64(report.excluded.count))),
        ]
        if let closedAt = report.closedAt {
            summary.insert(
                .init(BilingualText(uk: "Період закрито", en: "Period closed"), .text(ReportDateTime(closedAt, in: report.period.timeZone).text(.ukrainian))),
                at: 1)
        }
        sections.append(
            PrintSection(
                id: "summary", title: BilingualText(uk: "Підсумок", en: "Summary"),
                blocks: [.facts(summary), .table(tables.compensationByCarrier.dropping(["carrierId"])), .table(tables.compensationByCategory)] + charts.map { .chart($0) }))

        let carriers = Array(Set(report.totalsByCarrier.map(\.key) + report.acts.map(\.carrier.id))).sorted()
        for carrier in carriers {
            let name = context.carrierName(carrier)
            let known = context.carriers[carrier]
            let total = report.totalsByCarrier.first { $0.key == carrier }
            if let total {
                var facts: [PrintBlock.Fact] = [.init(BilingualText(uk: "Перевізник", en: "Carrier"), .text(name.ukrainian))]
                if let known {
                    facts.append(.init(BilingualText(uk: "Код ЄДРПОУ", en: "EDRPOU code"), .text(known.edrpou)))
                    facts.append(.init(BilingualText(uk: "Договір", en: "Contract"), .text(known.contract)))
                }
                facts += [
                    .init(BilingualText(uk: "Період", en: "Period"), .text(period.ukrainian)),
                    .init(BilingualText(uk: "Пільгових поїздок", en: "Benefit rides"), .integer(Int64(total.rides))),
                    .init(BilingualText(uk: "До компенсації", en: "Compensation"), .money(kopecks: total.compensationKopecks), emphasized: true),
                ]
                sections.append(
                    PrintSection(
                        id: "compensation-carrier-\(carrier)",
                        title: BilingualText(uk: "Розрахунок компенсації: \(name.ukrainian)", en: "Compensation calculation: \(name.english)"),
                        blocks: [
                            .facts(facts),
                            .paragraph(
                                BilingualText(
                                    uk: "Сума до компенсації: \(NumberFormat.money(kopecks: total.compensationKopecks, .ukrainian)) (\(AmountInWords.ukrainian(kopecks: total.compensationKopecks))).",
                                    en: "Compensation due: \(NumberFormat.money(kopecks: total.compensationKopecks, .english)).")),
                            .paragraph(
                                BilingualText(
                                    uk: "Компенсація = повна вартість проїзду за тарифом, чинним у день поїздки, мінус сплачене пасажиром; за кожним рядком — записи валідаторів.",
                                    en: "Compensation = the full fare by the tariff in force on the day of the ride minus what the passenger paid; each line rests on validator entries.")),
                            .table(tables.compensationByRoute(carrier: carrier).dropping(["carrierId", "carrier"])), .table(tables.compensationLines(carrier: carrier)),
                            .signatures([.head, .chiefAccountant, .preparedBy]),
                        ]))
            }
            if let act = report.acts.first(where: { $0.carrier.id == carrier }) {
                var facts: [PrintBlock.Fact] = [
                    .init(BilingualText(uk: "Перевізник", en: "Carrier"), .text(act.carrier.name)),
                    .init(BilingualText(uk: "Код ЄДРПОУ", en: "EDRPOU code"), .text(act.carrier.edrpou)),
                    .init(BilingualText(uk: "Договір", en: "Contract"), .text(act.carrier.contract)),
                    .init(BilingualText(uk: "Заборгованість на початок періоду", en: "Opening debt"), .money(kopecks: act.openingDebtKopecks)),
                    .init(BilingualText(uk: "Нараховано за період", en: "Accrued in the period"), .money(kopecks: act.accruedKopecks)),
                    .init(BilingualText(uk: "у т. ч. за запізнілими записами", en: "of which late entries"), .money(kopecks: act.accruedLateKopecks)),
                    .init(BilingualText(uk: "Сплачено", en: "Paid"), .money(kopecks: act.paidKopecks)),
                    .init(BilingualText(uk: "Заборгованість на кінець періоду", en: "Closing debt"), .money(kopecks: act.closingDebtKopecks), emphasized: true),
                ]
                var blocks: [PrintBlock] = []
                if act.hasClaim {
                    facts.append(.init(BilingualText(uk: "Заявлено перевізником", en: "Claimed by the carrier"), .money(kopecks: act.claimedKopecks)))
                    blocks = [.facts(facts), .table(tables.payments(carrier: carrier).dropping(["carrierId", "carrier"])), .table(tables.actVariances(carrier: carrier).dropping(["carrierId", "carrier", "claimLines"]))]
                } else {
                    blocks = [
                        .facts(facts), .table(tables.payments(carrier: carrier).dropping(["carrierId", "carrier"])),
                        .paragraph(BilingualText(uk: "Перевізник не подав даних за період; звірку проведено за обліком громади.", en: "The carrier submitted no figures for the period; the act rests on the community's records.")),
                    ]
                }
                blocks.append(
                    .paragraph(
                        BilingualText(
                            uk: act.closingDebtKopecks >= 0
                                ? "Заборгованість громади перед перевізником на кінець періоду: \(NumberFormat.money(kopecks: act.closingDebtKopecks, .ukrainian)) (\(AmountInWords.ukrainian(kopecks: act.closingDebtKopecks)))."
                                : "Переплата перевізнику на кінець періоду: \(NumberFormat.money(kopecks: -act.closingDebtKopecks, .ukrainian)) (\(AmountInWords.ukrainian(kopecks: -act.closingDebtKopecks))).",
                            en: act.closingDebtKopecks >= 0
                                ? "The community owes the carrier \(NumberFormat.money(kopecks: act.closingDebtKopecks, .english)) at the end of the period."
                                : "The carrier was overpaid by \(NumberFormat.money(kopecks: -act.closingDebtKopecks, .english)) at the end of the period.")))
                blocks.append(.heading(BilingualText(uk: "Від громади", en: "For the community")))
                blocks.append(.signatures([.head, .chiefAccountant, .preparedBy]))
                blocks.append(.heading(BilingualText(uk: "Від перевізника", en: "For the carrier")))
                blocks.append(.signatures([.carrierDirector, .carrierAccountant]))
                sections.append(
                    PrintSection(
                        id: "act-carrier-\(carrier)",
                        title: BilingualText(uk: "Акт звірки взаєморозрахунків: \(act.carrier.name)", en: "Act of reconciliation: \(act.carrier.name)"),
                        blocks: blocks))
            }
        }

        sections.append(PrintSection(id: "exceptions", title: BilingualText(uk: "Винятки цілісності даних", en: "Integrity exceptions"), blocks: [.table(tables.exceptions)]))
        sections.append(
            PrintSection(
                id: "excluded", title: BilingualText(uk: "Поїздки, не включені до компенсації", en: "Rides excluded from compensation"),
                blocks: [.table(tables.excludedRides.dropping(["carrierId", "reasonCode"]))]))
        var budgetBlocks: [PrintBlock] = [.table(tables.budget.dropping(["categoryCode", "accruedBeforeKopecks"]))]
        if let budget = report.budget {
            budgetBlocks.insert(
                .facts([
                    .init(BilingualText(uk: "Рік програми", en: "Programme year"), .integer(Int64(budget.year))),
                    .init(BilingualText(uk: "Бюджет програми", en: "Programme budget"), .money(kopecks: budget.budgetKopecks)),
                    .init(BilingualText(uk: "Нараховано з початку року", en: "Accrued this year"), .money(kopecks: budget.accruedToDateKopecks)),
                    .init(BilingualText(uk: "Сплачено з початку року", en: "Paid this year"), .money(kopecks: budget.paidToDateKopecks)),
                    .init(BilingualText(uk: "Прогноз на рік", en: "Forecast for the year"), .money(kopecks: budget.forecastYearKopecks), emphasized: true),
                ]), at: 0)
        } else {
            budgetBlocks.insert(.paragraph(BilingualText(uk: "Програму компенсації на цей рік не внесено.", en: "No compensation programme is recorded for this year.")), at: 0)
        }
        sections.append(PrintSection(id: "budget", title: BilingualText(uk: "Виконання програми компенсації", en: "Compensation programme"), blocks: budgetBlocks))
        sections.append(
            PrintSection(
                id: "cards", title: BilingualText(uk: "Статистика карток", en: "Card statistics"),
                blocks: [
                    .paragraph(BilingualText(uk: "Картки враховано лише за серійними номерами; персональних даних звіт не містить.", en: "Cards are counted by serial number only; the report holds no personal data.")),
                    .table(tables.cardStatistics), .table(tables.rideDistribution),
                ]))
        sections.append(
            PrintSection(
                id: "late", title: BilingualText(uk: "Запізнілі записи попередніх періодів", en: "Late entries of earlier periods"), blocks: [.table(tables.lateEntries)]))
        sections.append(
            PrintSection(id: "coverage", title: BilingualText(uk: "Журнали пристроїв, використані у звіті", en: "Device ledgers used"), blocks: [.table(tables.coverage)]))
        return PrintDocument(header: header, sections: sections)
    }
}
