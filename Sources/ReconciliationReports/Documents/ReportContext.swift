import AccountingCore
import Entitlements
import Identifiers
import Reconciliation

/// What a report's documents need beside the report: names for the numbers, and when and from
/// what the report was made.
public struct ReportContext: Hashable, Sendable {
    /// The community, for every page's header.
    public var community: BilingualText
    /// Carriers by id (name, ЄДРПОУ, contract).
    public var carriers: [CarrierID: Carrier]
    /// Route names by number.
    public var routes: [RouteNumber: String]
    /// Category names by code.
    public var categories: [CategoryCode: BilingualText]
    /// When the report was made (printed on pages only; CSV and JSON do not carry it, so they
    /// stay byte-identical between runs).
    public var generatedAt: UnixTime
    /// `ReportManifest.inputsDigest`, printed on every page.
    public var inputsDigest: String

    /// A context from explicit lists.
    public init(
        community: BilingualText, carriers: [Carrier], routes: [RouteAssignment], categories: [BenefitCategory], generatedAt: UnixTime,
        inputsDigest: String
    ) {
        self.community = community
        self.carriers = Dictionary(carriers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.routes = Dictionary(routes.map { ($0.route, $0.name) }, uniquingKeysWith: { first, _ in first })
        self.categories = Dictionary(
            categories.map { ($0.code, BilingualText(uk: $0.name.uk, en: $0.name.en)) }, uniquingKeysWith: { first, _ in first })
        self.generatedAt = generatedAt
        self.inputsDigest = inputsDigest
    }

    /// A context from the reference data the report was computed with: carriers, routes and
    /// the categories of every tariff version (the latest version's name wins).
    public init(community: BilingualText, reference: ReferenceSet, generatedAt: UnixTime, inputsDigest: String) {
        let categories = reference.tariffs.sorted { $0.period.version < $1.period.version }.reversed().flatMap { $0.tariff.categories }
        self.init(
            community: community, carriers: reference.carriers, routes: reference.routes, categories: categories, generatedAt: generatedAt,
            inputsDigest: inputsDigest)
    }

    /// The carrier's name, or `перевізник N` when the reference data does not know it.
    func carrierName(_ id: CarrierID?) -> BilingualText {
        guard let id else { return BilingualText(uk: "не визначено", en: "unknown") }
        if let carrier = carriers[id] { return BilingualText(verbatim: carrier.name) }
        return BilingualText(uk: "перевізник \(id)", en: "carrier \(id)")
    }

    /// `12 Центр — Вокзал`, or the number alone.
    func routeName(_ route: RouteNumber?) -> String {
        guard let route else { return "" }
        guard let name = routes[route], !name.isEmpty else { return "\(route)" }
        return "\(route) \(name)"
    }

    /// The category's name, or `категорія N`.
    func categoryName(_ code: CategoryCode?) -> BilingualText {
        guard let code else { return BilingualText(uk: "без пільги", en: "no benefit") }
        return categories[code] ?? BilingualText(uk: "категорія \(code)", en: "category \(code)")
    }
}

extension ReportDate {
    /// The report date of a civil date.
    init(_ date: CivilDate) {
        let parts = date.components
        self.init(year: parts.year, month: parts.month, day: parts.day)
    }
}

extension ReportDateTime {
    /// `instant` on the clock of `zone`.
    init(_ instant: UnixTime, in zone: TimeZoneRule) {
        let local = zone.local(at: instant)
        self.init(
            date: ReportDate(local.date), hour: local.secondOfDay / 3600, minute: local.secondOfDay / 60 % 60, second: local.secondOfDay % 60,
            utcOffsetSeconds: zone.offsetSeconds(at: instant))
    }

    /// `2026-11-03 14:05:09` (local, seconds, no offset): for tables, where the header gives the zone.
    var tableText: String { "\(date.iso) \(twoDigits(hour)):\(twoDigits(minute)):\(twoDigits(second))" }
}
