import Entitlements

/// A language the validator can speak; Ukrainian is the default.
public enum Language: String, Hashable, Sendable, Codable, CaseIterable {
    /// Ukrainian.
    case uk
    /// English.
    case en
}

/// The message shown to a passenger, in Ukrainian and English, with a stable key for logs and tests.
public struct PassengerMessage: Hashable, Sendable {
    /// Which message it is.
    public let key: MessageKey
    /// The Ukrainian text.
    public let uk: String
    /// The English text.
    public let en: String

    /// Creates a message.
    public init(key: MessageKey, uk: String, en: String) {
        self.key = key
        self.uk = uk
        self.en = en
    }

    /// The text in `language`.
    public func text(_ language: Language) -> String {
        switch language {
        case .uk: uk
        case .en: en
        }
    }
}

/// The messages a validator can show.
public enum MessageKey: String, Hashable, Sendable, Codable, CaseIterable {
    /// A free ride under a benefit.
    case acceptedFree = "accepted-free"
    /// A ride on a pass.
    case acceptedPass = "accepted-pass"
    /// A counted benefit ride.
    case acceptedCountedRide = "accepted-counted-ride"
    /// A discounted ride paid from the purse.
    case acceptedDiscount = "accepted-discount"
    /// A full-fare ride paid from the purse.
    case acceptedFullFare = "accepted-full-fare"
    /// A transfer.
    case acceptedTransfer = "accepted-transfer"
    /// A repeated tap within the anti-passback window.
    case repeatTap = "repeat-tap"
    /// Layout version not accepted.
    case unknownLayoutVersion = "unknown-layout-version"
    /// Blocked card (flag or deny list).
    case cardBlocked = "card-blocked"
    /// No applicable entitlement.
    case noValidEntitlement = "no-valid-entitlement"
    /// Outside the entitlement's time windows.
    case outsideTimeWindow = "outside-time-window"
    /// Route or zone not covered.
    case routeNotCovered = "route-not-covered"
    /// Ride allowance used up.
    case rideLimitReached = "ride-limit-reached"
    /// Not enough money in the purse.
    case insufficientFunds = "insufficient-funds"
}

/// The localisation table: one function per message, Ukrainian first.
enum Messages {
    static func acceptedFree(_ category: BenefitCategory?) -> PassengerMessage {
        PassengerMessage(
            key: .acceptedFree,
            uk: "Проїзд безкоштовний. Пільга: \(name(category, .uk))",
            en: "Free ride. Benefit: \(name(category, .en))")
    }

    static func acceptedPass(through date: CivilDate) -> PassengerMessage {
        PassengerMessage(
            key: .acceptedPass,
            uk: "Проїзний дійсний до \(ukrainianDate(date))",
            en: "Pass valid through \(date)")
    }

    static func acceptedCountedRide(_ category: BenefitCategory?, ridesLeft: Int) -> PassengerMessage {
        PassengerMessage(
            key: .acceptedCountedRide,
            uk: "Пільгова поїздка (\(name(category, .uk))). Залишилось поїздок: \(ridesLeft)",
            en: "Benefit ride (\(name(category, .en))). Rides left: \(ridesLeft)")
    }

    static func acceptedDiscount(_ category: BenefitCategory?, fare: Int, balance: Int) -> PassengerMessage {
        PassengerMessage(
            key: .acceptedDiscount,
            uk: "Пільга: \(name(category, .uk)). Сплачено \(hryvnias(fare, .uk)). Залишок: \(hryvnias(balance, .uk))",
            en: "Benefit: \(name(category, .en)). Paid \(hryvnias(fare, .en)). Balance: \(hryvnias(balance, .en))")
    }

    static func acceptedFullFare(fare: Int, balance: Int) -> PassengerMessage {
        PassengerMessage(
            key: .acceptedFullFare,
            uk: "Сплачено \(hryvnias(fare, .uk)). Залишок: \(hryvnias(balance, .uk))",
            en: "Paid \(hryvnias(fare, .en)). Balance: \(hryvnias(balance, .en))")
    }

    static func acceptedTransfer(fare: Int, balance: Int) -> PassengerMessage {
        if fare == 0 {
            return PassengerMessage(key: .acceptedTransfer, uk: "Пересадка безкоштовна", en: "Free transfer")
        }
        return PassengerMessage(
            key: .acceptedTransfer,
            uk: "Пересадка. Сплачено \(hryvnias(fare, .uk)). Залишок: \(hryvnias(balance, .uk))",
            en: "Transfer. Paid \(hryvnias(fare, .en)). Balance: \(hryvnias(balance, .en))")
    }

    static let repeatTap = PassengerMessage(
        key: .repeatTap,
        uk: "Картку вже зчитано. Повторно не списано",
        en: "Card already accepted. No second charge")

    static let unknownLayoutVersion = PassengerMessage(
        key: .unknownLayoutVersion,
        uk: "Картка не підтримується. Зверніться до ЦНАП",
        en: "Card not supported. Please visit the community office")

    static let cardBlocked = PassengerMessage(
        key: .cardBlocked,
        uk: "Картку заблоковано. Зверніться до ЦНАП",
        en: "Card blocked. Please visit the community office")

    static let noValidEntitlement = PassengerMessage(
        key: .noValidEntitlement,
        uk: "Немає дійсної пільги чи проїзного",
        en: "No valid benefit or pass")

    static let outsideTimeWindow = PassengerMessage(
        key: .outsideTimeWindow,
        uk: "Пільга не діє в цей час",
        en: "Benefit not valid at this time")

    static let routeNotCovered = PassengerMessage(
        key: .routeNotCovered,
        uk: "Пільга не діє на цьому маршруті",
        en: "Benefit not valid on this route")

    static func rideLimitReached(renewsOn date: CivilDate) -> PassengerMessage {
        PassengerMessage(
            key: .rideLimitReached,
            uk: "Пільгові поїздки вичерпано. Поновлення \(ukrainianDate(date))",
            en: "Benefit rides used up. Renews on \(date)")
    }

    static func insufficientFunds(balance: Int, fare: Int) -> PassengerMessage {
        PassengerMessage(
            key: .insufficientFunds,
            uk: "Недостатньо коштів: залишок \(hryvnias(balance, .uk)), проїзд \(hryvnias(fare, .uk))",
            en: "Insufficient funds: balance \(hryvnias(balance, .en)), fare \(hryvnias(fare, .en))")
    }

    static func name(_ category: BenefitCategory?, _ language: Language) -> String {
        guard let category else { return language == .uk ? "—" : "—" }
        return language == .uk ? category.name.uk : category.name.en
    }

    /// `15,00 грн` in Ukrainian, `UAH 15.00` in English.
    static func hryvnias(_ kopecks: Int, _ language: Language) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let whole = magnitude / 100
        let fraction = magnitude % 100
        let cents = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        switch language {
        case .uk: return "\(sign)\(whole),\(cents) грн"
        case .en: return "UAH \(sign)\(whole).\(cents)"
        }
    }

    /// `DD.MM.YYYY`, as Ukrainian documents write dates.
    static func ukrainianDate(_ date: CivilDate) -> String {
        let (year, month, day) = date.components
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(day)).\(two(month)).\(year)"
    }
}
