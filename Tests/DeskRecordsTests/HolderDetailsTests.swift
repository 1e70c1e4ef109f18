import DeskRecords
import Entitlements
import Testing

@Suite("Holder and document validation")
struct HolderDetailsTests {
    static let today = CivilDate(year: 2026, month: 12, day: 6)!

    @Test("a passport number is normalized: spaces gone, upper case, Latin look-alikes Cyrillic")
    func passport() throws {
        let typed = try IdentityDocument(type: .passport, number: " kh 123456 ")
        let cyrillic = try IdentityDocument(type: .passport, number: "КН123456")
        #expect(typed == cyrillic)
        #expect(typed.number == "КН123456")
        #expect(!typed.description.contains("123456"))
    }

    @Test("numbers that do not fit their type are refused", arguments: [
        (DocumentType.passport, "К1234567"), (.passport, "КН12345"), (.idCard, "12345678"), (.idCard, "12345678A"), (.other, "12"),
    ])
    func refused(_ type: DocumentType, _ number: String) {
        #expect(throws: RegistryRuleError(.invalidField, ukrainian: "", english: "")) { try IdentityDocument(type: type, number: number) }
    }

    @Test("document types read from codes and the Ukrainian names exports use")
    func types() {
        #expect(DocumentType(text: "паспорт") == .passport)
        #expect(DocumentType(text: "ID-картка") == .idCard)
        #expect(DocumentType(text: "Свідоцтво про народження") == .birthCertificate)
        #expect(DocumentType(text: "id-card") == .idCard)
        #expect(DocumentType(text: "водійське") == nil)
    }

    @Test("details: trimmed name and address, phone digits kept, birth in the future refused")
    func details() throws {
        let document = try IdentityDocument(type: .idCard, number: "123456789")
        let details = try HolderDetails(
            fullName: "  Шевченко   Тарас ", dateOfBirth: CivilDate(year: 1950, month: 1, day: 2)!, address: " вул. Садова, 3 ", document: document,
            phone: "+380 (67) 123-45-67", today: Self.today)
        #expect(details.fullName == "Шевченко Тарас")
        #expect(details.address == "вул. Садова, 3")
        #expect(details.phone == "+380671234567")
        #expect(details.description == "HolderDetails(redacted)")
        #expect(throws: RegistryRuleError(.invalidField, ukrainian: "", english: "")) {
            try HolderDetails(fullName: "Шевченко Тарас", dateOfBirth: Self.today.adding(days: 1), address: "вул. Садова", document: document, today: Self.today)
        }
        #expect(throws: RegistryRuleError(.invalidField, ukrainian: "", english: "")) {
            try HolderDetails(fullName: "Шевченко Тарас", dateOfBirth: Self.today, address: "вул. Садова", document: document, phone: "12", today: Self.today)
        }
        #expect(throws: RegistryRuleError(.invalidField, ukrainian: "", english: "")) {
            try HolderDetails(fullName: "''", dateOfBirth: Self.today, address: "вул. Садова", document: document, today: Self.today)
        }
    }
}
