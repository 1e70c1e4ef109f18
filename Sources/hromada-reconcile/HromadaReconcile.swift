import AccountingCore
import AccountingStore
import ArgumentParser
import CommunityKeys
import Entitlements
import Identifiers
import Logging
import ReconcileTool
import Reconciliation

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `hromada-reconcile`: the finance officer's monthly compensation, integrity exceptions, acts
/// of reconciliation and month closing (docs/reconcile-tool.md).
///
/// Thin: parses arguments, reads the clock (only here), opens the store or the export
/// directory, and calls `ReconcileTool`.
@main
struct HromadaReconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-reconcile",
        abstract: "Monthly carrier compensation with proof: report, close a month, payments, carrier claims, an auditor's export.",
        subcommands: [Report.self, Close.self, Payment.self, Claim.self, Export.self])

    /// The wall clock, read only here.
    static func now() -> UnixTime { UnixTime(Date()) }
}

struct PeriodOptions: ParsableArguments {
    @Option(help: "A calendar month in Kyiv time, YYYY-MM.") var month: String?
    @Option(help: "The first local day, YYYY-MM-DD (with --to).") var from: String?
    @Option(help: "The last local day, YYYY-MM-DD (with --from).") var to: String?
    @Option(help: "Days without entries after which an assigned device is reported silent.") var silentDays: Int = 3

    func period() throws -> ReportingPeriod {
        switch (month, from, to) {
        case (.some(let month), nil, nil): return try ReportingPeriod(month: month)
        case (nil, .some(let from), .some(let to)):
            guard let first = CivilDate(iso: from), let last = CivilDate(iso: to) else { throw ValidationError("--from/--to are YYYY-MM-DD") }
            return try ReportingPeriod(from: first, through: last)
        default: throw ValidationError("give --month YYYY-MM, or --from and --to")
        }
    }

    /// The rules' options; silence in a month not over yet is measured up to now.
    var options: ReconciliationOptions { ReconciliationOptions(silentDeviceDays: silentDays, asOf: UnixTime(Date())) }
}

struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
    var db: String?

    func location() throws -> StorageLocation {
        guard let db, let location = StorageLocation(db) else { throw ValidationError("--db: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE") }
        return location
    }

    func withStorage<Result>(_ body: (any AccountingStorage) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "hromada.reconcile")
        logger.logLevel = .error
        return try await location().withStorage(logger: logger, body)
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile a period from the accounting database or an auditor's export directory, and write the report files.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "An auditor's export directory (hromada-reconcile export) instead of --db.") var exports: String?
    @Option(help: "The signed bundles beside --exports.") var bundles: String?
    @OptionGroup var period: PeriodOptions
    @Option(help: "Imported carrier claims (hromada-reconcile claim import).") var claims: String?
    @Option(help: "Where to write the report files.") var out: String
    @Option(help: "The community key directory: its finance key signs the report's manifest.json (none without it).") var keys: String?
    @OptionGroup var scratchOption: ScratchOption

    func run() async throws {
        let period = try period.period()
        let directory = try keys.map { try CommunityDirectory(opening: $0) }
        let finance = try directory?.currentKey(role: .finance)
        let claims = try ClaimDirectory.claims(in: claims, period: period)
        let report: ReconciliationReport
        let loaded: LoadedInput
        switch (database.db, exports) {
        case (.some, nil):
            // Streamed device by device, so a month of millions of entries is never in memory at once.
            (report, loaded) = try await database.withStorage {
                try await StoreInput.reconcile(from: $0, period: period, options: self.period.options, claims: claims, scratch: scratchOption.scratch)
            }
        case (nil, .some(let exports)):
            guard let bundles else { throw ValidationError("--exports needs --bundles") }
            // Streamed device file by device file, as from the database.
            (report, loaded) = try ExportDirectory.reconcile(
                directory: exports, bundles: bundles, period: period, options: self.period.options, claims: claims, scratch: scratchOption.scratch)
        default:
            throw ValidationError("give --db, or --exports with --bundles")
        }
        let run = try ReportRun.run(
            report, loaded: loaded, writingTo: out, community: directory?.community ?? "", financeKey: finance?.key.privateKey, generatedAt: HromadaReconcile.now())
        print(run.summary(outputDirectory: out), terminator: "")
    }
}

struct Close: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Close a month: its report is frozen at the heads held now, in a closing record signed by the finance key.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The month, YYYY-MM.") var month: String
    @Option(help: "The community key directory holding a finance key (hromada-keys finance add).") var keys: String
    @Option(help: "Imported carrier claims.") var claims: String?
    @Option(help: "Where to write the final report files.") var out: String
    @OptionGroup var scratchOption: ScratchOption

    func run() async throws {
        let period = try ReportingPeriod(month: month)
        let directory = try CommunityDirectory(opening: keys)
        let finance = try directory.currentKey(role: .finance)
        let claims = try ClaimDirectory.claims(in: claims, period: period)
        let (run, close) = try await database.withStorage { storage in
            try await MonthClosing.close(
                period, in: storage, community: directory.community, financeKey: finance.key.privateKey, financeKeyID: finance.key.keyID,
                now: HromadaReconcile.now(), claims: claims, writingTo: out, scratch: scratchOption.scratch)
        }
        print("Місяць \(period.label) закрито \(close.closedAt); запис підписано ключем фінансиста \(finance.key.keyID).")
        print(run.summary(outputDirectory: out), terminator: "")
    }
}

/// Where the card pass keeps the month's card facts until their turn (docs/reconcile-tool.md).
struct ScratchOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A directory for the card pass's scratch files (a month of ten million entries needs about 550 MB; removed after).",
            discussion: "Default: TMPDIR, else /var/tmp."))
    var scratch: String?
}

struct Payment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Payments to carriers.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a payment to a carrier.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "The carrier's number.") var carrier: UInt32
        @Option(help: "The payment order's date, YYYY-MM-DD.") var date: String
        @Option(help: "The amount in hryvnias, e.g. 12345,67.") var amount: String
        @Option(help: "The payment order's number.") var reference: String

        func run() async throws {
            guard let day = CivilDate(iso: date) else { throw ValidationError("--date is YYYY-MM-DD") }
            guard let kopecks = HryvniaAmount.kopecks(amount) else {
                throw ValidationError("--amount: hryvnias, e.g. 12345,67")
            }
            let payment = CarrierPayment(carrier: CarrierID(rawValue: carrier), paidOn: day, amountKopecks: kopecks, reference: reference)
            try await database.withStorage { try await $0.addCarrierPayment(payment) }
            print("Платіж перевізнику \(carrier) від \(day): \(Money.hryvnias(kopecks)), \(reference).")
        }
    }
}

struct Claim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Carriers' own monthly claims.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a carrier's claim CSV (route;date;category;rides;amount) and keep it for the month's act of reconciliation.")
        @Option(help: "The carrier's number.") var carrier: UInt32
        @Option(help: "The month the claim is for, YYYY-MM.") var month: String
        @Option(help: "Where imported claims are kept (give the same to report and close).") var claims: String
        @Argument(help: "The claim file.") var file: String

        func run() async throws {
            let period = try ReportingPeriod(month: month)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            let lines = try ClaimDirectory.importClaim(bytes, carrier: CarrierID(rawValue: carrier), period: period, into: claims)
            let total = lines.reduce(Int64(0)) { $0 + $1.amountKopecks }
            print("Претензію перевізника \(carrier) за \(period.label) прийнято: \(lines.count) рядків, \(Money.hryvnias(total)).")
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an auditor's directory (exported ledgers, alarms, closings, reference data) and the signed bundles, to report without the database.")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var period: PeriodOptions
    @Option(help: "The export directory.") var out: String
    @Option(help: "Where to write the signed bundles.") var bundles: String

    func run() async throws {
        let period = try period.period()
        try await database.withStorage { try await ExportDirectory.write(from: $0, period: period, to: out, bundles: bundles) }
        print("Експорт для аудитора: \(out) (пакети: \(bundles))")
    }
}
