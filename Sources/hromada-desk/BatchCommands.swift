import ArgumentParser
import Console
import Desk
import DeskOffice
import DeskRecords
import Entitlements
import Foundation
import Identifiers
import SocialCard

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batch", abstract: "Issue many cards from a file.", subcommands: [BatchIssue.self])
}

struct BatchIssue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a card to each person of a CSV file (a school's students), showing progress; run again to finish: cards already issued are skipped.",
        discussion: """
            Columns (header in Ukrainian or English, any order, ; or ,): full_name, date_of_birth, \
            document_type, document_number, category, valid_until (may be empty), and optionally \
            card_serial (else --first-serial numbers the cards in file order) and address. Each person \
            is found by their document or registered, their eligibility recorded, then their card \
            issued: place each blank card when asked. A card that fails is reported with the reason \
            and the batch goes on; the exit status is 0 only when every card is issued.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var office: OfficeOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The first card's serial, when the file has no card_serial column.") var firstSerial: String?
    @Option(help: "free | discount:PCT | rides:N/day|week|month | pass:FROM..UNTIL | purse") var product = "free"
    @Option(help: "The address registered for people the file gives none (e.g. the school's).") var address = "адресу не вказано"
    @Option(help: "The signed consent form covering the batch (e.g. the school's list of parents' consents).") var consent: String?
    @Option(help: "The evidence recorded with each eligibility (default: the file's name).") var evidence: String?

    func validate() throws {
        guard office.registry != nil else { throw ValidationError("batch issue needs --registry") }
        if let firstSerial, CardSerial(printed: firstSerial) == nil { throw ValidationError("--first-serial must be 16 hex digits") }
        do { _ = try ProductText.parse(product) } catch { throw ValidationError(error.reason) }
    }

    func run() async throws {
        var failed = 0
        try await HromadaDesk.reportingFailures {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw DeskError(.filesUnreadable, ukrainian: "не вдалося прочитати файл \(file)", english: "cannot read the file \(file)")
            }
            let rows = try BatchIssueFile.parse([UInt8](data), firstSerial: firstSerial.flatMap { CardSerial(printed: $0) })
            let desk = try common.desk()
            let swapWait = max(desk.reader.wait, .seconds(60))
            let batchDesk = IssuanceDesk(setup: desk.setup, reader: PlacedCardReader(name: desk.reader.name, wait: swapWait))
            let (product, address, consent, clerk) = (try ProductText.parse(product), address, consent, office.clerk)
            let evidence = evidence ?? "пакетна видача / batch: \(URL(fileURLWithPath: file).lastPathComponent)"
            failed = try await office.run(desk: batchDesk, denyList: nil) { office in
                var random = SystemRandomNumberGenerator()
                var cardOnReader = false
                let results = try await office.issueBatch(
                    rows, product: product, defaultAddress: address, consentFormReference: consent, evidence: evidence, clerk: clerk, now: UnixTime(Date()),
                    placeCard: { row, index in
                        if cardOnReader {
                            try await office.desk.reader.waitForRemoval { Console.error("Заберіть картку / Take the card away\n", terminator: "") }
                        }
                        cardOnReader = true
                        Console.error("[\(index)/\(rows.count)] Покладіть чисту картку для \(row.serial) / Place a blank card for \(row.serial)\n", terminator: "")
                    },
                    progress: { step in
                        let line: String
                        switch step.status {
                        case .issued: line = "видано / issued"
                        case .alreadyIssued: line = "вже видано раніше, пропущено / already issued, skipped"
                        case .failed(let reason): line = "НЕ видано / NOT issued: \(reason)"
                        }
                        print("[\(step.index)/\(step.total)] рядок / line \(step.line), картка / card \(step.serial): \(line)")
                    },
                    using: &random)
                let issued = results.filter { $0.status == .issued }.count
                let skipped = results.filter { $0.status == .alreadyIssued }.count
                let failures = results.count - issued - skipped
                let total = "Разом / Total: видано / issued \(issued), пропущено / skipped \(skipped), не видано / failed \(failures) з / of \(results.count)\n"
                return (total, failures)
            }
        }
        if failed > 0 { throw ExitCode(65) }
    }
}
