import ArgumentParser
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers

struct Renew: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Renew a card: its entitlements re-signed to a new end date, its validity extended; run again after an interruption.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var card: CardSerialOption
    @OptionGroup var office: OfficeOptions
    @Option(help: "The entitlements' new last day, YYYY-MM-DD (default: one year from today; passes keep theirs).") var validUntil: String?

    func validate() throws { _ = try CardSerialOption.civilDate(validUntil, "valid-until") }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let (serial, until, clerk) = (card.value, try CardSerialOption.civilDate(validUntil, "valid-until"), office.clerk)
            try await office.run(desk: try common.desk(), denyList: nil) { office in
                var random = SystemRandomNumberGenerator()
                let outcome = try await office.renew(
                    serial: serial, validUntil: until, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                return HromadaDesk.text(outcome, office)
            }
        }
    }
}
