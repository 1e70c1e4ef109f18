import ArgumentParser
import Console
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers
import Tariff

struct Block: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Block a card: on the card when it is on the reader, and reported to the accounting service for the deny list; --status shows whether the block has reached the validators.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var accounting: AccountingOptions
    @OptionGroup var office: OfficeOptions
    @Option(help: "The card to block (16 hex digits).") var serial: String
    @Option(help: "lost | stolen | fraud | other") var reason = "lost"
    @Flag(help: "The card is not at the desk (lost, stolen): only report it.") var cardAbsent = false
    @Flag(help: "Only show whether the block has reached the validators.") var status = false

    func validate() throws {
        guard CardSerial(printed: serial) != nil else { throw ValidationError("--serial must be 16 hex digits") }
        guard let reason = DenyList.Reason(rawValue: reason), reason != .replaced else {
            throw ValidationError("--reason must be lost, stolen, fraud or other (a replaced card is blocked by replace)")
        }
        if (cardAbsent || status) && accounting.accounting == nil { throw ValidationError("--accounting is needed to report or check a block") }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let desk = try common.desk()
            let serial = CardSerial(printed: serial)!
            let client = try accounting.client()
            if status, let client {
                print(CardActionText.propagation(try await desk.blockPropagation(of: serial, service: client, now: UnixTime(Date()))), terminator: "")
                return
            }
            let (reason, atDesk, clerk) = (DenyList.Reason(rawValue: reason)!, !cardAbsent, office.clerk)
            try await office.run(desk: desk, denyList: client) { office in
                var random = SystemRandomNumberGenerator()
                let outcome = try await office.block(
                    serial, reason: reason, cardAtDesk: atDesk, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                return HromadaDesk.text(outcome, office)
            }
            if client == nil {
                Console.error("увага: картку не передано до стоп-списку (немає --accounting)\nwarning: the card was not reported for the deny list (no --accounting)\n", terminator: "")
            }
        }
    }
}
