import Foundation
import ArgumentParser

/// `hromada-bench`: release-build benchmarks, each printed beside its baseline from the same run.
@main
struct HromadaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-bench",
        abstract: "Measures HromadaCard beside raw baselines (run a release build).",
        subcommands: [Decision.self, Card.self, Ledger.self, Accounting.self, Tap.self, DeskActions.self]
    )

    struct Decision: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tap decisions with two entitlement signatures checked, beside raw Ed25519 verification.")
        @Option(help: "Timed iterations.") var iterations = 20_000

        func run() throws {
            try DecisionBenchmark.run(iterations: iterations)
        }
    }

    struct Card: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "APDU round trip and a DESFire tap through pcscd and a virtual card.")
        @Option(help: "Timed echo round trips (taps: a tenth of this).") var iterations = 5_000

        func run() async throws {
            try await CardBenchmark.run(iterations: iterations)
        }
    }

    struct Ledger: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Durable ledger appends beside raw SQLite inserts; chain verification of a large ledger.")
        @Option(help: "Durable appends to time (and as many raw inserts).") var appends = 2_000
        @Option(help: "Entries in the ledger whose chain is verified.") var verifyEntries = 1_000_000

        func run() throws {
            try LedgerBenchmark.run(appends: appends, verifyEntries: verifyEntries)
        }
    }

    struct Accounting: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Batches ingested over HTTP with all verification from 1, 4 and 10 devices at once, beside raw bulk inserts (SQLite; PostgreSQL when HROMADA_POSTGRES_URL is set).")
        @Option(help: "Entries to ingest a run, in batches of 1000, shared by the devices.") var entries = 100_000
        @Option(help: "Devices uploading at once, one run each (comma-separated).") var devices = "1,4,10"
        @Option(help: "Directory for the SQLite files: put it on a real disk, not a tmpfs, to measure durable writes.")
        var directory = ".build/bench-accounting"

        func run() async throws {
            let url = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"]
            let counts = devices.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            try await AccountingBenchmark.run(
                entries: entries, deviceCounts: counts.isEmpty ? [1] : counts, directory: directory,
                postgresURL: url?.isEmpty == false ? url : nil)
        }
    }

    struct Tap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The validator's tap through pcscd: APDUs, bytes, latency, taps/s, beside the raw APDU round trip.")
        @Option(help: "Timed taps with the card in the field.") var iterations = 300
        @Option(help: "Card insertions timed from pcscd's report to the decision.") var insertions = 60

        func run() async throws {
            try await TapBenchmark.run(iterations: iterations, insertions: insertions)
        }
    }

    struct DeskActions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "desk", abstract: "The desk's card actions through pcscd: APDUs and time per issue, renew, top-up and replace, layouts v1 and v2.")
        @Option(help: "Timed runs of each action.") var iterations = 30

        func run() async throws {
            try await DeskBenchmark.run(iterations: iterations)
        }
    }
}
