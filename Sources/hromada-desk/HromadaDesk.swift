// hromada-desk: the issuance desk's command line. Thin: it parses the arguments, reads the clock
// and the system's randomness, builds the `Desk` pieces and prints what they return; every rule
// lives in the Desk and SocialCard libraries.

import ArgumentParser
import Console
import Desk
import DeskOffice
import DeskRegistry
import Entitlements
import Foundation
import Identifiers
import SocialCard

@main
struct HromadaDesk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-desk",
        abstract: "Issue and read community social cards on a PC/SC reader.",
        discussion: """
            Exit status: 0 done; 64 bad arguments; 65 the card cannot be used as asked (not ours, \
            another layout or community, already issued to another serial, damaged); 66 the keys, \
            layout or categories could not be read; 69 the reader, pcscd or the accounting service is \
            unavailable; 77 the accounting service refused the operator token; 75 the \
            card left the reader mid-way (put it back and run the same command again: it resumes); \
            70 anything else.
            """,
        subcommands: [
            Issue.self, Upgrade.self, Read.self,
            Renew.self, EntitlementCommand.self, TopUp.self, Block.self, Replace.self, Return.self, Reissue.self,
            HolderCommand.self, EligibilityCommand.self, WorklistCommand.self, RegistryCommand.self, Upload.self, BatchCommand.self,
            Serve.self, StaffCommand.self,
        ])

    /// Asks the operator, on standard error, to place the card.
    static func promptForCard() {
        Console.error(PlacedCardReader.placeCardPrompt, terminator: "")
    }

    /// The clerk's words for a desk-office action: the card's summary, then what the registry recorded.
    static func text(_ outcome: DeskOfficeOutcome, _ office: DeskOffice) -> String {
        CardActionText.summary(outcome.card, categories: office.categories) + DeskOfficeText.recorded(outcome)
    }

    /// Runs `body`; a failure becomes its two-language message on standard error and its exit status.
    static func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as DeskOfficeError {
            Console.error(error.message, terminator: "")
            throw ExitCode(error.exitStatus)
        } catch let error as RegistryError {
            Console.error(error.message, terminator: "")
            throw ExitCode(error.exitStatus)
        } catch {
            let failure = DeskError(error)
            Console.error(failure.message, terminator: "")
            throw ExitCode(failure.exitStatus)
        }
    }
}

/// Options both commands take.
struct CommonOptions: ParsableArguments {
    @Option(help: "The PC/SC reader's name.") var reader: String
    @Option(help: "The community key directory (made by hromada-keys init).") var keys: String
    @Option(help: "The card layout JSON (default: the layout Communities/<community>/issuance.json names for new cards, else \(DeskSetup.defaultLayout), near the program).") var layout: String?
    @Option(help: "The benefit categories JSON (default: Communities/<community>/categories.json near the layout).") var categories: String?
    @Option(help: "Seconds to wait for a card to be placed on the reader (0: it must be there already).") var wait = 0

    /// The desk these options describe, its files loaded.
    func desk() throws -> IssuanceDesk {
        IssuanceDesk(
            setup: try DeskSetup(keys: keys, layoutPath: layout, categoriesPath: categories),
            reader: PlacedCardReader(name: reader, wait: .seconds(wait)))
    }
}

struct Issue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Personalize a blank card (or finish one whose personalization was interrupted).",
        discussion: """
            With --holder and --registry the card is issued to a registered holder: one entitlement \
            for each of their eligibilities that cover today (the product given to all), recorded \
            in the registry; run the same command again after an interruption: it finishes the \
            card and the record.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var office: OfficeOptions
    @Option(help: "The card serial, 16 hex digits (0123-4567-89AB-CDEF).") var serial: String
    @Option(help: "The benefit category: its code or id (e.g. 1 or pensioner); not with --holder.") var category: String?
    @Option(help: "With --registry: the holder's number; the categories are their eligibilities'.") var holder: Int64?
    @Option(help: "free | discount:PCT | rides:N/day|week|month | pass:FROM..UNTIL | purse") var product = "free"
    @Option(help: "Last day the entitlement is valid, YYYY-MM-DD (default: one year from today).") var validUntil: String?
    @Option(help: "Kopecks to credit to the purse.") var purse: Int32 = 0
    @Option(help: "The issuer key id (default: the directory's valid issuer key).") var issuer: String?

    func validate() throws {
        guard CardSerial(printed: serial) != nil else { throw ValidationError("--serial must be 16 hex digits, e.g. 0123-4567-89AB-CDEF") }
        if let validUntil, CivilDate(iso: validUntil) == nil { throw ValidationError("--valid-until must be a date YYYY-MM-DD") }
        guard purse >= 0 else { throw ValidationError("--purse must not be negative") }
        do { _ = try ProductText.parse(product) } catch { throw ValidationError(error.reason) }
        if holder != nil {
            guard office.registry != nil else { throw ValidationError("--holder needs --registry") }
            guard category == nil, validUntil == nil, issuer == nil else {
                throw ValidationError("--holder takes the categories and dates from the holder's eligibilities: leave out --category, --valid-until and --issuer")
            }
        } else if category == nil {
            throw ValidationError("give --category (or --holder with --registry)")
        }
    }

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let desk = try common.desk()
            let product = try ProductText.parse(product)
            let serial = CardSerial(printed: serial)!
            if let holder {
                let (order, clerk) = (HolderIssueOrder(holder: holder, serial: serial, product: product, purseKopecks: purse), office.clerk)
                try await office.run(desk: desk, denyList: nil) { office in
                    var random = SystemRandomNumberGenerator()
                    let outcome = try await office.issue(order, clerk: clerk, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random)
                    return HromadaDesk.text(outcome, office)
                }
                return
            }
            let order = IssueOrder(
                serial: serial, category: category ?? "", product: product,
                validUntil: validUntil.flatMap { CivilDate(iso: $0) }, purseKopecks: purse, issuer: issuer)
            var random = SystemRandomNumberGenerator()
            print(try await desk.issue(order, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random), terminator: "")
        }
    }
}

struct Upgrade: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a card to the desk's layout (default: the community's layout for new cards), keeping its purse, counter, entitlements and trip log; run again after an interruption.")

    @OptionGroup var common: CommonOptions
    @Option(help: "The card's present layout JSON (default: \(DeskSetup.defaultLayout) near the program).") var from: String?

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let desk = try common.desk()
            let former = try DeskSetup.layout(at: from ?? DeskPaths.nearProgram(DeskSetup.defaultLayout))
            var random = SystemRandomNumberGenerator()
            print(try await desk.upgrade(from: former, now: UnixTime(Date()), waiting: HromadaDesk.promptForCard, using: &random), terminator: "")
        }
    }
}

struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print what is on a card, with each entitlement's verdict (--dispute: the printable statement for a dispute).")

    @OptionGroup var common: CommonOptions
    @Flag(help: "Print the statement for a dispute: every line in Ukrainian with English beside, counters and the whole trip log.") var dispute = false
    @Option(help: "With --dispute: the desk's name printed on the statement.") var desk = "ЦНАП"

    func run() async throws {
        try await HromadaDesk.reportingFailures {
            let issuanceDesk = try common.desk()
            var random = SystemRandomNumberGenerator()
            print(try await issuanceDesk.read(now: UnixTime(Date()), dispute: dispute ? desk : nil, waiting: HromadaDesk.promptForCard, using: &random), terminator: "")
        }
    }
}
