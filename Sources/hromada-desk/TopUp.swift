import ArgumentParser
import Desk
import Entitlements
import Foundation
import Identifiers

struct TopUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topup",
        abstract: "Credit the purse and print the receipt; run the same command (same receipt number) again after an interruption: it credits once.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var card: CardSerialOption
    @Option(help: "Kopecks to credit.") var amount: Int32
    @Option(help: "The receipt number (the desk's own numbering); a re-run with the same number does not credit again.") var receipt: UInt32
    @Option(help: "The desk's name printed on the receipt.") var desk = "ЦНАП"

    func validate() throws {
        guard amount > 0 else { throw ValidationError("--amount must be positive (kopecks)") }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let issuanceDesk = try common.desk()
            var random = SystemRandomNumberGenerator()
            let result = try await issuanceDesk.topUp(
                amountKopecks: amount, receipt: receipt, serial: card.value, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
            print(CardActionText.summary(result, categories: issuanceDesk.setup.categories))
            print(CardActionText.topUpReceipt(result, desk: desk), terminator: "")
        }
    }
}
