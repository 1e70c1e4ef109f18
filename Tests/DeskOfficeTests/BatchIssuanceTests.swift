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

    @Test("the hromada-desk program: two cards swapped in one reader, a progress line each, exit 0; run again, both skipped without a card")
    func program() async throws {
        let community = try Fixtures.Community()
        let cards = try (0..<2).map { try BlankCard(uid: [0x04, 0xC7, UInt8($0), 1, 2, 3, 4]) }
        defer { cards.forEach { $0.remove() } }
        // The file's first two students (the third line's unknown category is the library test's).
        let csv = Self.file.split(separator: "\n").prefix(3).joined(separator: "\n") + "\n"
        let csvPath = Fixtures.temporaryPath("batch", "csv")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: csvPath))
        let registryPath = Fixtures.temporaryPath("batch-cli-registry", "sqlite")
        let keyPath = Fixtures.temporaryPath("batch-cli-key", "key")
        defer { [csvPath, registryPath, keyPath].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        var random = SystemRandomNumberGenerator()
        let keyring = try RegistryKeyFile.create(at: keyPath, using: &random)
        let location = RegistryLocation.sqlite(path: registryPath)
        try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { _ in }
        let program = URL(fileURLWithPath: VcardExecutable.path()).deletingLastPathComponent().appendingPathComponent("hromada-desk").path
        let (first, second) = ("0A0B-0C0D-0E0F-C701", "0A0B-0C0D-0E0F-C702")
        try await TestBed.shared.withReader { reader in
            let arguments = [
                "batch", "issue", csvPath, "--reader", reader.name, "--keys", community.path, "--layout", Fixtures.layoutPath, "--registry", registryPath,
                "--registry-key", keyPath, "--clerk", "Оксана", "--first-serial", first,
            ]
            let (status, output) = try await withProcess(program, arguments: arguments) { process in
                // The clerk's part: the first card on the reader, taken away when the program
                // asks, the second put in its place.
                try await cards[0].placed(on: reader) { try await Self.waitForOutput("Заберіть картку / Take the card away", of: process) }
                return try await cards[1].placed(on: reader) { (await process.waitForExit(), process.output()) }
            }
            #expect(status == 0, "\(output)")
            #expect(output.contains("[1/2] Покладіть чисту картку для \(first) / Place a blank card for \(first)"))
            #expect(output.contains("[2/2] Покладіть чисту картку для \(second) / Place a blank card for \(second)"))
            #expect(output.contains("[1/2] рядок / line 2, картка / card \(first): видано / issued\n"), "\(output)")
            #expect(output.contains("[2/2] рядок / line 3, картка / card \(second): видано / issued\n"), "\(output)")
            #expect(output.contains("Разом / Total: видано / issued 2, пропущено / skipped 0, не видано / failed 0 з / of 2\n"), "\(output)")
            #expect(!output.contains("Коваль") && !output.contains("I-ОК"), "progress names lines and cards, not people")

            // No card on the reader: nothing is asked for, both lines are skipped.
            let (againStatus, again) = try await withProcess(program, arguments: arguments) { process in (await process.waitForExit(), process.output()) }
            #expect(againStatus == 0, "\(again)")
            #expect(again.contains("[1/2] рядок / line 2, картка / card \(first): вже видано раніше, пропущено / already issued, skipped\n"), "\(again)")
            #expect(again.contains("[2/2] рядок / line 3, картка / card \(second): вже видано раніше, пропущено / already issued, skipped\n"), "\(again)")
            #expect(again.contains("Разом / Total: видано / issued 0, пропущено / skipped 2, не видано / failed 0 з / of 2\n"))
            #expect(!again.contains("Покладіть"))
        }
        let issued = try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { registry in
            [try await registry.card(CardSerial(printed: first)!)?.status, try await registry.card(CardSerial(printed: second)!)?.status]
        }
        #expect(issued == [.issued, .issued])
    }

    /// Waits (up to a minute) until `process` has written `text`; fails if it exits first.
    static func waitForOutput(_ text: String, of process: TestProcess) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while !process.output().contains(text) {
            if let status = process.exitStatus {
                Issue.record("the program exited (\(status)) before writing «\(text)»: \(process.output())")
                return
            }
            guard ContinuousClock.now < deadline else {
                Issue.record("the program did not write «\(text)» within a minute: \(process.output())")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
