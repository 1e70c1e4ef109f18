import ArgumentParser
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
}

struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect, verify and export a validator's ledger.",
        subcommands: [Verify.self, Export.self, Show.self])
}

/// Exit codes scripts can rely on: 0 intact, 1 tampered or broken, 2 cannot read.
enum ExitStatus {
    static let broken = ExitCode(1)
    static let unreadable = ExitCode(2)
}

struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The ledger database file.")
    var db: String

    /// Opens the ledger read-only, or prints why not (Ukrainian, then English) and exits 2.
    func openForReading() throws -> LedgerStore {
        guard FileManager.default.fileExists(atPath: db) else {
            printError("Файл журналу не знайдено / Ledger file not found: \(db)")
            throw ExitStatus.unreadable
        }
        do {
            return try LedgerStore(readingAt: db)
        } catch let error as LedgerStoreError {
            printError("\(error.operatorMessage): \(error)")
            throw ExitStatus.unreadable
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Reads a device public key: 64 hex digits, or a file holding them (`*.pub`) or 32 raw bytes.
func parsePublicKey(_ text: String) throws -> Curve25519.Signing.PublicKey {
    var bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines))
    if bytes == nil, let contents = FileManager.default.contents(atPath: text) {
        let asText = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        bytes = Hex.decode(asText) ?? (contents.count == 32 ? Array(contents) : nil)
    }
    guard let bytes, bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
        throw ValidationError("--device-key: not a 32-byte Ed25519 public key in hex, nor a file holding one")
    }
    return key
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the hash chain and signed checkpoints; exit 0 when intact, 1 at the first bad entry.")
    @OptionGroup var database: DatabaseOption
    @Option(name: .long, help: "The device public key to trust: 64 hex digits or a file (default: the key recorded in the ledger).")
    var deviceKey: String?

    func run() async throws {
        let key = try deviceKey.map(parsePublicKey)
        let store = try database.openForReading()
        let verification: LedgerVerification
        do {
            verification = try store.verify(devicePublicKey: key)
        } catch let error as LedgerStoreError {
            printError("\(error.operatorMessage): \(error)")
            throw ExitStatus.unreadable
        }
        switch verification {
        case .intact(let summary):
            print(LedgerReport.intact(summary, keyGiven: key != nil))
        case .broken(let fault):
            print(LedgerReport.broken(fault))
            throw ExitStatus.broken
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
        var output = BufferedOutput()
        do {
            try LedgerExporter.export(store, format: format, from: from) { output.line($0) }
        } catch let error as LedgerStoreError {
            output.flush()
            printError("\(error.operatorMessage): \(error)")
            throw ExitStatus.unreadable
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
            printError("\(error.operatorMessage): \(error)")
            throw ExitStatus.unreadable
        }
    }
}

/// Collects output and writes it in large blocks (an export can be millions of lines).
struct BufferedOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func line(_ text: String) { write(text + "\n") }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
