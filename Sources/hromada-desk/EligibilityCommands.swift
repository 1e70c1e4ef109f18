import ArgumentParser
import DeskRegistry
import Entitlements
import Foundation

struct EligibilityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eligibility", abstract: "Record, end and import holders' benefit eligibilities.",
        subcommands: [EligibilityAdd.self, EligibilityEnd.self, EligibilityImport.self])
}

struct EligibilityAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Record an eligibility whose evidence the clerk saw.")

    @OptionGroup var options: RegistryOptions
    @Option(help: "The holder's number.") var holder: Int64
    @Option(help: "The benefit category: its code, or its id with --categories.") var category: String
    @Option(help: "The evidence document (e.g. pension certificate and its number).") var evidence: String
    @Option(help: "First day, YYYY-MM-DD (default: today).") var from: String?
    @Option(help: "Last day, YYYY-MM-DD (default: no end).") var until: String?

    func run() async throws {
        let (holder, category, evidence, from, until, clerk, categoriesPath) = (self.holder, self.category, self.evidence, self.from, self.until, options.clerk, options.categories)
        try await options.run { registry, text in
            guard let code = RegistryInput.category(category, in: try RegistryInput.categories(categoriesPath)) else {
                throw RegistryError(.invalidRequest, ukrainian: "невідома категорія «\(category)»", english: "unknown category \(category)")
            }
            let now = UnixTime(Date())
            let terms = try EligibilityTerms(
                category: code, evidence: evidence, validFrom: try from.map { try RegistryInput.date($0, field: "--from") } ?? TimeZoneRule.europeKyiv.local(at: now).date,
                validUntil: try until.map { try RegistryInput.date($0, field: "--until") })
            return text.eligibilityAdded(try await registry.addEligibility(terms, to: holder, clerk: clerk, at: now), holder: holder)
        }
    }
}

struct EligibilityEnd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "end", abstract: "End an eligibility on a given last day.")

    @OptionGroup var options: RegistryOptions
    @Argument(help: "The eligibility's number.") var id: Int64
    @Option(help: "Its last day, YYYY-MM-DD (default: yesterday, so it no longer covers today).") var lastDay: String?

    func run() async throws {
        let (id, lastDay, clerk) = (self.id, self.lastDay, options.clerk)
        try await options.run { registry, text in
            let now = UnixTime(Date())
            let day = try lastDay.map { try RegistryInput.date($0, field: "--last-day") } ?? TimeZoneRule.europeKyiv.local(at: now).date.adding(days: -1)
            try await registry.endEligibility(id, lastDay: day, clerk: clerk, at: now)
            return text.eligibilityEnded(id, lastDay: day)
        }
    }
}

struct EligibilityImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a social-protection registry export (CSV): shows new, changed and lapsed eligibilities and stores them.")

    @OptionGroup var options: RegistryOptions
    @Argument(help: "The CSV file (UTF-8, ; or , separated, with a header).") var file: String
    @Flag(help: "Only show what the import would change; store nothing.") var dryRun = false

    func run() async throws {
        let (file, dryRun, clerk, categoriesPath) = (self.file, self.dryRun, options.clerk, options.categories)
        try await options.run { registry, text in
            let now = UnixTime(Date())
            let today = TimeZoneRule.europeKyiv.local(at: now).date
            let categories = try RegistryInput.categories(categoriesPath)
            let (bytes, digest) = try RegistryInput.importFile(file)
            let lines = try EligibilityCSV.parse(bytes, importDay: today) { RegistryInput.category($0, in: categories) }
            if dryRun { return text.importResult(try await registry.previewImport(lines, today: today), appliedAs: nil) }
            let applied = try await registry.applyImport(lines, fileDigest: digest, today: today, clerk: clerk, at: now)
            return text.importResult(applied.preview, appliedAs: applied.importID)
        }
    }
}

struct WorklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist", abstract: "The renewal worklist: cards whose benefit lapsed or lapses soon, or whose entitlement ends soon.")

    @OptionGroup var options: RegistryOptions
    @Option(help: "Days ahead to look.") var days = 30
    @Option(help: "The day to list for, YYYY-MM-DD (default: today).") var today: String?

    func validate() throws {
        guard (0...3660).contains(days) else { throw ValidationError("--days must be 0 to 3660") }
    }

    func run() async throws {
        let (days, todayText) = (self.days, self.today)
        try await options.run { registry, text in
            let today = try todayText.map { try RegistryInput.date($0, field: "--today") } ?? TimeZoneRule.europeKyiv.local(at: UnixTime(Date())).date
            return text.worklist(try await registry.worklist(today: today, horizonDays: days), today: today, horizonDays: days)
        }
    }
}
