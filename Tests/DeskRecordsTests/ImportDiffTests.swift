import DeskRecords
import Entitlements
import Identifiers
import Testing

@Suite("The import diff, the renewal worklist and retention")
struct ImportDiffTests {
    static let today = CivilDate(year: 2026, month: 12, day: 6)!
    static func date(_ text: String) -> CivilDate { CivilDate(iso: text)! }
    static func terms(_ category: UInt16, until: String?, evidence: String = "посв 1", from: String = "2025-01-01") -> EligibilityTerms {
        EligibilityTerms(stored: CategoryCode(category), evidence: evidence, validFrom: date(from), validUntil: until.map(date))
    }
    static func line(_ number: Int, _ terms: EligibilityTerms) -> ImportedEligibility {
        ImportedEligibility(
            line: number, fullName: "Коваль Марія", dateOfBirth: date("1950-01-01"),
            document: try! IdentityDocument(type: .idCard, number: String(100_000_000 + number)), terms: terms)
    }

    @Test("new, changed, unchanged, lapsed by absence and by an end in the past; clerk entries never lapse by absence")
    func diff() {
        let held = [
            HeldEligibility(id: 1, holder: 10, terms: Self.terms(1, until: "2027-01-31"), source: .importFile(id: 1)),  // unchanged
            HeldEligibility(id: 2, holder: 11, terms: Self.terms(1, until: "2026-12-31"), source: .importFile(id: 1)),  // extended
            HeldEligibility(id: 3, holder: 12, terms: Self.terms(2, until: nil), source: .importFile(id: 1)),  // absent → lapsed
            HeldEligibility(id: 4, holder: 13, terms: Self.terms(2, until: nil), source: .clerk),  // absent, clerk's → stays
            HeldEligibility(id: 5, holder: 14, terms: Self.terms(1, until: "2027-06-30"), source: .importFile(id: 1)),  // ended in the file
            HeldEligibility(id: 6, holder: 15, terms: Self.terms(1, until: "2026-01-31"), source: .importFile(id: 1)),  // long over: ignored
        ]
        let matched: [(line: ImportedEligibility, holder: Int64?)] = [
            (Self.line(2, Self.terms(1, until: "2027-01-31")), 10),
            (Self.line(3, Self.terms(1, until: "2027-12-31", from: "2026-12-01")), 11),
            (Self.line(4, Self.terms(1, until: "2026-11-30")), 14),
            (Self.line(5, Self.terms(3, until: "2028-01-01")), 10),
            (Self.line(6, Self.terms(1, until: "2028-01-01")), nil),
            (Self.line(7, Self.terms(1, until: "2026-01-01")), 16),
        ]
        let diff = ImportDiff.compare(matched: matched, held: held, today: Self.today)
        #expect(diff.unchanged == 1)
        #expect(diff.additions.map(\.line) == [5])
        #expect(diff.changes.map(\.eligibility) == [2])
        #expect(diff.changes.first?.after.validUntil == Self.date("2027-12-31"))
        #expect(diff.changes.first?.after.validFrom == Self.date("2025-01-01"), "a change keeps the earlier start")
        #expect(diff.lapses.map(\.eligibility) == [5, 3])
        #expect(diff.lapses.first?.endsOn == Self.date("2026-11-30"))
        #expect(diff.lapses.last?.endsOn == Self.today.adding(days: -1))
        #expect(diff.lapses.last?.line == nil)
        #expect(diff.unmatchedLines == [6])
        #expect(diff.endedLines == [7])
    }

    static func card(_ holder: Int64, _ serial: UInt64, live: Bool = true, _ entitlements: [(UInt16, String)]) -> WorklistCard {
        WorklistCard(
            holder: holder, serial: CardSerial(serial), isLive: live,
            entitlements: entitlements.enumerated().map { index, entry in
                WrittenEntitlement(id: EntitlementID(UInt32(index + 1)), category: CategoryCode(entry.0), product: "free", validFrom: date("2026-01-01"), validUntil: date(entry.1))
            })
    }

    @Test("the worklist: lapsed, lapsing, none on record, entitlement ending; dead cards and far-off ends left out; earliest first")
    func worklist() {
        let eligibilities = [
            HeldEligibility(id: 1, holder: 1, terms: Self.terms(1, until: "2026-11-30"), source: .importFile(id: 1)),
            HeldEligibility(id: 2, holder: 2, terms: Self.terms(1, until: "2026-12-20"), source: .importFile(id: 1)),
            HeldEligibility(id: 3, holder: 4, terms: Self.terms(1, until: nil), source: .clerk),
            HeldEligibility(id: 4, holder: 5, terms: Self.terms(1, until: "2026-11-01"), source: .clerk),
            HeldEligibility(id: 5, holder: 5, terms: Self.terms(1, until: "2030-01-01"), source: .importFile(id: 2)),
            HeldEligibility(id: 6, holder: 6, terms: Self.terms(1, until: "2026-11-30"), source: .clerk),
        ]
        let cards = [
            Self.card(1, 0x11, [(1, "2027-06-30")]),
            Self.card(2, 0x22, [(1, "2027-06-30")]),
            Self.card(3, 0x33, [(1, "2027-06-30")]),
            Self.card(4, 0x44, [(1, "2026-12-10"), (1, "2028-01-01")]),
            Self.card(5, 0x55, [(1, "2028-01-01")]),
            Self.card(6, 0x66, live: false, [(1, "2027-06-30")]),
        ]
        let items = RenewalWorklist.items(cards: cards, eligibilities: eligibilities, today: Self.today, horizonDays: 30)
        #expect(items.map(\.reason) == [
            .eligibilityLapsed(on: Self.date("2026-11-30")), .noEligibility, .entitlementEnding(on: Self.date("2026-12-10")),
            .eligibilityLapsing(on: Self.date("2026-12-20")),
        ])
        #expect(items.map(\.holder) == [1, 3, 4, 2])
        #expect(items.map(\.serial) == [CardSerial(0x11), CardSerial(0x33), CardSerial(0x44), CardSerial(0x22)])
        #expect(RenewalWorklist.items(cards: cards, eligibilities: eligibilities, today: Self.today, horizonDays: 10).count == 3)
    }

    @Test("retention: due only with no live card, the years counted from the last card's end or the last change")
    func retention() {
        let policy = RetentionPolicy(years: 5)
        let changed = Self.date("2020-01-01")
        #expect(!policy.isDue(.init(hasLiveCard: true, lastCardEndedOn: nil, lastChangedOn: changed), today: Self.today))
        #expect(policy.isDue(.init(hasLiveCard: false, lastCardEndedOn: Self.date("2021-12-06"), lastChangedOn: changed), today: Self.today))
        #expect(!policy.isDue(.init(hasLiveCard: false, lastCardEndedOn: Self.date("2021-12-07"), lastChangedOn: changed), today: Self.today))
        #expect(policy.isDue(.init(hasLiveCard: false, lastCardEndedOn: nil, lastChangedOn: changed), today: Self.today))
        #expect(!policy.isDue(.init(hasLiveCard: false, lastCardEndedOn: nil, lastChangedOn: Self.date("2024-02-29")), today: Self.date("2029-02-28")))
        #expect(policy.isDue(.init(hasLiveCard: false, lastCardEndedOn: nil, lastChangedOn: Self.date("2024-02-29")), today: Self.date("2029-03-01")))
    }
}
