import ArgumentParser

/// `hromada-bench`: release-build benchmarks, each printed beside its baseline from the same run.
@main
struct HromadaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hromada-bench",
        abstract: "Measures HromadaCard beside raw baselines (run a release build).",
        subcommands: [Decision.self, Card.self]
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
}
