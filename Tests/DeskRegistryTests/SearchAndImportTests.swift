import DeskRegistry
import Entitlements
import Identifiers
import Testing

import Foundation

@Suite("Search, the eligibility import and the renewal worklist", .serialized)
struct SearchAndImportTests {
    @Test("search by name words in any order, any apostrophe, any case; by birth date, card, document; paged", arguments: RegistryEngineUnderTest.all)
    func search(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        try await location.withTestRegistry { registry in
            let maryana = try await registry.addHolder(Fixture.person("Ковальчук-Ільїна Мар’яна Петрівна", passport: "КН123456"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            let yuriy = try await registry.addHolder(Fixture.person("Об'єдкін Юрій", born: "1960-02-01", passport: "КН123457"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            let others = try await registry.addHolders(
                (0..<25).map { Fixture.person("Коваленко Петро \($0)", born: "1970-01-01", passport: "МК\(String(200_000 + $0))") }, consentFormReference: nil,
                clerk: Fixture.clerk, at: Fixture.now)
            _ = try await registry.recordIssued(Fixture.card(0xABCD, uid: 5, entitlements: []), holder: yuriy, clerk: Fixture.clerk, at: Fixture.now)

            for spelling in ["марʼяна", "МАР'ЯНА", "мар’яна ковальчук", "ільїна", "ІЛЬЇНА мар", "Маряна", "ковальчук-ільїна"] {
                #expect(try await registry.search(HolderQuery(name: spelling)).holders.map(\.id) == [maryana], "\(spelling)")
            }
            #expect(try await registry.search(HolderQuery(name: "обʼєдкін")).holders.map(\.id) == [yuriy])
            #expect(try await registry.search(HolderQuery(name: "ОБ’ЄДКІН ю")).holders.first?.cards == [CardSerial(0xABCD)])
            #expect(try await registry.search(HolderQuery(name: "Обедкін")).holders.isEmpty, "є and е are different letters")
            #expect(try await registry.search(HolderQuery(dateOfBirth: Fixture.date("1960-02-01"))).holders.map(\.id) == [yuriy])
            #expect(try await registry.search(HolderQuery(cardSerial: CardSerial(0xABCD))).holders.map(\.id) == [yuriy])
            #expect(try await registry.search(HolderQuery(document: try IdentityDocument(type: .passport, number: "kh123456"))).holders.map(\.id) == [maryana])
            #expect(try await registry.search(HolderQuery(document: try IdentityDocument(type: .idCard, number: "123456789"))).holders.isEmpty)
            #expect(try await registry.search(HolderQuery(name: "коваль", dateOfBirth: Fixture.date("1951-03-14"))).holders.map(\.id) == [maryana])

            let first = try await registry.search(HolderQuery(name: "коваленко"), offset: 0, limit: 10)
            let third = try await registry.search(HolderQuery(name: "коваленко"), offset: 20, limit: 10)
            #expect(first.holders.count == 10 && first.hasMore)
            #expect(third.holders.count == 5 && !third.hasMore)
            let all = try await registry.search(HolderQuery(name: "коваленко"), offset: 0, limit: 200).holders.map(\.id)
            #expect(Set(all) == Set(others))
            #expect(try await registry.search(HolderQuery(name: "ковал"), limit: 200).holders.count == 26)
            #expect(try await registry.search(HolderQuery(name: "коваль"), limit: 200).holders.map(\.id) == [maryana], "Коваленко does not begin with коваль")
            await #expect(throws: RegistryError(.invalidRequest, ukrainian: "", english: "")) { try await registry.search(HolderQuery(name: " ' ")) }
        }
    }

    static let csv = """
        ПІБ;Дата народження;Тип документа;Номер документа;Категорія;Підстава;Діє до
        Коваль Марія;14.03.1951;паспорт;КН100001;1;пенсійне посвідчення 11;
        Бондар Іван;1951-03-14;паспорт;КН100002;2;посвідчення УБД 22;2026-12-20
        Мар’яна Шевчук;1951-03-14;ID-картка;100000003;1;пенсійне 33;2027-12-31
        Незнайомий Петро;1951-03-14;паспорт;КН999999;1;пенсійне 99;

        """

    @Test("import: new eligibilities on the first run; the next export's changes and lapses; the worklist from them", arguments: RegistryEngineUnderTest.all)
    func importAndWorklist(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        try await location.withTestRegistry { registry in
            let maria = try await registry.addHolder(Fixture.person("Коваль Марія", passport: "КН100001"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            let ivan = try await registry.addHolder(Fixture.person("Бондар Іван", passport: "КН100002"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            // Registered with another document than the export's: matched by name and birth date.
            let maryana = try await registry.addHolder(Fixture.person("Шевчук Марʼяна", passport: "КН100003"), consentFormReference: nil, clerk: Fixture.clerk, at: Fixture.now)
            for (holder, serial) in [(maria, UInt64(0x11)), (ivan, 0x22), (maryana, 0x33)] {
                let category: UInt16 = holder == ivan ? 2 : 1
                _ = try await registry.recordIssued(
                    Fixture.card(serial, uid: UInt8(serial), entitlements: [Fixture.entitlement(1, category: category, until: "2027-11-30")]), holder: holder,
                    clerk: Fixture.clerk, at: Fixture.now)
            }
            let lines = try EligibilityCSV.parse(Array(Self.csv.utf8), importDay: Fixture.today) { UInt16($0).map(CategoryCode.init) }
            let preview = try await registry.previewImport(lines, today: Fixture.today)
            #expect(preview.diff.additions.map(\.holder) == [maria, ivan, maryana])
            #expect(preview.diff.unmatchedLines == [5])
            #expect(try await registry.holder(maria)?.eligibilities.isEmpty == true, "a preview stores nothing")
            let first = try await registry.applyImport(lines, fileDigest: [1], today: Fixture.today, clerk: Fixture.clerk, at: Fixture.now)
            #expect(first.preview == preview)
            #expect(try await registry.holder(maryana)?.eligibilities.first?.source == .importFile(id: first.importID))

            // Ivan's eligibility ends within 30 days: on the worklist before anything lapses.
            let soon = try await registry.worklist(today: Fixture.today, horizonDays: 30)
            #expect(soon.map(\.item.holder) == [ivan])
            #expect(soon.first?.item.reason == .eligibilityLapsing(on: Fixture.date("2026-12-20")))
            #expect(soon.first?.fullName == "Бондар Іван" && soon.first?.phone == "+380671234567")

            // The next export drops Maria, extends Ivan, keeps Maryana.
            let next = """
                full_name,date_of_birth,document_type,document_number,category,evidence,valid_until
                Бондар Іван,1951-03-14,passport,КН100002,2,посвідчення УБД 22,2028-12-31
                Шевчук Мар'яна,1951-03-14,id-card,100000003,1,пенсійне 33,2027-12-31
                """
            let nextLines = try EligibilityCSV.parse(Array(next.utf8), importDay: Fixture.today) { UInt16($0).map(CategoryCode.init) }
            let second = try await registry.applyImport(nextLines, fileDigest: [2], today: Fixture.today, clerk: Fixture.clerk, at: Fixture.now)
            #expect(second.preview.diff.additions.isEmpty)
            #expect(second.preview.diff.changes.map(\.holder) == [ivan])
            #expect(second.preview.diff.unchanged == 1)
            #expect(second.preview.diff.lapses.map(\.holder) == [maria])
            #expect(second.preview.diff.lapses.first?.endsOn == Fixture.today.adding(days: -1))

            let worklist = try await registry.worklist(today: Fixture.today, horizonDays: 30)
            #expect(worklist.map(\.item.holder) == [maria])
            #expect(worklist.first?.item.reason == .eligibilityLapsed(on: Fixture.today.adding(days: -1)))
            #expect(worklist.first?.item.serial == CardSerial(0x11))
            let actions = try await registry.journal().map(\.action)
            #expect(actions.filter { $0 == "eligibility.import" }.count == 2)
            #expect(actions.contains("eligibility.import.lapse"))
        }
    }
}
