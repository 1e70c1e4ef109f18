import Entitlements
import Localization

/// The desk's command-line form of a product: `free`, `discount:PCT`, `rides:N/day|week|month`,
/// `pass:FROM..UNTIL` (ISO dates), `purse`.
public enum ProductText {
    /// Parses the command-line form; throws `invalid-request` with what was expected.
    public static func parse(_ text: String) throws(SocialCardError) -> Product {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1] : nil
        switch (parts.first ?? "", argument) {
        case ("free", nil): return .free
        case ("purse", nil): return .storedValue
        case ("discount", let percent?):
            guard let value = UInt8(percent), (1...100).contains(value) else {
                throw SocialCardError(.invalidRequest, "discount:PCT takes a percentage 1-100, not \(percent)")
            }
            return .discount(percent: value)
        case ("rides", let spec?):
            let pieces = spec.split(separator: "/").map(String.init)
            guard pieces.count == 2, let count = UInt16(pieces[0]), count > 0,
                  let period = ["day": RidePeriod.day, "week": .week, "month": .month][pieces[1]] else {
                throw SocialCardError(.invalidRequest, "rides:N/PERIOD takes a count and day, week or month, e.g. rides:20/month, not \(spec)")
            }
            return .rides(count: count, per: period)
        case ("pass", let range?):
            let pieces = range.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count == 3, pieces[1].isEmpty, let from = CivilDate(iso: pieces[0]), let through = CivilDate(iso: pieces[2]), from <= through else {
                throw SocialCardError(.invalidRequest, "pass:FROM..UNTIL takes two ISO dates in order, e.g. pass:2026-12-01..2026-12-31, not \(range)")
            }
            return .pass(from: from, through: through)
        default:
            throw SocialCardError(.invalidRequest, "a product is free, discount:PCT, rides:N/day|week|month, pass:FROM..UNTIL or purse, not \(text)")
        }
    }

    /// The product in Ukrainian.
    public static func ukrainian(_ product: Product) -> String {
        switch product {
        case .free: "безкоштовний проїзд"
        case .discount(let percent): "знижка \(percent)%"
        case .rides(let count, let period): "\(UkrainianNoun.ride.counted(count)) на \(["день", "тиждень", "місяць"][Int(period.rawValue) - 1])"
        case .pass(let from, let through): "проїзний з \(from) по \(through)"
        case .storedValue: "оплата з гаманця"
        }
    }

    /// The product in English.
    public static func english(_ product: Product) -> String {
        switch product {
        case .free: "free travel"
        case .discount(let percent): "\(percent)% discount"
        case .rides(let count, let period): "\(EnglishNoun.ride.counted(count)) per \(["day", "week", "month"][Int(period.rawValue) - 1])"
        case .pass(let from, let through): "pass from \(from) through \(through)"
        case .storedValue: "pay from the purse"
        }
    }
}
