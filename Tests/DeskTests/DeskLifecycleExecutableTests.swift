import Entitlements
import Foundation
import SocialCard
import TestBedSupport
import Testing
import VirtualCard

/// The lifecycle commands of `hromada-desk`, the program, against a virtual card.
@Suite("hromada-desk lifecycle commands, through pcscd", .serialized)
struct DeskLifecycleExecutableTests {
    func runDesk(_ arguments: [String], card: BlankCard, reader: TestReader, tearAfterAPDUs: Int? = nil) async throws -> (status: Int32, output: String) {
        try await card.run(program: "hromada-desk", arguments, on: reader, tearAfterAPDUs: tearAfterAPDUs)
    }

    @Test("topup torn (75), run again: credited once, receipt printed; entitlement add and end, renew, return, reissue; read --dispute")
    func lifecycle() async throws {
        let community = try Fixtures.Community()
        let card = try BlankCard(uid: [0x04, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6])
        defer { card.remove() }
        try await TestBed.shared.withReader { reader in
            let common = ["--reader", reader.name, "--keys", community.path, "--layout", Fixtures.layoutV2Path]
            let issued = try await runDesk(
                ["issue"] + common + ["--serial", "0A0B-0C0D-0E0F-3030", "--category", "pensioner", "--product", "rides:30/month", "--purse", "1000"],
                card: card, reader: reader)
            #expect(issued.status == 0, "\(issued.output)")

            let topUp = ["topup"] + common + ["--serial", "0A0B-0C0D-0E0F-3030", "--amount", "20000", "--receipt", "4242", "--desk", "ЦНАП Немішаєве"]
            let torn = try await runDesk(topUp, card: card, reader: reader, tearAfterAPDUs: 14)
            #expect(torn.status == 75, "\(torn.output)")
            let done = try await runDesk(topUp, card: card, reader: reader)
            #expect(done.status == 0, "\(done.output)")
            let again = try await runDesk(topUp, card: card, reader: reader)
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains("Поповнення за квитанцією №4242 вже зараховано; вдруге не зараховано."))
            #expect(again.output.contains("КВИТАНЦІЯ ПРО ПОПОВНЕННЯ № 4242"))
            #expect(again.output.contains("Новий залишок / Balance:  210.00 грн / UAH"))
            #expect(again.output.contains("Пункт / Desk:             ЦНАП Немішаєве"))

            let added = try await runDesk(["entitlement", "add"] + common + ["--category", "pensioner", "--product", "discount:50", "--valid-until", "2027-03-01"], card: card, reader: reader)
            #expect(added.status == 0, "\(added.output)")
            #expect(added.output.contains("Entitlement #2 added to card 0A0B-0C0D-0E0F-3030."))
            let ended = try await runDesk(["entitlement", "end"] + common + ["--id", "2", "--from", "2027-01-01"], card: card, reader: reader)
            #expect(ended.status == 0, "\(ended.output)")
            #expect(ended.output.contains("through 2026-12-31"))
            let renewed = try await runDesk(["renew"] + common + ["--valid-until", "2031-12-31"], card: card, reader: reader)
            #expect(renewed.status == 0, "\(renewed.output)")
            #expect(renewed.output.contains("Card valid until: 2031-12-31"))

            let dispute = try await runDesk(["read"] + common + ["--dispute", "--desk", "ЦНАП"], card: card, reader: reader)
            #expect(dispute.status == 0, "\(dispute.output)")
            #expect(dispute.output.contains("ВИТЯГ З КАРТКИ ДЛЯ РОЗГЛЯДУ СКАРГИ  /  CARD STATEMENT FOR A DISPUTE"))
            #expect(dispute.output.contains("поповнення, каса"))
            #expect(dispute.output.contains("квитанція №4242, +200.00 грн, залишок 210.00 грн"))

            let returned = try await runDesk(["return"] + common + ["--serial", "0A0B-0C0D-0E0F-3030"], card: card, reader: reader)
            #expect(returned.status == 0, "\(returned.output)")
            let refused = try await runDesk(["topup"] + common + ["--amount", "100", "--receipt", "1"], card: card, reader: reader)
            #expect(refused.status == 65, "\(refused.output)")
            let reissue = ["reissue"] + common + ["--returned", "0A0B-0C0D-0E0F-3030", "--serial", "0A0B-0C0D-0E0F-3031", "--category", "pensioner"]
            let reissued = try await runDesk(reissue, card: card, reader: reader)
            #expect(reissued.status == 0, "\(reissued.output)")
            #expect(reissued.output.contains("Returned card 0A0B-0C0D-0E0F-3030 wiped and issued as 0A0B-0C0D-0E0F-3031."))
            let twice = try await runDesk(reissue, card: card, reader: reader)
            #expect(twice.output.contains("The returned card was already issued as 0A0B-0C0D-0E0F-3031; nothing was changed."), "\(twice.output)")
        }
    }
}
