import Entitlements
import Identifiers
import SocialCard

/// What the operator asked the desk to issue.
public struct IssueOrder: Hashable, Sendable {
    /// The community card number.
    public var serial: CardSerial
    /// The benefit category, by its code or its id (`1`, `pensioner`).
    public var category: String
    /// What the entitlement grants.
    public var product: Product
    /// The entitlement's last valid day, when the operator gives one.
    public var validUntil: CivilDate?
    /// Kopecks to credit to the purse.
    public var purseKopecks: Int32
    /// The issuer key id (hex), when the operator names one.
    public var issuer: String?

    /// Creates an order.
    public init(serial: CardSerial, category: String, product: Product, validUntil: CivilDate?, purseKopecks: Int32, issuer: String?) {
        self.serial = serial
        self.category = category
        self.product = product
        self.validUntil = validUntil
        self.purseKopecks = purseKopecks
        self.issuer = issuer
    }
}

/// The desk's rules for a new card: its local day, the entitlement's id and dates, the card's
/// expiry. Pure: the day comes in as a parameter.
public enum IssuancePolicy {
    /// The time zone the desk's days are counted in.
    public static let timeZone = TimeZoneRule.europeKyiv

    /// The id of the entitlement a new card gets. A card is issued with one entitlement, and ids
    /// only need to be unique on one card (an entitlement is bound to the card's serial), so the
    /// first is always 1.
    public static let firstEntitlementID: EntitlementID = 1

    /// How long an entitlement is valid when the operator gives no last day.
    public static let defaultEntitlementDays = 365

    /// The shortest card life: a card outlives its first entitlement, so that it can be given new
    /// ones for five years without being replaced.
    public static let minimumCardDays = 5 * 365

    /// The dates of a new card and its entitlement.
    public struct Dates: Hashable, Sendable {
        /// The entitlement's first valid day.
        public var validFrom: CivilDate
        /// The entitlement's last valid day.
        public var validUntil: CivilDate
        /// The card's last valid day.
        public var cardExpiry: CivilDate
    }

    /// The dates for `product` issued on `today`: a pass is valid over its own days (from an
    /// earlier start, when it began before today), anything else from today until
    /// `requestedUntil` or for ``defaultEntitlementDays``; an explicit `requestedUntil` wins.
    public static func dates(for product: Product, requestedUntil: CivilDate?, today: CivilDate) -> Dates {
        let validUntil: CivilDate
        if case .pass(_, let through) = product, requestedUntil == nil {
            validUntil = through
        } else {
            validUntil = requestedUntil ?? today.adding(days: defaultEntitlementDays)
        }
        var validFrom = today
        if case .pass(let from, _) = product, from < today { validFrom = from }
        return Dates(validFrom: validFrom, validUntil: validUntil, cardExpiry: max(validUntil, today.adding(days: minimumCardDays)))
    }

    /// The category named by `text`: its code (`1`) or its id (`pensioner`).
    public static func category(_ text: String, in categories: [BenefitCategory]) throws(DeskError) -> BenefitCategory {
        guard let chosen = categories.first(where: { String($0.code.rawValue) == text || $0.id == text }) else {
            throw DeskError(.refused, ukrainian: "категорії «\(text)» немає у списку громади", english: "category \"\(text)\" is not in the community's list")
        }
        return chosen
    }
}
