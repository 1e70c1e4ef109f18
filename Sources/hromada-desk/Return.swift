import ArgumentParser
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers
import SocialCard

struct Return: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "return", abstract: "Take back a card handed in: block it on the card so it can be issued to someone else (reissue).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var card: CardSerialOption
    @OptionGroup var office: OfficeOptions

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let (serial, clerk) = (card.value, office.clerk)
            try await office.run(desk: try common.desk(), denyList: nil) { office in
                var random = SystemRandomNumberGenerator()
                let outcome = try await office.returnCard(serial: serial, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                return HromadaDesk.text(outcome, office)
            }
        }
    }
}

struct Reissue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wipe a returned (blocked) card and issue it to a new serial; run again after an interruption.")

    @OptionGroup var common: CommonOptions
    @Option(help: "The serial the returned card had.") var returned: String
    @Option(help: "The new serial, 16 hex digits.") var serial: String
    @Option(help: "The benefit category: its code or id.") var category: String
    @Option(help: "free | discount:PCT | rides:N/day|week|month | pass:FROM..UNTIL | purse") var product = "free"
    @Option(help: "Last day the entitlement is valid, YYYY-MM-DD (default: one year from today).") var validUntil: String?
    @Option(help: "Kopecks to credit to the purse.") var purse: Int32 = 0

    func validate() throws {
        guard CardSerial(printed: returned) != nil, CardSerial(printed: serial) != nil else { throw ValidationError("--returned and --serial must be 16 hex digits") }
        _ = try CardSerialOption.civilDate(validUntil, "valid-until")
        guard purse >= 0 else { throw ValidationError("--purse must not be negative") }
        do { _ = try ProductText.parse(product) } catch { throw ValidationError(error.reason) }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let desk = try common.desk()
            var random = SystemRandomNumberGenerator()
            let order = IssueOrder(
                serial: CardSerial(printed: serial)!, category: category, product: try ProductText.parse(product),
                validUntil: try CardSerialOption.civilDate(validUntil, "valid-until"), purseKopecks: purse, issuer: nil)
            let result = try await desk.reissue(
                order, returned: CardSerial(printed: returned)!, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
            print(CardActionText.summary(result, categories: desk.setup.categories), terminator: "")
        }
    }
}
