import ArgumentParser
import Console
import Desk
import DeskOffice
import Entitlements
import Foundation
import Identifiers
import SocialCard

struct Replace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue a new card in place of an old one: entitlements re-issued, balance moved, the old card blocked and deny-listed as replaced.",
        discussion: """
            With the old card: place it first (it is read and blocked), then the new card. With \
            --old-card-lost the balance is the old card's last uploaded ledger entry and the benefit \
            is given as for issue. Run the same command again after any interruption; placing the \
            new card when it is already issued only finishes the deny-list report.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var accounting: AccountingOptions
    @OptionGroup var office: OfficeOptions
    @Option(help: "The old card's serial.") var oldSerial: String
    @Option(help: "The new card's serial.") var serial: String
    @Flag(help: "The old card is lost: take its balance from the accounting service.") var oldCardLost = false
    @Option(help: "With --old-card-lost: the benefit category (code or id).") var category: String?
    @Option(help: "With --old-card-lost: the product.") var product = "free"
    @Option(help: "With --old-card-lost: the benefit's last day, YYYY-MM-DD.") var validUntil: String?

    func validate() throws {
        guard CardSerial(printed: oldSerial) != nil, CardSerial(printed: serial) != nil else { throw ValidationError("--old-serial and --serial must be 16 hex digits") }
        if oldCardLost {
            guard accounting.accounting != nil else { throw ValidationError("--old-card-lost needs --accounting (the old card's ledger entries)") }
            guard category != nil || office.registry != nil else {
                throw ValidationError("--old-card-lost needs --category (the benefit to re-issue) or --registry (the benefits recorded on the old card)")
            }
        }
        _ = try CardSerialOption.civilDate(validUntil, "valid-until")
        do { _ = try ProductText.parse(product) } catch { throw ValidationError(error.reason) }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let desk = try common.desk()
            let order = ReplacementOrder(oldSerial: CardSerial(printed: oldSerial)!, newSerial: CardSerial(printed: serial)!)
            let client = try accounting.client()
            let now = UnixTime(Date())
            var lostCardEntitlements: [EntitlementTerms]?
            if oldCardLost, let category {
                let today = IssuancePolicy.timeZone.local(at: now).date
                let productValue = try ProductText.parse(product)
                let dates = IssuancePolicy.dates(for: productValue, requestedUntil: try CardSerialOption.civilDate(validUntil, "valid-until"), today: today)
                let code = try IssuancePolicy.category(category, in: desk.setup.categories).code
                let issuer = try desk.setup.directory.issuerKey(nil, now: now)
                lostCardEntitlements = [
                    EntitlementTerms(
                        id: IssuancePolicy.firstEntitlementID, cardSerial: order.oldSerial, layoutVersion: LayoutVersion(UInt16(desk.setup.layout.layout.version)),
                        category: code, product: productValue, validFrom: dates.validFrom, validUntil: dates.validUntil, issuerKeyID: issuer.keyID),
                ]
            }
            let (lost, clerk, terms) = (oldCardLost, office.clerk, lostCardEntitlements)
            try await office.run(desk: desk, denyList: client) { office in
                var random = SystemRandomNumberGenerator()
                let prompts = ReplacementPrompts(
                    placeOld: { Console.error("Покладіть СТАРУ картку \(order.oldSerial) / Place the OLD card \(order.oldSerial)\n", terminator: "") },
                    takeOldAway: { Console.error("Заберіть стару картку / Take the old card away\n", terminator: "") },
                    placeNew: { Console.error("Покладіть НОВУ картку \(order.newSerial) / Place the NEW card \(order.newSerial)\n", terminator: "") })
                let outcome = try await office.replace(
                    order, oldCardLost: lost, lostCardEntitlements: terms, prompts: prompts, clerk: clerk, now: now, waiting: HromadaDesk.promptForCard,
                    using: &random)
                return HromadaDesk.text(outcome, office)
            }
            if client == nil {
                Console.error("увага: стару картку не передано до стоп-списку (немає --accounting); повторіть команду з --accounting\nwarning: the old card was not reported for the deny list (no --accounting); run the command again with --accounting\n", terminator: "")
            }
        }
    }
}
