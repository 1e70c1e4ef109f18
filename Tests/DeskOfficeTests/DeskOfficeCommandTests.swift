import DeskRecords
import DeskRegistry
import Entitlements
import Foundation
import Identifiers
import TestBedSupport
import Testing
import VirtualCard

/// `hromada-desk` with `--registry`: the program's lifecycle commands go through the desk
/// office, so what they do to the card shows in the registry.
@Suite("hromada-desk with a registry, through pcscd", .serialized)
struct DeskOfficeCommandTests {
    func runDesk(_ arguments: [String], card: BlankCard, reader: TestReader, tearAfterAPDUs: Int? = nil) async throws -> (status: Int32, output: String) {
        try await card.run(program: "hromada-desk", arguments, on: reader, tearAfterAPDUs: tearAfterAPDUs)
    }

    @Test("issue --holder torn mid-card (75), run again: issued and recorded; topup and return recorded; a holder without an eligibility refused (65)")
    func issueTopUpReturn() async throws {
        let community = try Fixtures.Community()
        let card = try BlankCard(uid: [0x04, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6])
        defer { card.remove() }
        let registryPath = Fixtures.temporaryPath("office-cli-registry", "sqlite")
        let keyPath = Fixtures.temporaryPath("office-cli-key", "key")
        var random = SystemRandomNumberGenerator()
        let keyring = try RegistryKeyFile.create(at: keyPath, using: &random)
        let location = RegistryLocation.sqlite(path: registryPath)
        let (holder, lapsed) = try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { registry in
            let today = IssuancePolicyDay.today
            let holder = try await registry.addHolder(Fixtures.person("Тарас Богданович Гнатюк", passport: "АА100200"), consentFormReference: nil, clerk: "t", at: UnixTime(Date()))
            _ = try await registry.addEligibility(
                try EligibilityTerms(category: 1, evidence: "посвідчення", validFrom: today.adding(days: -30), validUntil: nil), to: holder, clerk: "t", at: UnixTime(Date()))
            let lapsed = try await registry.addHolder(Fixtures.person("Віра Олексіївна Ткач", passport: "АА100300"), consentFormReference: nil, clerk: "t", at: UnixTime(Date()))
            return (holder, lapsed)
        }
        let serial = "0A0B-0C0D-0E0F-B001"
        try await TestBed.shared.withReader { reader in
            let common = ["--reader", reader.name, "--keys", community.path, "--layout", Fixtures.layoutPath, "--registry", registryPath, "--registry-key", keyPath, "--clerk", "Оксана"]
            let issue = ["issue"] + common + ["--serial", serial, "--holder", "\(holder)", "--purse", "500"]
            let torn = try await runDesk(issue, card: card, reader: reader, tearAfterAPDUs: 12)
            #expect(torn.status == 75, "\(torn.output)")
            let issued = try await runDesk(issue, card: card, reader: reader)
            #expect(issued.status == 0, "\(issued.output)")
            #expect(issued.output.contains("Картку \(serial) видано.") && issued.output.contains("Registry: card \(serial) issued to holder \(holder) — recorded"))
            let topUp = try await runDesk(["topup"] + common + ["--serial", serial, "--amount", "2500", "--receipt", "91"], card: card, reader: reader)
            #expect(topUp.status == 0 && topUp.output.contains("Registry: credit to card \(serial), receipt 91 — recorded"), "\(topUp.output)")
            let returned = try await runDesk(["return"] + common + ["--serial", serial], card: card, reader: reader)
            #expect(returned.status == 0 && returned.output.contains("Registry: card \(serial) status: returned — recorded"), "\(returned.output)")
            let refused = try await runDesk(
                ["issue"] + common + ["--serial", "0A0B-0C0D-0E0F-B002", "--holder", "\(lapsed)"], card: try BlankCard(uid: [0x04, 0xB9, 0, 0, 0, 0, 1]), reader: reader)
            #expect(refused.status == 65 && refused.output.contains("renewal worklist"), "\(refused.output)")
        }
        let record = try await location.withRegistry(keyring: keyring, now: UnixTime(Date())) { try await $0.card(CardSerial(printed: serial)!) }
        #expect(record?.holder == holder && record?.status == .returned)
        #expect(record?.history.map(\.event) == [.issued, .returned] && record?.history.allSatisfy { $0.clerk == "Оксана" } == true)
        #expect(record?.credits.map(\.kopecks) == [2_500] && record?.entitlements.count == 1)
    }
}

/// Today in the desk's time zone (the program reads the clock; the test's eligibility must cover its day).
enum IssuancePolicyDay {
    static var today: CivilDate { TimeZoneRule.europeKyiv.local(at: UnixTime(Date())).date }
}
