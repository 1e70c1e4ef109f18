import Entitlements
import Identifiers

/// A community's fares and ride rules, as validators receive them in a signed bundle (published as
/// `TariffSource`, `Communities/<name>/tariff.json`, with category codes only).
///
/// Versioned: validators receive it in a signed bundle and refuse an older version than the one
/// they hold. Amounts are integer kopecks throughout, never floating point.
public struct Tariff: Hashable, Sendable, Codable {
    /// The community's short name, e.g. `nemishaieve`.
    public var community: String
    /// Increases with every published change.
    public var version: UInt32
    /// ISO 4217 currency of every amount (`UAH`).
    public var currency: String
    /// The community's local time, for ride periods, validity dates and time windows.
    public var timeZone: TimeZoneRule
    /// Card layout versions validators accept; any other is refused cleanly.
    public var acceptedLayoutVersions: [LayoutVersion]
    /// The order validators try card layouts in: the community's card population, most common
    /// layout first (`nil`: newest first, the rule before this field).
    ///
    /// Why data: a validator holding several layouts learns a card's layout only by selecting
    /// layouts' applications until one answers, one APDU (≈ 8 ms on a physical card) for each
    /// refused select. Newest first suits a community whose cards are mostly of the newest
    /// layout; one whose cards are mostly of an older layout says so here. Absent from the JSON
    /// when `nil`, so tariffs signed before the field keep their canonical bytes. See
    /// `layoutReadingOrder(of:)` for the hazard of an older layout before a newer one.
    public var cardLayoutOrder: [LayoutVersion]?
    /// The benefit categories in force, in full (the published `tariff.json` lists their codes;
    /// `TariffSource.resolved(with:)` fills them in from `categories.json`).
    public var categories: [BenefitCategory]
    /// The full fare in kopecks for a route without a fare of its own.
    public var baseFareKopecks: Int
    /// The routes served, with their zones and any fare of their own.
    public var routes: [Route]
    /// A second tap of the same card on the same vehicle within this many seconds is a repeat, not a ride.
    public var antiPassbackSeconds: Int
    /// The transfer rule, if the community has one.
    public var transfer: TransferRule?
    /// How a discounted fare is rounded to money that can be charged.
    public var discountRounding: FareRounding
    /// Whether a card with no usable entitlement may pay the full fare from its purse.
    public var purseWithoutEntitlement: Bool

    /// Creates a tariff; call `validate()` before using one read from a file.
    public init(
        community: String, version: UInt32, currency: String = "UAH", timeZone: TimeZoneRule = .europeKyiv,
        acceptedLayoutVersions: [LayoutVersion], categories: [BenefitCategory], baseFareKopecks: Int,
        routes: [Route], antiPassbackSeconds: Int, transfer: TransferRule? = nil,
        discountRounding: FareRounding = .downToKopeck, purseWithoutEntitlement: Bool = true,
        cardLayoutOrder: [LayoutVersion]? = nil
    ) {
        self.cardLayoutOrder = cardLayoutOrder
        self.community = community
        self.version = version
        self.currency = currency
        self.timeZone = timeZone
        self.acceptedLayoutVersions = acceptedLayoutVersions
        self.categories = categories
        self.baseFareKopecks = baseFareKopecks
        self.routes = routes
        self.antiPassbackSeconds = antiPassbackSeconds
        self.transfer = transfer
        self.discountRounding = discountRounding
        self.purseWithoutEntitlement = purseWithoutEntitlement
    }

    /// The full fare on `route` in kopecks (never negative, whatever an unvalidated tariff says).
    public func fullFare(on route: RouteNumber) -> Int {
        max(routes.first { $0.number == route }?.fareKopecks ?? baseFareKopecks, 0)
    }

    /// The category with `code`, if in force.
    public func category(_ code: CategoryCode) -> BenefitCategory? {
        categories.first { $0.code == code }
    }

    /// The order to try `held` layouts in on a card of unknown layout: those `cardLayoutOrder`
    /// names, in its order, then the rest newest first (all newest first without an order).
    ///
    /// Any order is safe while cards are upgraded: a card torn in a layout upgrade at the desk
    /// says in the former application's card info which of its two applications is the card
    /// (docs/validator.md, "Which layout first"); the order changes only the APDUs a tap pays.
    public func layoutReadingOrder(of held: [LayoutVersion]) -> [LayoutVersion] {
        let newestFirst = held.sorted { $0.rawValue > $1.rawValue }
        guard let cardLayoutOrder else { return newestFirst }
        let named = cardLayoutOrder.filter(held.contains)
        return named + newestFirst.filter { !named.contains($0) }
    }

    /// Checks ranges and consistency; throws `TariffError.invalidTariff` naming the first problem.
    public func validate() throws {
        func fail(_ reason: String) -> TariffError { TariffError(.invalidTariff, "tariff \(community) v\(version): \(reason)") }
        guard !acceptedLayoutVersions.isEmpty else { throw fail("no accepted layout versions") }
        if let cardLayoutOrder {
            guard !cardLayoutOrder.isEmpty else { throw fail("an empty card layout order (leave it out for newest first)") }
            guard Set(cardLayoutOrder).count == cardLayoutOrder.count else { throw fail("a card layout listed twice in the order") }
            for version in cardLayoutOrder where !acceptedLayoutVersions.contains(version) {
                throw fail("the card layout order names layout \(version), which is not accepted")
            }
        }
        guard baseFareKopecks >= 0, baseFareKopecks <= 1_000_000 else { throw fail("base fare \(baseFareKopecks) out of range") }
        guard antiPassbackSeconds >= 0, antiPassbackSeconds <= 86_400 else { throw fail("anti-passback window out of range") }
        var numbers = Set<RouteNumber>()
        for route in routes {
            guard numbers.insert(route.number).inserted else { throw fail("route \(route.number) listed twice") }
            if let fare = route.fareKopecks, fare < 0 || fare > 1_000_000 { throw fail("route \(route.number) fare out of range") }
        }
        if let transfer {
            guard transfer.windowSeconds > 0, transfer.windowSeconds <= 86_400 else { throw fail("transfer window out of range") }
            guard (0...100).contains(transfer.farePercent) else { throw fail("transfer fare percent must be 0-100") }
        }
        guard discountRounding.unitKopecks >= 1 else { throw fail("rounding unit must be at least 1 kopeck") }
        do {
            try BenefitCategoryList.validate(categories)
        } catch let error as EntitlementError {
            throw fail(error.reason)
        }
    }
}

/// A route in the tariff.
public struct Route: Hashable, Sendable, Codable {
    /// The route number shown on the bus.
    public var number: RouteNumber
    /// Its name, Ukrainian first (e.g. "Немішаєве — Буча").
    public var name: LocalizedText
    /// The fare zones it runs through.
    public var zones: [ZoneNumber]
    /// Its own full fare in kopecks, if it differs from the base fare.
    public var fareKopecks: Int?

    /// Creates a route.
    public init(number: RouteNumber, name: LocalizedText, zones: [ZoneNumber], fareKopecks: Int? = nil) {
        self.number = number
        self.name = name
        self.zones = zones
        self.fareKopecks = fareKopecks
    }
}

/// A transfer: a ride begun within a window after a paid ride on another vehicle costs less.
public struct TransferRule: Hashable, Sendable, Codable {
    /// Seconds after the first ride during which a transfer may start.
    public var windowSeconds: Int
    /// The transfer ride's fare as a percentage of its full fare: 0 is free, 50 is half.
    public var farePercent: Int
    /// Whether a transfer may itself be followed by another transfer (a chain) within the window.
    public var allowsChaining: Bool

    /// Creates a transfer rule.
    public init(windowSeconds: Int, farePercent: Int, allowsChaining: Bool = false) {
        self.windowSeconds = windowSeconds
        self.farePercent = farePercent
        self.allowsChaining = allowsChaining
    }
}

/// How a fare reduced by a percentage becomes an amount that can be charged.
///
/// The exact value `fare × (100 − percent) / 100` is rounded to a multiple of `unitKopecks`
/// in the direction `mode` says. The community default rounds down to the kopeck: the passenger
/// never pays more than the exact discounted price, and compensation claims use the same number.
public struct FareRounding: Hashable, Sendable, Codable {
    /// Which way to round.
    public enum Mode: String, Hashable, Sendable, Codable, CaseIterable {
        /// Towards zero (in the passenger's favour).
        case down
        /// To the nearest multiple; exact halves go up.
        case halfUp = "half-up"
        /// Away from zero.
        case up
    }

    /// The multiple to round to, in kopecks (1 = a kopeck, 50 = half a hryvnia).
    public var unitKopecks: Int
    /// Which way to round.
    public var mode: Mode

    /// Creates a rounding rule.
    public init(unitKopecks: Int, mode: Mode) {
        self.unitKopecks = unitKopecks
        self.mode = mode
    }

    /// Down to the whole kopeck.
    public static let downToKopeck = FareRounding(unitKopecks: 1, mode: .down)

    /// `fullFare` less `percent` per cent, rounded; never negative, never above `fullFare`.
    public func discounted(_ fullFare: Int, percent: Int) -> Int {
        let clampedPercent = min(max(percent, 0), 100)
        // Bounded so the arithmetic below cannot overflow even for an unvalidated tariff.
        let fullFare = min(max(fullFare, 0), 1_000_000_000_000)
        // Exact value in hundredths of a kopeck: fare * (100 - percent).
        let numerator = fullFare * (100 - clampedPercent)
        let unitKopecks = min(max(unitKopecks, 1), 1_000_000)
        let unit = unitKopecks * 100
        let rounded: Int
        switch mode {
        case .down: rounded = numerator / unit
        case .up: rounded = (numerator + unit - 1) / unit
        case .halfUp: rounded = (numerator * 2 + unit) / (unit * 2)
        }
        return min(max(rounded * unitKopecks, 0), fullFare)
    }
}
