import Entitlements
import Foundation
import Testing

@Suite("Community data")
struct CommunityDataTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func nemishaieveCategoriesAreValid() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Communities/nemishaieve/categories.json"))
        let list = try JSONDecoder().decode(BenefitCategoryList.self, from: data)
        try list.validate()
        #expect(list.community == "nemishaieve")
        for id in ["pensioner", "combat-veteran", "disability-group-1", "disability-group-2", "disability-group-3",
            "disability-group-1-escort", "large-family-child", "student", "honorary-donor"]
        {
            #expect(list.categories.contains { $0.id == id }, "missing \(id)")
        }
        #expect(list.category(2)?.name.uk.contains("УБД") == true)
    }

    @Test(arguments: [
        [BenefitCategory(code: 1, id: "a", name: LocalizedText(uk: "А", en: "A")), BenefitCategory(code: 1, id: "b", name: LocalizedText(uk: "Б", en: "B"))],
        [BenefitCategory(code: 1, id: "a", name: LocalizedText(uk: "А", en: "A")), BenefitCategory(code: 2, id: "a", name: LocalizedText(uk: "Б", en: "B"))],
        [BenefitCategory(code: 0, id: "a", name: LocalizedText(uk: "А", en: "A"))],
        [BenefitCategory(code: 3, id: "a", name: LocalizedText(uk: "", en: "A"))],
    ])
    func inconsistentListsAreRefused(categories: [BenefitCategory]) {
        #expect(throws: EntitlementError(.invalidCommunityData, "")) { try BenefitCategoryList.validate(categories) }
    }

    @Test func kyivRuleMatchesTheSystemZoneDatabase() throws {
        struct Vectors: Decodable {
            struct Vector: Decodable {
                let unix: Int64
                let offsetSeconds: Int
                let local: String
            }
            let vectors: [Vector]
        }
        let url = try #require(Bundle.module.url(forResource: "kyiv-offsets", withExtension: "json", subdirectory: "Vectors"))
        let vectors = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url)).vectors
        #expect(vectors.count > 500)
        for vector in vectors {
            let instant = UnixTime(vector.unix)
            #expect(TimeZoneRule.europeKyiv.offsetSeconds(at: instant) == vector.offsetSeconds, "at \(instant)")
            let local = TimeZoneRule.europeKyiv.local(at: instant)
            let second = local.secondOfDay
            func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
            #expect("\(local.date)T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))" == vector.local)
        }
    }

    @Test func timeZoneRuleJSONRoundTrips() throws {
        let data = try JSONEncoder().encode(TimeZoneRule.europeKyiv)
        #expect(try JSONDecoder().decode(TimeZoneRule.self, from: data) == .europeKyiv)
    }
}
