import Entitlements

/// How long the registry keeps a person after they stop using the community's cards.
///
/// The person is due for erasure once every card they had is finished — returned, replaced,
/// expired or blocked (a blocked card never rides again) — and `years` have passed since the
/// last of those endings; a person who never had a card, `years` after their record was last
/// changed. The card history stays, pseudonymous (docs/desk-registry.md, "Erasure").
public struct RetentionPolicy: Hashable, Sendable {
    /// Full years to keep a person after their last card ended.
    public var years: Int

    /// A policy keeping people `years` years (5 by default).
    public init(years: Int = 5) {
        precondition(years >= 0, "a retention period is not negative")
        self.years = years
    }

    /// What the rule needs to know of one holder.
    public struct Facts: Hashable, Sendable {
        /// Whether any of the holder's cards can still ride or is merely issued.
        public var hasLiveCard: Bool
        /// The day the holder's latest card ended (returned, replaced, expired, blocked), or nil
        /// if they never had a card.
        public var lastCardEndedOn: CivilDate?
        /// The day the holder's record was last changed.
        public var lastChangedOn: CivilDate

        /// Creates the facts.
        public init(hasLiveCard: Bool, lastCardEndedOn: CivilDate?, lastChangedOn: CivilDate) {
            self.hasLiveCard = hasLiveCard
            self.lastCardEndedOn = lastCardEndedOn
            self.lastChangedOn = lastChangedOn
        }
    }

    /// Whether the holder is due for erasure on `today`.
    public func isDue(_ facts: Facts, today: CivilDate) -> Bool {
        guard !facts.hasLiveCard else { return false }
        let since = max(facts.lastCardEndedOn ?? facts.lastChangedOn, facts.lastChangedOn)
        let (year, month, day) = since.components
        // 29 February plus whole years lands on 1 March when the year is not a leap year.
        let until = CivilDate(year: year + years, month: month, day: day) ?? CivilDate(year: year + years, month: 3, day: 1)!
        return today >= until
    }
}
