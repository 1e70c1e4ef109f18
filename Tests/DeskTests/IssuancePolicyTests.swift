@testable import Desk
import Entitlements
import Identifiers
import SocialCard
import Testing

@Suite("Issuance policy: dates, entitlement id, category")
struct IssuancePolicyTests {
    static let today = CivilDate(year: 2026, month: 11, day: 29)!

    static func day(_ iso: String) -> CivilDate { CivilDate(iso: iso)! }

    @Test(
        "entitlement and card dates",
        arguments: [
            // No last day: a year from today; the card lives five years.
            (Product.free, nil, "2026-11-29", "2027-11-29", "2031-11-28"),
            // A last day given is used as is.
            (.free, "2027-06-30", "2026-11-29", "2027-06-30", "2031-11-28"),
            // A card lives at least as long as its entitlement.
            (.free, "2033-01-31", "2026-11-29", "2033-01-31", "2033-01-31"),
            // A pass without a last day is valid through its own last day, from its start when that was earlier.
            (.pass(from: day("2026-11-01"), through: day("2026-11-30")), nil, "2026-11-01", "2026-11-30", "2031-11-28"),
            // A pass starting later is valid from today (its own days are checked at the tap).
            (.pass(from: day("2026-12-01"), through: day("2026-12-31")), nil, "2026-11-29", "2026-12-31", "2031-11-28"),
            // An explicit last day wins over the pass's.
            (.pass(from: day("2026-12-01"), through: day("2026-12-31")), "2027-01-15", "2026-11-29", "2027-01-15", "2031-11-28"),
        ] as [(Product, String?, String, String, String)])
    func dates(product: Product, requested: String?, validFrom: String, validUntil: String, cardExpiry: String) {
        let dates = IssuancePolicy.dates(for: product, requestedUntil: requested.map(Self.day), today: Self.today)
        #expect(dates.validFrom == Self.day(validFrom))
        #expect(dates.validUntil == Self.day(validUntil))
        #expect(dates.cardExpiry == Self.day(cardExpiry))
    }

    @Test("a new card's entitlement is number 1, its day is Kyiv's")
    func entitlementIDAndDay() {
        #expect(IssuancePolicy.firstEntitlementID == EntitlementID(1))
        // 2026-11-29 22:30 UTC is already the 30th in Kyiv (UTC+2 in winter).
        #expect(IssuancePolicy.timeZone.local(at: UnixTime(1_795_991_400)).date == Self.day("2026-11-30"))
    }

    static let categories = [
        BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери", en: "Pensioners")),
        BenefitCategory(code: 12, id: "student", name: LocalizedText(uk: "Студенти", en: "Students")),
    ]

    @Test("a category is named by its code or its id; another is refused with exit 65")
    func category() throws {
        #expect(try IssuancePolicy.category("12", in: Self.categories).id == "student")
        #expect(try IssuancePolicy.category("pensioner", in: Self.categories).code == 1)
        let error = #expect(throws: DeskError.self) { try IssuancePolicy.category("veteran", in: Self.categories) }
        #expect(error?.code == .refused)
        #expect(error?.exitStatus == 65)
        #expect(error?.message == "помилка: категорії «veteran» немає у списку громади\nerror: category \"veteran\" is not in the community's list\n")
    }
}
