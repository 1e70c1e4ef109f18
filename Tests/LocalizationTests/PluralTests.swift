import Localization
import Testing

@Suite("Plural forms")
struct PluralTests {
    @Test(
        "Ukrainian categories follow CLDR",
        arguments: [
            (0, PluralCategory.many), (1, .one), (2, .few), (3, .few), (4, .few), (5, .many), (10, .many),
            (11, .many), (12, .many), (13, .many), (14, .many), (15, .many), (20, .many), (21, .one), (22, .few),
            (24, .few), (25, .many), (101, .one), (102, .few), (111, .many), (112, .many), (121, .one),
            (1_000, .many), (1_001, .one), (-1, .one), (-12, .many),
        ]
    )
    func ukrainianCategory(count: Int, expected: PluralCategory) {
        #expect(PluralCategory.ukrainian(count) == expected)
    }

    @Test(
        "Ukrainian nouns take the right form",
        arguments: [
            (0, "0 записів", "0 поїздок", "0 карток", "0 пристроїв"),
            (1, "1 запис", "1 поїздка", "1 картка", "1 пристрій"),
            (2, "2 записи", "2 поїздки", "2 картки", "2 пристрої"),
            (4, "4 записи", "4 поїздки", "4 картки", "4 пристрої"),
            (5, "5 записів", "5 поїздок", "5 карток", "5 пристроїв"),
            (11, "11 записів", "11 поїздок", "11 карток", "11 пристроїв"),
            (12, "12 записів", "12 поїздок", "12 карток", "12 пристроїв"),
            (14, "14 записів", "14 поїздок", "14 карток", "14 пристроїв"),
            (21, "21 запис", "21 поїздка", "21 картка", "21 пристрій"),
            (22, "22 записи", "22 поїздки", "22 картки", "22 пристрої"),
            (25, "25 записів", "25 поїздок", "25 карток", "25 пристроїв"),
            (101, "101 запис", "101 поїздка", "101 картка", "101 пристрій"),
            (111, "111 записів", "111 поїздок", "111 карток", "111 пристроїв"),
        ]
    )
    func ukrainianNouns(count: Int, record: String, ride: String, card: String, device: String) {
        #expect(UkrainianNoun.record.counted(count) == record)
        #expect(UkrainianNoun.ride.counted(count) == ride)
        #expect(UkrainianNoun.card.counted(count) == card)
        #expect(UkrainianNoun.device.counted(count) == device)
    }

    @Test(
        "English nouns: one for 1, other for the rest",
        arguments: [(0, "0 entries"), (1, "1 entry"), (2, "2 entries"), (11, "11 entries"), (21, "21 entries"), (101, "101 entries")]
    )
    func englishNouns(count: Int, expected: String) {
        #expect(EnglishNoun.entry.counted(count) == expected)
        #expect(PluralCategory.english(count) == (count == 1 ? .one : .other))
    }

    @Test func everyWholeNumberIsOneFewOrManyInUkrainian() {
        for count in 0...1_000 {
            let category = PluralCategory.ukrainian(count)
            #expect(category != .other)
            // The rule looks at the last two digits only.
            #expect(PluralCategory.ukrainian(count + 1_000) == category)
        }
    }
}
