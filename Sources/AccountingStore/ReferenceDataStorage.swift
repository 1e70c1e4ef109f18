import AccountingCore
import Bundles
import Entitlements
import Identifiers

/// The finance officer's reference data in the accounting store (schema 6): carriers, routes,
/// device assignments, the compensation programme, tariff periods, deny-listing effect times,
/// purse credits, issued entitlements, carrier payments and month closings.
///
/// Every writer checks its input (`validate()` of the value types) and refuses with a
/// `ReferenceDataError`: `invalid-reference`, `duplicate-reference`, `unknown-reference` (a
/// carrier that is not stored, a replacement of nothing), `assignment-overlap`,
/// `period-already-closed`. An import is one transaction: all of it is stored, or none.
///
/// Two rows are written by the store itself when a bundle is stored (`storeBundle`): a tariff
/// bundle records its version as effective from its upload time (unless a period for that
/// version exists), and a deny-list bundle gives every reported card it lists that has no
/// effect time yet the bundle's upload time and version.
public protocol ReferenceDataStorage: Sendable {
    /// Adds a carrier; refuses an id or ЄДРПОУ stored already.
    func addCarrier(_ carrier: Carrier) async throws
    /// Replaces the stored carrier with the same id; refuses an unknown id or another carrier's ЄДРПОУ.
    func replaceCarrier(_ carrier: Carrier) async throws
    /// Every carrier, by id.
    func carriers() async throws -> [Carrier]

    /// Adds a route; refuses a route number stored already or an unknown carrier.
    func addRoute(_ route: RouteAssignment) async throws
    /// Replaces the stored route with the same number; refuses an unknown route or carrier.
    func replaceRoute(_ route: RouteAssignment) async throws
    /// Every route, by number.
    func routes() async throws -> [RouteAssignment]

    /// Adds a span of a device's assignment; with `closingOpenSpan`, the device's open span that
    /// started earlier ends where this one starts. Refuses an overlap with the device's other
    /// spans or an unknown carrier. Returns the device's spans after the change, by start.
    @discardableResult
    func assignDevice(_ assignment: DeviceAssignment, closingOpenSpan: Bool) async throws -> [DeviceAssignment]
    /// Replaces every span of `device` with `spans` (all of that device; they must not overlap).
    func replaceDeviceAssignments(of device: DeviceID, with spans: [DeviceAssignment]) async throws
    /// The spans that share an instant with `period` (every span when nil), by device and start.
    func deviceAssignments(overlapping period: Range<UnixTime>?) async throws -> [DeviceAssignment]

    /// Sets the programme of its year, replacing every line of that year.
    func setProgramme(_ programme: CompensationProgramme) async throws
    /// The programme of `year`, or nil when it has no line.
    func programme(year: Int) async throws -> CompensationProgramme?

    /// Records when a tariff version took effect, replacing the time held for that version.
    func setTariffPeriod(_ period: TariffPeriod) async throws
    /// Every tariff period, by effective time.
    func tariffPeriods() async throws -> [TariffPeriod]

    /// Every deny-list report with the time its bundle took effect, oldest report first.
    func denyListings() async throws -> [DenyListing]

    /// Stores credits in one transaction; refuses (storing none) a credit stored already
    /// (same card, time and reference) or given twice.
    func importPurseCredits(_ credits: [PurseCredit]) async throws
    /// The credits made in `period` (every credit when nil), by time.
    func purseCredits(in period: Range<UnixTime>?) async throws -> [PurseCredit]

    /// Stores issued entitlements in one transaction, replacing a stored one with the same card
    /// and number (the desk's latest export is the truth); refuses a pair given twice.
    func importIssuedEntitlements(_ entitlements: [IssuedEntitlement]) async throws
    /// The issued entitlements of `cards` (every card when nil), by card and number.
    func issuedEntitlements(of cards: Set<CardSerial>?) async throws -> [IssuedEntitlement]

    /// Records a payment; refuses an unknown carrier or a reference used for that carrier already.
    func addCarrierPayment(_ payment: CarrierPayment) async throws
    /// The payments dated from `first` through `last` (open ends when nil), by date.
    func carrierPayments(from first: CivilDate?, through last: CivilDate?) async throws -> [CarrierPayment]

    /// Stores a month's closing; refuses (`period-already-closed`) a month closed already.
    func storePeriodClose(_ close: PeriodClose) async throws
    /// The closing of `month` (`YYYY-MM`), if it is closed.
    func periodClose(month: String) async throws -> PeriodClose?
    /// Every closing, by month.
    func periodCloses() async throws -> [PeriodClose]
}

extension ReferenceDataStorage {
    /// What one reconciliation needs for `period` (instants) and `dates` (the same period as local
    /// dates): every carrier, route, tariff period and deny listing; the assignments overlapping
    /// the period; the programmes of the years the dates touch; credits in the period; payments
    /// dated in it; the issued entitlements of `cards` (every card when nil).
    public func referenceData(for period: Range<UnixTime>, dates: ClosedRange<CivilDate>, cards: Set<CardSerial>?) async throws -> ReferenceSnapshot {
        var programmes: [CompensationProgramme] = []
        for year in dates.lowerBound.year...dates.upperBound.year {
            if let programme = try await programme(year: year) { programmes.append(programme) }
        }
        return ReferenceSnapshot(
            carriers: try await carriers(), routes: try await routes(), deviceAssignments: try await deviceAssignments(overlapping: period),
            programmes: programmes, tariffPeriods: try await tariffPeriods(), denyListings: try await denyListings(),
            purseCredits: try await purseCredits(in: period),
            carrierPayments: try await carrierPayments(from: dates.lowerBound, through: dates.upperBound),
            issuedEntitlements: try await issuedEntitlements(of: cards))
    }
}

/// Checks shared by both engines, before anything is written.
enum ReferenceChecks {
    /// Refuses a list in which two credits share card, time and reference.
    static func uniqueCredits(_ credits: [PurseCredit]) throws(ReferenceDataError) {
        var seen: Set<String> = []
        for credit in credits {
            try credit.validate()
            guard seen.insert("\(credit.card.rawValue)/\(credit.creditedAt.rawValue)/\(credit.reference)").inserted else {
                throw duplicateCredit(credit)
            }
        }
    }

    static func duplicateCredit(_ credit: PurseCredit) -> ReferenceDataError {
        .duplicate(
            uk: "поповнення картки \(credit.card) о \(credit.creditedAt) з підставою «\(credit.reference)» вже є",
            en: "the credit of card \(credit.card) at \(credit.creditedAt) with reference \"\(credit.reference)\" is there already")
    }

    /// Refuses a list in which a card's entitlement number appears twice.
    static func uniqueEntitlements(_ entitlements: [IssuedEntitlement]) throws(ReferenceDataError) {
        var seen: Set<String> = []
        for entitlement in entitlements {
            try entitlement.validate()
            guard seen.insert("\(entitlement.card.rawValue)/\(entitlement.entitlement.rawValue)").inserted else {
                throw .duplicate(
                    uk: "пільга \(entitlement.entitlement) картки \(entitlement.card) вказана двічі",
                    en: "entitlement \(entitlement.entitlement) of card \(entitlement.card) is given twice")
            }
        }
    }

    static func unknownCarrier(_ carrier: CarrierID) -> ReferenceDataError {
        .unknown(uk: "перевізника \(carrier) немає", en: "no carrier \(carrier)")
    }

    static func duplicateCarrier(_ carrier: Carrier) -> ReferenceDataError {
        .duplicate(
            uk: "перевізник \(carrier.id) або код ЄДРПОУ \(carrier.edrpou) вже є", en: "carrier \(carrier.id) or ЄДРПОУ code \(carrier.edrpou) is there already")
    }

    static func duplicateRoute(_ route: RouteAssignment) -> ReferenceDataError {
        .duplicate(uk: "маршрут \(route.route) вже є", en: "route \(route.route) is there already")
    }

    static func duplicatePayment(_ payment: CarrierPayment) -> ReferenceDataError {
        .duplicate(
            uk: "платіж перевізнику \(payment.carrier) з підставою «\(payment.reference)» вже є",
            en: "a payment to carrier \(payment.carrier) with reference \"\(payment.reference)\" is there already")
    }

    static func alreadyClosed(_ month: String) -> ReferenceDataError {
        ReferenceDataError(.periodAlreadyClosed, uk: "місяць \(month) вже закрито", en: "month \(month) is closed already")
    }

    /// The printed serials a deny-list bundle lists, or nil when the bytes are not one (the store
    /// only stores verified bundles, so nil means there is nothing to record).
    static func deniedCards(in bundleBytes: [UInt8]) -> [String]? {
        guard let bundle = try? SignedBundle(decoding: bundleBytes), bundle.header.kind == .denyList,
            let list = try? DenyListPayload.decode(bundle.payload, version: bundle.header.version)
        else { return nil }
        return list.entries.map(\.serial.printed)
    }
}
