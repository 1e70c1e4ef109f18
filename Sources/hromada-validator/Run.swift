import ArgumentParser
import Console
import Logging
import Metrics
import Prometheus
import Validator

/// `hromada-validator run --config FILE`: the daemon (docs/validator.md).
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the validator: watch the readers, decide taps, write cards and the ledger (stops on SIGTERM).")

    @Option(help: "The configuration file (JSON, see docs/validator.md).")
    var config: String

    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        // One registry for the process: the daemon's own metrics and anything a library reports
        // through the global MetricsSystem end up on the same /metrics page.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "hromada-validator")
        do {
            try await ValidatorDaemon.run(configurationPath: config, logger: logger, metrics: ValidatorMetrics(registry: registry))
        } catch {
            Console.error("hromada-validator: \(error)")
            throw ExitCode(1)
        }
    }
}
