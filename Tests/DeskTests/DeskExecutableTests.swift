import Entitlements
import Foundation
import SocialCard
import TestBedSupport
import Testing
import VirtualCard

/// Runs the `hromada-desk` program itself against a virtual card in a test bed reader.
@Suite("hromada-desk, the program, through pcscd", .serialized)
struct DeskExecutableTests {
    /// Runs the desk with `arguments` while `card` is in `reader`'s field; returns exit status and output.
    func runDesk(_ arguments: [String], card: BlankCard, reader: TestReader, tearAfterAPDUs: Int? = nil) async throws -> (status: Int32, output: String) {
        try await card.run(program: "hromada-desk", arguments, on: reader, tearAfterAPDUs: tearAfterAPDUs)
    }

    @Test("upgrade a v1 card to the community's new-card layout, v3 (torn once, then resumed): the purse and the entitlement carried over; run again: nothing to do")
    func upgrade() async throws {
        let community = try Fixtures.Community()
        let card = try BlankCard(uid: [0x04, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86])
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            let issue = ["issue", "--reader", reader.name, "--keys", community.path, "--serial", "0A0B-0C0D-0E0F-2022",
                         "--category", "pensioner", "--product", "rides:30/month", "--valid-until", "2027-06-30", "--purse", "15000",
                         "--layout", Fixtures.layoutPath]
            let issued = try await runDesk(issue, card: card, reader: reader)
            #expect(issued.status == 0, "\(issued.output)")
            let upgrade = ["upgrade", "--reader", reader.name, "--keys", community.path]
            let torn = try await runDesk(upgrade, card: card, reader: reader, tearAfterAPDUs: 40)
            #expect(torn.status == 75, "\(torn.output)")
            let upgraded = try await runDesk(upgrade, card: card, reader: reader)
            #expect(upgraded.status == 0, "\(upgraded.output)")
            #expect(upgraded.output.contains("Card 0A0B-0C0D-0E0F-2022 moved from layout v1 to v3."))
            #expect(upgraded.output.contains("  Перенесено: гаманець 150.00 грн, пільг 1, поїздок у журналі 1"))
            #expect(upgraded.output.contains("  Carried over: purse 150.00 UAH, 1 entitlements, 1 trip records"))
            let read = try await runDesk(["read", "--reader", reader.name, "--keys", community.path], card: card, reader: reader)
            #expect(read.status == 0, "\(read.output)")
            let readLines = read.output.split(separator: "\n").map(String.init)
            #expect(readLines.contains("Card 0A0B-0C0D-0E0F-2022 (layout v3, community \(Fixtures.layout.communityCode))"))
            #expect(readLines.contains { $0.hasPrefix("  Entitlement 1 (#1): Old-age pensioners — 30 rides per month") && $0.hasSuffix("; valid; rides used: 0") })
            #expect(readLines.contains("  Purse: 150.00 UAH"))
            let again = try await runDesk(upgrade, card: card, reader: reader)
            #expect(again.status == 0)
            #expect(again.output.contains("Card 0A0B-0C0D-0E0F-2022 already has layout v3; nothing was changed."))
        }
    }

    @Test("issue a card (torn once, then resumed), read it back, refuse a blank card; Ukrainian then English")
    func issueAndRead() async throws {
        let community = try Fixtures.Community()
        let card = try BlankCard(uid: [0x04, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66])
        defer { card.remove() }
        let blank = try BlankCard(uid: [0x04, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76])
        defer { blank.remove() }
        let today = TimeZoneRule.europeKyiv.local(at: UnixTime(Date())).date
        try await TestBed.shared.withReader { reader in
            let issue = ["issue", "--reader", reader.name, "--keys", community.path, "--serial", "0A0B-0C0D-0E0F-1011",
                         "--category", "pensioner", "--product", "rides:30/month", "--valid-until", "2027-06-30", "--purse", "15000"]
            // The card leaves the reader after 20 APDUs: exit 75, and the advice to run again.
            let torn = try await runDesk(issue, card: card, reader: reader, tearAfterAPDUs: 20)
            #expect(torn.status == 75, "\(torn.output)")
            #expect(torn.output.contains("помилка: картку прибрано з зчитувача до завершення"))
            #expect(torn.output.contains("error: the card left the reader before the end"))
            let issued = try await runDesk(issue, card: card, reader: reader)
            #expect(issued.status == 0, "\(issued.output)")
            let lines = issued.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let ukrainian = try #require(lines.firstIndex(of: "Видачу картки 0A0B-0C0D-0E0F-1011 завершено (продовжено перервану персоналізацію)."))
            let english = try #require(lines.firstIndex(of: "Card 0A0B-0C0D-0E0F-1011 issued (an interrupted personalization was completed)."))
            #expect(ukrainian < english)
            #expect(lines.contains("  UID картки: 04616263646566, версія ключів: 1"))
            #expect(lines.contains("  Пільга 1: Пенсіонери за віком — 30 поїздок на місяць, з \(today) по 2027-06-30"))
            #expect(lines.contains("  Entitlement 1: Old-age pensioners — 30 rides per month, \(today) through 2027-06-30"))
            #expect(lines.contains("  Гаманець: 150.00 грн"))
            #expect(lines.contains("  Purse: 150.00 UAH"))

            let read = try await runDesk(["read", "--reader", reader.name, "--keys", community.path], card: card, reader: reader)
            #expect(read.status == 0, "\(read.output)")
            let readLines = read.output.split(separator: "\n").map(String.init)
            // New Nemishaieve cards get layout v3 (Communities/nemishaieve/issuance.json).
            #expect(readLines.first == "Картка 0A0B-0C0D-0E0F-1011 (макет v3, громада \(Fixtures.layout.communityCode))")
            #expect(readLines.contains("Card 0A0B-0C0D-0E0F-1011 (layout v3, community \(Fixtures.layout.communityCode))"))
            #expect(readLines.contains("  Пільга 1 (№1): Пенсіонери за віком — 30 поїздок на місяць, з \(today) по 2027-06-30; дійсна; використано поїздок: 0"))
            #expect(readLines.contains("  Entitlement 1 (#1): Old-age pensioners — 30 rides per month, \(today) through 2027-06-30; valid; rides used: 0"))
            #expect(readLines.contains("  Заблокована: ні") && readLines.contains("  Blocked: no"))
            #expect(readLines.contains("  Purse: 150.00 UAH"))
            #expect(readLines.contains("  Trips (1):"))
            let issuerKey = try community.issuerKey().keyID
            #expect(readLines.contains { $0.hasSuffix(" issued, issuer key \(issuerKey)") })

            // Issuing again for the same serial changes nothing.
            let again = try await runDesk(issue, card: card, reader: reader)
            #expect(again.status == 0)
            #expect(again.output.contains("Card 0A0B-0C0D-0E0F-1011 was already issued; nothing was changed. Contents: hromada-desk read."))

            let refused = try await runDesk(["read", "--reader", reader.name, "--keys", community.path], card: blank, reader: reader)
            #expect(refused.status == 65)
            #expect(refused.output.contains("помилка: на картці немає застосунку громади (no-application)"))
            #expect(refused.output.contains("error: no-application:"))
        }
    }
}
