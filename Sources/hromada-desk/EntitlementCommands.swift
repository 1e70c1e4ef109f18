import ArgumentParser
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers
import SocialCard

struct EntitlementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entitlement", abstract: "Add or end a benefit on an issued card.", subcommands: [Add.self, End.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a benefit in the card's next free slot; run again after an interruption.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var card: CardSerialOption
        @OptionGroup var office: OfficeOptions
        @Option(help: "The benefit category: its code or id.") var category: String
        @Option(help: "free | discount:PCT | rides:N/day|week|month | pass:FROM..UNTIL | purse") var product = "free"
        @Option(help: "Last day the entitlement is valid, YYYY-MM-DD (default: one year from today).") var validUntil: String?

        func validate() throws {
            _ = try CardSerialOption.civilDate(validUntil, "valid-until")
            do { _ = try ProductText.parse(product) } catch { throw ValidationError(error.reason) }
        }

        func run() async throws {
            try await HromadaDesk.reportingFailures {
                let order = EntitlementOrder(category: category, product: try ProductText.parse(product), validUntil: try CardSerialOption.civilDate(validUntil, "valid-until"))
                let (serial, clerk) = (card.value, office.clerk)
                try await office.run(desk: try common.desk(), denyList: nil) { office in
                    var random = SystemRandomNumberGenerator()
                    let outcome = try await office.addEntitlement(order, serial: serial, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                    return HromadaDesk.text(outcome, office)
                }
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a benefit: validators refuse it from the given day (its slot is rewritten, not cleared).")

        @OptionGroup var common: CommonOptions
        @OptionGroup var card: CardSerialOption
        @OptionGroup var office: OfficeOptions
        @Option(help: "The entitlement's number (as read shows it).") var id: UInt32
        @Option(help: "The first day it is refused, YYYY-MM-DD (default: today).") var from: String?

        func validate() throws { _ = try CardSerialOption.civilDate(from, "from") }

        func run() async throws {
            try await HromadaDesk.reportingFailures {
                let (entitlement, endDate, serial, clerk) = (EntitlementID(id), try CardSerialOption.civilDate(from, "from"), card.value, office.clerk)
                try await office.run(desk: try common.desk(), denyList: nil) { office in
                    var random = SystemRandomNumberGenerator()
                    let outcome = try await office.endEntitlement(
                        entitlement, from: endDate, serial: serial, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                    return HromadaDesk.text(outcome, office)
                }
            }
        }
    }
}
