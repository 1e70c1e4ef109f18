import Entitlements
import Identifiers

/// How many cards rode how many times: one bucket of the distribution.
public struct RideCountBucket: Hashable, Sendable, Codable {
    /// The fewest rides in the bucket.
    public var minimumRides: Int
    /// The most rides in the bucket, `nil` for the open last bucket.
    public var maximumRides: Int?
    /// Cards whose ride count falls in it.
    public var cards: Int

    /// Creates a bucket.
    public init(minimumRides: Int, maximumRides: Int?, cards: Int) {
        self.minimumRides = minimumRides
        self.maximumRides = maximumRides
        self.cards = cards
    }

    /// The bucket bounds every report uses: 1, 2, 3–5, 6–10, 11–20, 21–40, 41–60, 61+.
    public static let bounds: [(Int, Int?)] = [(1, 1), (2, 2), (3, 5), (6, 10), (11, 20), (21, 40), (41, 60), (61, nil)]
}

/// Card use for one group: all cards, or the cards riding in one category.
public struct CardUsage: Hashable, Sendable, Codable {
    /// The category, or `nil` for rides without a benefit category (full fare, passes, purse).
    public var category: CategoryCode?
    /// Distinct cards with at least one accepted ride.
    public var activeCards: Int
    /// Accepted rides.
    public var rides: Int
    /// rides ÷ cards, in hundredths (e.g. 1234 = 12.34), rounded half up; integer so every
    /// output prints the same digits.
    public var averageRidesPerCardHundredths: Int
    /// How many cards rode how often.
    public var distribution: [RideCountBucket]

    /// Creates a usage record.
    public init(category: CategoryCode?, activeCards: Int, rides: Int, averageRidesPerCardHundredths: Int, distribution: [RideCountBucket]) {
        self.category = category
        self.activeCards = activeCards
        self.rides = rides
        self.averageRidesPerCardHundredths = averageRidesPerCardHundredths
        self.distribution = distribution
    }
}

/// Card statistics of the period: the card serial is the only key; no names ever.
public struct CardStatistics: Hashable, Sendable, Codable {
    /// Every accepted ride of every card.
    public var all: CardUsage
    /// By category (benefit rides of each category; `nil` category last).
    public var byCategory: [CardUsage]

    /// Creates statistics.
    public init(all: CardUsage, byCategory: [CardUsage]) {
        self.all = all
        self.byCategory = byCategory
    }
}
