import ArgumentParser
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers

struct TopUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topup",
        abstract: "Credit the purse and print the receipt; run the same command (same receipt number) again after an interruption: it credits once.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var card: CardSerialOption
    @OptionGroup var office: OfficeOptions
    @Option(help: "Kopecks to credit.") var amount: Int32
    @Option(help: "The receipt number (the desk's own numbering); a re-run with the same number does not credit again.") var receipt: UInt32
    @Option(help: "The desk's name printed on the receipt.") var desk = "ЦНАП"

    func validate() throws {
        guard amount > 0 else { throw ValidationError("--amount must be positive (kopecks)") }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let (serial, amount, receipt, deskName, clerk) = (card.value, amount, receipt, desk, office.clerk)
            try await office.run(desk: try common.desk(), denyList: nil) { office in
                var random = SystemRandomNumberGenerator()
                let outcome = try await office.topUp(
                    amountKopecks: amount, receipt: receipt, serial: serial, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                return HromadaDesk.text(outcome, office) + "\n" + CardActionText.topUpReceipt(outcome.card, desk: deskName)
            }
        }
    }
}
