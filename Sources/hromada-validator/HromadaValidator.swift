import ArgumentParser
import Console
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import LedgerStore
import Tariff
import Validator

import Foundation

/// `hromada-validator`: the bus validator daemon (`run`) and its ledger tools.
///
/// Thin: parses arguments, opens the store, calls `Validator`/`LedgerStore`/`LedgerCore`, prints.
@main
struct HromadaValidator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-validator",
        abstract: "The HromadaCard bus validator.",
        subcommands: [Ledger.self, Run.self])

    /// Exit status of the ledger tools when the ledger is tampered with or broken (0 is intact).
    static let broken = ExitCode(1)
    /// Exit status of the ledger tools when the ledger cannot be read at all.
    static let unreadable = ExitCode(2)
}

struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect, verify and export a validator's ledger.",
        subcommands: [Verify.self, Export.self, Show.self])
}

struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The ledger database file.")
    var db: String

    /// Opens the ledger read-only, or prints why not (Ukrainian, then English) and exits 2.
    func openForReading() throws -> LedgerStore {
        guard FileManager.default.fileExists(atPath: db) else {
            Console.error("Файл журналу не знайдено / Ledger file not found: \(db)")
            throw HromadaValidator.unreadable
        }
        do {
            return try LedgerStore(readingAt: db)
        } catch let error as LedgerStoreError {
            Console.error("\(error.operatorMessage): \(error)")
            throw HromadaValidator.unreadable
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the hash chain, signed checkpoints and receipts; exit 0 when intact, 1 at the first bad entry.")
    @OptionGroup var database: DatabaseOption
    @Option(
        name: .long,
        help: "The device key to trust: 64 hex digits, a file holding them, or the device's certificate file (default: the key recorded in the ledger).")
    var deviceKey: String?
    @Option(name: .long, help: "The community root public key file (root.pub): checks the --device-key certificate's root signature, role and validity.")
    var rootKey: String?
    @Option(name: .long, help: "The community trust bundle: the device's certificate and the accounting certificate are taken from it (needs --root-key).")
    var trustBundle: String?
    @Option(name: .long, help: "The device the ledger must belong to (with --trust-bundle; default: the id recorded in the ledger).")
    var deviceID: UInt32?

    func run() async throws {
        if let trustBundle {
            // The auditor's form: the keys come from the community's trust, found by device id.
            guard let rootKey else { throw ValidationError("--trust-bundle needs --root-key (the pinned community root public key)") }
            guard deviceKey == nil else { throw ValidationError("give either --trust-bundle or --device-key, not both") }
            let root: SigningPublicKey
            do {
                root = try ValidatorSetup.loadRootPublicKey(rootKey).1
            } catch {
                throw ValidationError("--root-key: \(error)")
            }
            guard let bytes = FileManager.default.contents(atPath: trustBundle) else {
                throw ValidationError("--trust-bundle: cannot read \(trustBundle)")
            }
            let store = try database.openForReading()
            let outcome: (report: String, intact: Bool)
            do {
                outcome = try LedgerAudit.verify(store, trustBundle: Array(bytes), rootPublicKey: root, deviceID: deviceID.map(DeviceID.init))
            } catch let error as LedgerStoreError {
                Console.error("\(error.operatorMessage): \(error)")
                throw HromadaValidator.unreadable
            }
            print(outcome.report)
            if !outcome.intact { throw HromadaValidator.broken }
            return
        }
        let resolved = try deviceKey.map { text in
            guard let resolved = DevicePublicKeyText.resolve(text) else {
                throw ValidationError("--device-key: not a 32-byte Ed25519 public key in hex, a file holding one, nor a certificate file")
            }
            return resolved
        }
        var trustLines: [String] = []
        if let certificate = resolved?.certificate {
            let root = try rootKey.map { path in
                do {
                    return try ValidatorSetup.loadRootPublicKey(path).1
                } catch {
                    throw ValidationError("--root-key: \(error)")
                }
            }
            let check = DevicePublicKeyText.checkCertificate(certificate, rootPublicKey: root, now: UnixTime(Date()))
            guard check.passed else {
                Console.error(check.lines.joined(separator: "\n"))
                throw HromadaValidator.broken
            }
            trustLines += check.lines
        }
        let key = resolved?.key
        let store = try database.openForReading()
        if let named = resolved?.certificate?.deviceID, named != store.deviceID {
            print("Сертифікат пристрою \(named), а журнал пристрою \(store.deviceID) / The certificate names device \(named), the ledger is device \(store.deviceID)'s")
            throw HromadaValidator.broken
        }
        let verification: LedgerVerification
        do {
            verification = try store.verify(devicePublicKey: key)
        } catch let error as LedgerStoreError {
            Console.error("\(error.operatorMessage): \(error)")
            throw HromadaValidator.unreadable
        }
        switch verification {
        case .intact(let summary):
            print(LedgerReport.intact(summary, keyGiven: key != nil, trustLines: trustLines))
        case .broken(let fault):
            print(LedgerReport.broken(fault))
            throw HromadaValidator.broken
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the ledger as JSON lines (with canonical bytes, for auditors) or CSV (for spreadsheets).")
    @OptionGroup var database: DatabaseOption
    @Option(name: .long, help: "jsonl or csv.") var format: LedgerExporter.Format
    @Option(name: .long, help: "The first sequence number to export.") var from: UInt64 = 0

    func run() async throws {
        let store = try database.openForReading()
        var output = Console.BufferedOutput()
        do {
            try LedgerExporter.export(store, format: format, from: from) { output.line($0) }
        } catch let error as LedgerStoreError {
            output.flush()
            Console.error("\(error.operatorMessage): \(error)")
            throw HromadaValidator.unreadable
        }
        output.flush()
    }
}

extension LedgerExporter.Format: ExpressibleByArgument {}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the ledger's state and its last entries.")
    @OptionGroup var database: DatabaseOption
    @Option(name: .long, help: "How many of the last entries to show.") var last: Int = 20

    func run() async throws {
        let store = try database.openForReading()
        do {
            print(LedgerReport.header(store: store, entryCount: try store.entryCount(), start: try store.chainStart()))
            for entry in try store.lastEntries(last) { print(LedgerReport.line(entry)) }
        } catch let error as LedgerStoreError {
            Console.error("\(error.operatorMessage): \(error)")
            throw HromadaValidator.unreadable
        }
    }
}
