import Entitlements
import Identifiers

/// The tariff as a community publishes it (`Communities/<name>/tariff.json`): the fields of
/// `Tariff`, except that `categories` lists only the codes in force.
///
/// The categories themselves (ids, names, legal basis) are defined once, in the community's
/// `categories.json` (`BenefitCategoryList`); `resolved(with:)` joins the two into the `Tariff`
/// that validators receive in a signed bundle, which carries the full categories so that a
/// validator needs no second file. Every other field has the meaning documented on `Tariff`.
public struct TariffSource: Hashable, Sendable, Codable {
    /// See `Tariff.community`.
    public var community: String
    /// See `Tariff.version`.
    public var version: UInt32
    /// See `Tariff.currency`.
    public var currency: String
    /// See `Tariff.timeZone`.
    public var timeZone: TimeZoneRule
    /// See `Tariff.acceptedLayoutVersions`.
    public var acceptedLayoutVersions: [LayoutVersion]
    /// See `Tariff.cardLayoutOrder`.
    public var cardLayoutOrder: [LayoutVersion]?
    /// The codes of the benefit categories in force, each defined in `categories.json`.
    public var categories: [CategoryCode]
    /// See `Tariff.baseFareKopecks`.
    public var baseFareKopecks: Int
    /// See `Tariff.routes`.
    public var routes: [Route]
    /// See `Tariff.antiPassbackSeconds`.
    public var antiPassbackSeconds: Int
    /// See `Tariff.transfer`.
    public var transfer: TransferRule?
    /// See `Tariff.discountRounding`.
    public var discountRounding: FareRounding
    /// See `Tariff.purseWithoutEntitlement`.
    public var purseWithoutEntitlement: Bool

    /// The published form of `tariff`: its categories replaced by their codes.
    public init(_ tariff: Tariff) {
        community = tariff.community
        version = tariff.version
        currency = tariff.currency
        timeZone = tariff.timeZone
        acceptedLayoutVersions = tariff.acceptedLayoutVersions
        cardLayoutOrder = tariff.cardLayoutOrder
        categories = tariff.categories.map(\.code)
        baseFareKopecks = tariff.baseFareKopecks
        routes = tariff.routes
        antiPassbackSeconds = tariff.antiPassbackSeconds
        transfer = tariff.transfer
        discountRounding = tariff.discountRounding
        purseWithoutEntitlement = tariff.purseWithoutEntitlement
    }

    /// The tariff with each code replaced by its category from `list`, in this file's order.
    ///
    /// Throws `.invalidTariff` if `list` belongs to another community or lacks a code. The
    /// result is not yet validated: call `validate()` on it as on any tariff read from a file.
    public func resolved(with list: BenefitCategoryList) throws -> Tariff {
        guard list.community == community else {
            throw TariffError(.invalidTariff, "tariff \(community) v\(version): the category list is for \(list.community)")
        }
        let inForce = try categories.map { code in
            guard let category = list.category(code) else {
                throw TariffError(
                    .invalidTariff, "tariff \(community) v\(version): category \(code) is not in the category list v\(list.version)")
            }
            return category
        }
        return Tariff(
            community: community, version: version, currency: currency, timeZone: timeZone,
            acceptedLayoutVersions: acceptedLayoutVersions, categories: inForce, baseFareKopecks: baseFareKopecks,
            routes: routes, antiPassbackSeconds: antiPassbackSeconds, transfer: transfer,
            discountRounding: discountRounding, purseWithoutEntitlement: purseWithoutEntitlement, cardLayoutOrder: cardLayoutOrder)
    }
}
