import Foundation
import ArgumentParser
import ReconcileTool

/// `hromada-bench`: release-build benchmarks, each printed beside its baseline from the same run.
@main
struct HromadaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-bench",
        abstract: "Measures HromadaCard beside raw baselines (run a release build).",
        subcommands: [Decision.self, Card.self, Ledger.self, Accounting.self, IndexCost.self, Pages.self, Tap.self, Reconcile.self, DeskActions.self, DeskWeb.self]
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
        @Option(help: "Batches each device keeps in flight, one run each (comma-separated; the uploader keeps 4).")
        var inFlight = "1,4"
        @Option(help: "Directory for the SQLite files: put it on a real disk, not a tmpfs, to measure durable writes.")
        var directory = ".build/bench-accounting"

        func run() async throws {
            let url = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"]
            let counts = devices.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            let windows = inFlight.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            try await AccountingBenchmark.run(
                entries: entries, deviceCounts: counts.isEmpty ? [1] : counts, inFlight: windows.isEmpty ? [2] : windows,
                directory: directory, postgresURL: url?.isEmpty == false ? url : nil)
        }
    }

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A simulated month reconciled end to end from SQLite (and PostgreSQL when HROMADA_POSTGRES_URL is set), beside a raw GROUP BY over the same rows.")
        @Option(help: "Entries of each simulated month (comma-separated).") var entries = "1000000,3000000,10000000"
        @Option(help: "Validators.") var devices = 500
        @Option(help: "Directory for the SQLite files (a real disk, not a tmpfs).") var directory = ".build/bench-reconcile"
        @Option(help: "Months up to this many entries are also reconciled with every entry in memory (the old path), as a baseline.")
        var inMemoryUpTo = 1_000_000
        @Option(help: "Engines to run (comma-separated: sqlite, postgres); postgres needs HROMADA_POSTGRES_URL.") var engines = "sqlite,postgres"
        @Flag(help: "Keep the months under DIRECTORY/kept (and PostgreSQL databases by fixed names) and reuse those already loaded.") var keep = false
        @Flag(help: "Only generate and load the months (with --keep, to measure them later).") var loadOnly = false
        @Option(help: "Entries the report reads per query (the tool's default unless given).") var pageSize = StoreInput.pageSize

        func run() async throws {
            let url = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"]
            let counts = entries.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            let chosen = Set(engines.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            try await ReconcileBenchmark.run(
                entryCounts: counts, devices: devices, directory: directory, postgresURL: url?.isEmpty == false ? url : nil, inMemoryUpTo: inMemoryUpTo,
                engines: chosen, keep: keep, loadOnly: loadOnly, pageSize: pageSize)
        }
    }

    struct IndexCost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index-cost",
            abstract: "Raw bulk inserts into tables of schema 4's, schema 5's and schema 5's + a route index shape, interleaved.")
        @Option(help: "Entries a run, in batches of 1000.") var entries = 100_000
        @Option(help: "Rounds of the three shapes.") var rounds = 5
        @Option(help: "Directory for the SQLite files (a real disk).") var directory = ".build/bench-accounting"

        func run() async throws {
            let url = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"]
            try await IndexCostBenchmark.run(entries: entries, rounds: max(1, rounds), directory: directory, postgresURL: url?.isEmpty == false ? url : nil)
        }
    }

    struct Pages: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pages of entries read by keyset near the start and the end of a large table, and a month read through entryPages (SQLite; PostgreSQL when HROMADA_POSTGRES_URL is set).")
        @Option(help: "Entries in the table.") var entries = 1_000_000
        @Option(help: "Devices sharing them.") var devices = 100
        @Option(help: "Entries a page.") var limit = 100
        @Option(help: "Directory for the SQLite file (a real disk).") var directory = ".build/bench-pages"

        func run() async throws {
            let url = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"]
            try await PagesBenchmark.run(
                entries: entries, devices: max(1, devices), limit: max(1, limit), directory: directory, postgresURL: url?.isEmpty == false ? url : nil)
        }
    }

    struct Tap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The validator's tap through pcscd on v3, v2 and v1 cards: APDUs, bytes, latency, taps/s, beside the raw APDU round trip.")
        @Option(help: "Timed taps with the card in the field.") var iterations = 300
        @Option(help: "Card insertions timed from pcscd's report to the decision.") var insertions = 60
        @Option(help: "Card layouts to measure, one after another (comma-separated: v3, v2, v1).") var layouts = "v3,v2,v1"

        func run() async throws {
            let chosen = layouts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { ["v1", "v2", "v3"].contains($0) }
            try await TapBenchmark.run(iterations: iterations, insertions: insertions, layouts: chosen.isEmpty ? ["v3"] : chosen)
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

    struct DeskWeb: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "desk-web",
            abstract: "The desk web app's person page and searches over loopback HTTP with a registry of many holders (SQLite; PostgreSQL when HROMADA_POSTGRES_URL is set), beside the registry's own calls and a bare HTTP route.")
        @Option(help: "Holders in the registry.") var holders = 100_000
        @Option(help: "Of them, holders with a card (recorded one transaction at a time).") var cardHolders = 2_000
        @Option(help: "Timed requests (and registry calls) a line.") var requests = 1_000
        @Option(help: "Directory for the SQLite file (a real disk, not a tmpfs).") var directory = ".build/bench-desk-web"

        func run() async throws {
            let url = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"]
            try await DeskWebBenchmark.run(
                holders: max(1_000, holders), cardHolders: max(1, min(cardHolders, holders)), requests: max(10, requests), directory: directory,
                postgresURL: url?.isEmpty == false ? url : nil)
        }
    }
}
