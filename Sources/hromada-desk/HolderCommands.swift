import ArgumentParser
import DeskRegistry
import Entitlements
import Foundation
import Identifiers

struct HolderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holder", abstract: "Register, find, show and erase holders in the desk registry.",
        subcommands: [HolderAdd.self, HolderFind.self, HolderShow.self, HolderErase.self])
}

struct HolderAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a person (with their consent to processing).")

    @OptionGroup var options: RegistryOptions
    @Option(help: "Full name as in the document (surname, given name, patronymic).") var name: String
    @Option(help: "Date of birth, YYYY-MM-DD.") var birth: String
    @Option(help: "Address in the community.") var address: String
    @Option(help: "passport | id-card | birth-certificate | residence-permit | other") var documentType: String
    @Option(help: "The document's number (stored encrypted).") var documentNumber: String
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "The signed consent form's reference.") var consentForm: String?

    func run() async throws {
        let (name, birth, address, documentType, documentNumber, phone, consentForm, clerk) =
            (self.name, self.birth, self.address, self.documentType, self.documentNumber, phone, consentForm, options.clerk)
        try await options.run { registry, text in
            guard let type = DocumentType(text: documentType) else {
                throw RegistryError(.invalidRequest, ukrainian: "невідомий тип документа «\(documentType)»", english: "unknown document type \(documentType)")
            }
            let now = UnixTime(Date())
            let details = try HolderDetails(
                fullName: name, dateOfBirth: try RegistryInput.date(birth, field: "--birth"), address: address,
                document: try IdentityDocument(type: type, number: documentNumber), phone: phone, today: TimeZoneRule.europeKyiv.local(at: now).date)
            return text.holderAdded(try await registry.addHolder(details, consentFormReference: consentForm, clerk: clerk, at: now))
        }
    }
}

struct HolderFind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "find", abstract: "Find holders by name, date of birth, card serial or document.")

    @OptionGroup var options: RegistryOptions
    @Option(help: "Words of the name (any order, beginnings suffice; case and apostrophes ignored).") var name: String?
    @Option(help: "Date of birth, YYYY-MM-DD.") var birth: String?
    @Option(help: "A card serial, 0123-4567-89AB-CDEF.") var card: String?
    @Option(help: "Document type (with --document-number).") var documentType: String?
    @Option(help: "Document number.") var documentNumber: String?
    @Option(help: "Result page, from 1.") var page = 1
    @Option(help: "Results per page (1–200).") var perPage = 20

    func run() async throws {
        let (name, birth, card, documentType, documentNumber, page, perPage) = (self.name, self.birth, self.card, self.documentType, self.documentNumber, self.page, self.perPage)
        try await options.run { registry, text in
            var query = HolderQuery(name: name)
            if let birth { query.dateOfBirth = try RegistryInput.date(birth, field: "--birth") }
            if let card {
                guard let serial = CardSerial(printed: card) else {
                    throw RegistryError(.invalidRequest, ukrainian: "--card: номер картки — 16 шістнадцяткових цифр", english: "--card: a serial is 16 hex digits")
                }
                query.cardSerial = serial
            }
            if let documentNumber {
                guard let type = DocumentType(text: documentType ?? "passport") else {
                    throw RegistryError(.invalidRequest, ukrainian: "невідомий тип документа", english: "unknown document type")
                }
                query.document = try IdentityDocument(type: type, number: documentNumber)
            }
            guard page >= 1 else { throw RegistryError(.invalidRequest, ukrainian: "--page від 1", english: "--page starts at 1") }
            return text.searchPage(try await registry.search(query, offset: (page - 1) * perPage, limit: perPage))
        }
    }
}

struct HolderShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a holder: the person, consent, eligibilities, cards.")

    @OptionGroup var options: RegistryOptions
    @Argument(help: "The holder's number.") var id: Int64

    func run() async throws {
        let id = self.id
        try await options.run { registry, text in
            guard let record = try await registry.holder(id) else {
                throw RegistryError(.notFound, ukrainian: "особи №\(id) немає в реєстрі", english: "there is no holder #\(id)")
            }
            return text.holder(record)
        }
    }
}

struct HolderErase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase", abstract: "Erase a person's data (on request, or --due: everyone past the retention period); the card history stays.")

    @OptionGroup var options: RegistryOptions
    @Argument(help: "The holder's number (omit with --due).") var id: Int64?
    @Option(help: "Why (recorded in the journal): request, death, …") var reason = "request"
    @Flag(help: "Erase everyone whose retention period has passed.") var due = false
    @Option(help: "Retention: years after the last card ended.") var retentionYears = 5

    func validate() throws {
        guard (id == nil) == due else { throw ValidationError("give a holder number or --due, not both") }
        guard retentionYears >= 0 else { throw ValidationError("--retention-years must not be negative") }
    }

    func run() async throws {
        let (id, reason, due, years, clerk) = (self.id, self.reason, self.due, retentionYears, options.clerk)
        try await options.run { registry, text in
            let now = UnixTime(Date())
            let ids =
                due
                ? try await registry.holdersDueForErasure(RetentionPolicy(years: years), today: TimeZoneRule.europeKyiv.local(at: now).date) : [id!]
            for holder in ids { try await registry.erase(holder, reason: due ? "retention \(years) years" : reason, clerk: clerk, at: now) }
            return text.erased(ids)
        }
    }
}
