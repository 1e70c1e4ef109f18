import Entitlements
import Identifiers

/// What an eligibility import changes, worked out before anything is stored: the clerk sees it,
/// then the registry applies exactly this.
///
/// Lines are matched to holders by the caller (by document, then by name and birth date); the
/// diff itself compares only eligibilities, keyed by holder and category.
public struct ImportDiff: Hashable, Sendable {
    /// An eligibility the registry does not hold yet.
    public struct Addition: Hashable, Sendable {
        /// The holder.
        public var holder: Int64
        /// The terms to store.
        public var terms: EligibilityTerms
        /// The import line.
        public var line: Int
    }

    /// A held eligibility whose end or evidence the import changes.
    public struct Change: Hashable, Sendable {
        /// The held eligibility's id.
        public var eligibility: Int64
        /// The holder.
        public var holder: Int64
        /// What the registry held.
        public var before: EligibilityTerms
        /// What the import says.
        public var after: EligibilityTerms
        /// The import line.
        public var line: Int
    }

    /// A held eligibility the import no longer confirms (absent from the export, or listed as
    /// ended): it ends on `endsOn`.
    public struct Lapse: Hashable, Sendable {
        /// The held eligibility's id.
        public var eligibility: Int64
        /// The holder.
        public var holder: Int64
        /// What the registry held.
        public var before: EligibilityTerms
        /// Its new last day.
        public var endsOn: CivilDate
        /// The import line that ended it, or nil when the export no longer lists it.
        public var line: Int?
    }

    /// New eligibilities.
    public var additions: [Addition] = []
    /// Changed eligibilities.
    public var changes: [Change] = []
    /// Lapsed eligibilities.
    public var lapses: [Lapse] = []
    /// Lines that confirm what is held, unchanged.
    public var unchanged: Int = 0
    /// Lines whose person is not registered at the desk (nothing stored for them).
    public var unmatchedLines: [Int] = []
    /// Lines listing an eligibility that ended before the import and that the registry does not
    /// hold as current (nothing to do).
    public var endedLines: [Int] = []

    /// Compares the import with what is held.
    ///
    /// - `matched`: each readable line with the holder it belongs to (nil: not registered).
    /// - `held`: every eligibility the registry holds for any holder.
    /// - `today`: the import's day. An eligibility is current when it covers today or starts
    ///   later.
    ///
    /// Only eligibilities that came from an import lapse when the export leaves them out: one a
    /// clerk entered from a document they saw stands until a clerk ends it.
    public static func compare(matched: [(line: ImportedEligibility, holder: Int64?)], held: [HeldEligibility], today: CivilDate) -> ImportDiff {
        var diff = ImportDiff()
        func isCurrent(_ terms: EligibilityTerms) -> Bool { terms.validUntil.map { $0 >= today } ?? true }
        struct Key: Hashable { var holder: Int64, category: CategoryCode }
        var current: [Key: HeldEligibility] = [:]
        for eligibility in held.sorted(by: { $0.id < $1.id }) where isCurrent(eligibility.terms) {
            current[Key(holder: eligibility.holder, category: eligibility.terms.category)] = eligibility
        }
        var confirmed: Set<Key> = []
        for (line, holder) in matched.sorted(by: { $0.line.line < $1.line.line }) {
            guard let holder else {
                diff.unmatchedLines.append(line.line)
                continue
            }
            let key = Key(holder: holder, category: line.terms.category)
            confirmed.insert(key)
            let incomingEnded = !isCurrent(line.terms)
            if let existing = current[key] {
                if incomingEnded {
                    diff.lapses.append(
                        Lapse(eligibility: existing.id, holder: holder, before: existing.terms, endsOn: line.terms.validUntil!, line: line.line))
                } else if existing.terms.validUntil == line.terms.validUntil && existing.terms.evidence == line.terms.evidence {
                    diff.unchanged += 1
                } else {
                    var after = line.terms
                    after.validFrom = min(existing.terms.validFrom, line.terms.validFrom)
                    diff.changes.append(Change(eligibility: existing.id, holder: holder, before: existing.terms, after: after, line: line.line))
                }
            } else if incomingEnded {
                diff.endedLines.append(line.line)
            } else {
                diff.additions.append(Addition(holder: holder, terms: line.terms, line: line.line))
            }
        }
        let yesterday = today.adding(days: -1)
        for (key, eligibility) in current.sorted(by: { $0.value.id < $1.value.id }) where !confirmed.contains(key) {
            guard case .importFile = eligibility.source else { continue }
            let end = max(yesterday, eligibility.terms.validFrom.adding(days: -1))
            diff.lapses.append(Lapse(eligibility: eligibility.id, holder: eligibility.holder, before: eligibility.terms, endsOn: end, line: nil))
        }
        return diff
    }
}
