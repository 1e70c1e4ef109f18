import ArgumentParser
import Desk
import Entitlements
import Foundation
import Identifiers

struct Renew: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Renew a card: its entitlements re-signed to a new end date, its validity extended; run again after an interruption.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var card: CardSerialOption
    @Option(help: "The entitlements' new last day, YYYY-MM-DD (default: one year from today; passes keep theirs).") var validUntil: String?

    func validate() throws { _ = try CardSerialOption.civilDate(validUntil, "valid-until") }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let desk = try common.desk()
            var random = SystemRandomNumberGenerator()
            let result = try await desk.renew(
                serial: card.value, validUntil: try CardSerialOption.civilDate(validUntil, "valid-until"), now: UnixTime(Date()),
                waiting: HromadaDesk.promptForCard, using: &random)
            print(CardActionText.summary(result, categories: desk.setup.categories), terminator: "")
        }
    }
}
