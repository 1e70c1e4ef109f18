import DeskRecords
import Entitlements
import Identifiers
import Testing

@Suite("Reading an eligibility export")
struct EligibilityCSVTests {
    static let day = CivilDate(year: 2026, month: 12, day: 6)!
    static func resolve(_ text: String) -> CategoryCode? {
        switch text {
        case "1", "pensioner": CategoryCode(1)
        case "2", "combat-veteran": CategoryCode(2)
        default: nil
        }
    }

    static func parse(_ text: String, bom: Bool = false) throws -> [ImportedEligibility] {
        try EligibilityCSV.parse((bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8), importDay: day, resolveCategory: resolve)
    }

    @Test("Ukrainian header, ';', a byte order mark, dates either way, CRLF line ends")
    func ukrainian() throws {
        let rows = try Self.parse(
            "ПІБ;Дата народження;Тип документа;Номер документа;Категорія;Підстава;Діє до\r\n"
                + "Коваль Марʼяна Петрівна;14.03.1951;паспорт;кн 123456;pensioner;пенсійне посвідчення 55;2027-01-31\r\n"
                + "\r\n"
                + "Бондар Іван;1980-05-01;ID-картка;123456789;2;посвідчення УБД 7;\r\n", bom: true)
        #expect(rows.count == 2)
        #expect(rows[0].line == 2 && rows[1].line == 4)
        #expect(rows[0].document.number == "КН123456")
        #expect(rows[0].dateOfBirth == CivilDate(year: 1951, month: 3, day: 14))
        #expect(rows[0].terms.validUntil == CivilDate(year: 2027, month: 1, day: 31))
        #expect(rows[0].terms.validFrom == Self.day)
        #expect(rows[1].terms.validUntil == nil)
        #expect(rows[1].terms.category == CategoryCode(2))
    }

    @Test("English header in another order, ',', quoted fields holding commas, quotes and a line break")
    func english() throws {
        let rows = try Self.parse(
            "category,full_name,document_type,document_number,date_of_birth,evidence,valid_until,valid_from\n"
                + "1,\"Коваль, Марія\",passport,КН654321,1950-01-01,\"посвідчення \"\"А\"\"\n№5\",2027-12-31,2026-01-01\n")
        #expect(rows.count == 1)
        #expect(rows[0].fullName == "Коваль, Марія")
        #expect(rows[0].terms.evidence == "посвідчення \"А\" №5")
        #expect(rows[0].terms.validFrom == CivilDate(year: 2026, month: 1, day: 1))
    }

    @Test("every bad line is reported with its number, and nothing is returned")
    func badLines() throws {
        let text = "full_name;date_of_birth;document_type;document_number;category;evidence;valid_until\n"
            + "Коваль Марія;1950-01-01;passport;КН654321;1;посв 1;2027-12-31\n"
            + "Коваль Марія;1950-02-30;passport;КН654322;1;посв 1;\n"
            + "Петренко Петро;1950-01-01;паспорт;12;1;посв 1;\n"
            + "Петренко Петро;1950-01-01;id-card;123456789;9;посв 1;\n"
            + "Петренко Петро;1950-01-01;id-card;123456789;1;;\n"
            + "Коваль Марія;1950-01-01;passport;кн654321;1;посв 2;2027-12-31\n"
            + "\"Незакрита;1950-01-01;passport;КН000001;1;x;\n"
        let error = try #require(throws: RegistryRuleError.self) { try Self.parse(text) }
        #expect(error.code == .importRejected)
        #expect(error.lines.map(\.line) == [3, 4, 5, 6, 7, 8])
        #expect(error.lines[3].english == "give the evidence document (up to 300 characters)")
        #expect(error.lines[4].english == "the same person and category are already on line 2")
        #expect(error.ukrainian.contains("нічого не збережено"))
    }

    @Test("a header without the required columns, a file that is not UTF-8, an empty file")
    func refusedFiles() {
        #expect(throws: RegistryRuleError(.importRejected, ukrainian: "", english: "")) { try Self.parse("ПІБ;Категорія\nКоваль Марія;1\n") }
        #expect(throws: RegistryRuleError(.importRejected, ukrainian: "", english: "")) {
            try EligibilityCSV.parse([0xCF, 0xB2, 0xC1], importDay: Self.day, resolveCategory: Self.resolve)
        }
        #expect(throws: RegistryRuleError(.importRejected, ukrainian: "", english: "")) { try Self.parse("") }
    }
}
