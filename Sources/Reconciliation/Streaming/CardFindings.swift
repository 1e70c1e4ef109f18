import Identifiers

/// What the card rules found in some of the month's cards: sums and findings only, no rides.
/// Partitions of the cards are judged one at a time and their findings merged; every card is
/// in one partition, so merging adds each card's findings once, and in any order.
public struct CardFindings: Sendable {
    /// Compensation lines by key; a line's entries are sorted when the report is made.
    var lines: [CompensationKey: CompensationLine] = [:]
    var excluded: [ExcludedRide] = []
    /// Ride, pending and counter exceptions.
    var exceptions: [IntegrityException] = []
    /// Each card's trip number gaps, a card's in tap order.
    var tripGaps: [TripNumberGap] = []
    /// Benefit rides on devices assigned to no vehicle (their exception is per device).
    var unassigned: [UnassignedRide] = []
    var usage = CardUsageCounts()
    /// The assessments of the entries the month-wide rules ask about (`referencesJudged`).
    var assessments: [EntryReference: Assessment] = [:]

    mutating func merge(_ other: consuming CardFindings) {
        for (key, line) in other.lines {
            if var mine = lines.removeValue(forKey: key) {
                mine.rides += line.rides
                mine.fullFareKopecks += line.fullFareKopecks
                mine.recordedFullFareKopecks += line.recordedFullFareKopecks
                mine.paidKopecks += line.paidKopecks
                mine.compensationKopecks += line.compensationKopecks
                mine.entries += line.entries
                lines[key] = mine
            } else {
                lines[key] = line
            }
        }
        excluded += other.excluded
        exceptions += other.exceptions
        tripGaps += other.tripGaps
        unassigned += other.unassigned
        usage.merge(other.usage)
        assessments.merge(other.assessments) { first, _ in first }
    }

    /// The trip gaps by card, each card's in the order found: what one pass over every card
    /// in serial order gives.
    var tripGapsInCardOrder: [TripNumberGap] {
        tripGaps.indices.sorted { (tripGaps[$0].card, $0) < (tripGaps[$1].card, $1) }.map { tripGaps[$0] }
    }
}

/// Rides per card, for the card statistics: over all rides and by category.
struct CardUsageCounts: Sendable {
    private var all: [CardSerial: Int] = [:]
    private var byCategory: [CategoryCode?: [CardSerial: Int]] = [:]

    /// Counts accepted rides (duplicates already removed).
    mutating func count(_ rides: some Sequence<Ride>) {
        for ride in rides {
            all[ride.card, default: 0] += 1
            byCategory[ride.category, default: [:]][ride.card, default: 0] += 1
        }
    }

    mutating func merge(_ other: CardUsageCounts) {
        all.merge(other.all, uniquingKeysWith: +)
        for (category, cards) in other.byCategory { byCategory[category, default: [:]].merge(cards, uniquingKeysWith: +) }
    }

    /// Every card, and the cards of each category (a ride's category is its entry's; rides with
    /// none are the `nil` group, listed last).
    var statistics: CardStatistics {
        let groups = byCategory.keys.sorted { ($0 == nil ? 1 : 0, $0?.rawValue ?? 0) < ($1 == nil ? 1 : 0, $1?.rawValue ?? 0) }
        return CardStatistics(
            all: cardUsage(category: nil, ridesPerCard: all), byCategory: groups.map { cardUsage(category: $0, ridesPerCard: byCategory[$0]!) })
    }
}
