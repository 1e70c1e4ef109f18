import Desk
import DeskOffice
import DeskRecords
import DeskRegistry
import Entitlements
import Foundation
import Identifiers
import TestBedSupport
import Testing

/// Batch issuance from a school's CSV: parsed with the shared CSV reader, each student registered
/// and issued a card, a re-run skipping what is done, a failing line reported and passed over.
@Suite("Batch issuance", .serialized)
struct BatchIssuanceTests {
    static let file = """
        ПІБ;Дата народження;Тип документа;Номер документа;Категорія;Діє до
        Коваль Андрій Петрович;14.03.2012;свідоцтво про народження;I-ОК 123456;student;31.08.2027
        "Шевчук Олена Іванівна";2011-09-01;свідоцтво про народження;I-ОК 654321;student;
        Мороз Дмитро Олегович;05.05.2013;свідоцтво про народження;I-ОК 111222;no-such-category;31.08.2027

        """

    @Test("the file: Ukrainian header, ; separator, dates both ways, an empty valid-until, serials numbered from the first")
    func parse() throws {
        let rows = try BatchIssueFile.parse(Array(Self.file.utf8), firstSerial: CardSerial(printed: "0A0B-0C0D-0E0F-C001"))
        #expect(rows.count == 3)
        #expect(rows.map(\.serial.printed) == ["0A0B-0C0D-0E0F-C001", "0A0B-0C0D-0E0F-C002", "0A0B-0C0D-0E0F-C003"])
        #expect(rows.map(\.line) == [2, 3, 4])
        #expect(rows[0].dateOfBirth == CivilDate(iso: "2012-03-14") && rows[0].validUntil == CivilDate(iso: "2027-08-31"))
        #expect(rows[1].fullName == "Шевчук Олена Іванівна" && rows[1].validUntil == nil && rows[1].document.type == .birthCertificate)
        #expect(throws: RegistryRuleError.self) { _ = try BatchIssueFile.parse(Array(Self.file.utf8), firstSerial: nil) }
        let broken = Self.file.replacingOccurrences(of: "14.03.2012", with: "14/03/2012")
        do {
            _ = try BatchIssueFile.parse(Array(broken.utf8), firstSerial: CardSerial(printed: "0A0B-0C0D-0E0F-C001"))
            Issue.record("a line with a bad date was accepted")
        } catch let error as RegistryRuleError {
            #expect(error.lines.map(\.line) == [2])
        }
    }

    @Test("card by card: each run issues the next card and skips the issued ones; the bad line fails with its reason; the last run skips all")
    func resumable() async throws {
        let community = try Fixtures.Community()
        let rows = try BatchIssueFile.parse(Array(Self.file.utf8), firstSerial: CardSerial(printed: "0A0B-0C0D-0E0F-C001"))
        let cards = try (0..<2).map { try BlankCard(uid: [0x04, 0xC1, UInt8($0), 1, 2, 3, 4]) }
        defer { cards.forEach { $0.remove() } }
        let location = RegistryLocation.sqlite(path: Fixtures.temporaryPath("batch-registry", "sqlite"))
        try await TestBed.shared.withReader { reader in
            let desk = try Fixtures.desk(community, reader: reader)
            try await location.withRegistry(keyring: Fixtures.keyring, now: Fixtures.now) { registry in
                let office = DeskOffice(desk: desk, registry: registry)
                var random = SystemRandomNumberGenerator()
                func run(_ rows: [BatchIssueRow]) async throws -> [BatchProgress] {
                    var placed: [Int] = []
                    var shown: [BatchProgress] = []
                    let results = try await office.issueBatch(
                        rows, product: .free, defaultAddress: "Немішаєве, школа №1", consentFormReference: "згоди батьків 2026", evidence: "список школи №1",
                        clerk: Fixtures.clerk, now: Fixtures.now, placeCard: { _, index in placed.append(index) }, progress: { shown.append($0) }, using: &random)
                    #expect(shown == results)
                    // The clerk is asked for a card only when one is needed (a line refused before the card is not).
                    #expect(placed == results.filter { $0.status == .issued }.map(\.index))
                    return results
                }
                let first = try await cards[0].placed(on: reader) { try await run(Array(rows.prefix(1))) }
                #expect(first.map(\.status) == [.issued])
                let second = try await cards[1].placed(on: reader) { try await run(Array(rows.prefix(2))) }
                #expect(second.map(\.status) == [.alreadyIssued, .issued])
                #expect(second.map(\.index) == [1, 2] && second.allSatisfy { $0.total == 2 })
                let last = try await run(rows)
                #expect(last.prefix(2).map(\.status) == [.alreadyIssued, .alreadyIssued])
                guard case .failed(let reason) = last[2].status else {
                    Issue.record("the unknown category was not refused")
                    return
                }
                #expect(reason.contains("no-such-category") && !reason.contains("Мороз"))
                #expect(try await registry.card(rows[2].serial) == nil)

                let student = try await registry.search(HolderQuery(document: rows[0].document)).holders.first
                let record = try await registry.holder(try #require(student?.id))
                #expect(record?.cards.map(\.serial) == [rows[0].serial] && record?.details?.address == "Немішаєве, школа №1")
                #expect(record?.eligibilities.map(\.terms.evidence) == ["список школи №1"])
                #expect(record?.consents.first?.formReference == "згоди батьків 2026")
                let open = try await registry.search(HolderQuery(document: rows[1].document)).holders.first
                let openRecord = try await registry.holder(try #require(open?.id))
                #expect(openRecord?.eligibilities.first?.terms.validUntil == nil)
                #expect(openRecord?.cards.first?.entitlements.first?.validUntil == Fixtures.today.adding(days: IssuancePolicy.defaultEntitlementDays))
            }
        }
    }
}
