import ArgumentParser
import Foundation
import Logging
import Synchronization
import Validator

/// `hromada-validator run --config FILE`: the daemon (docs/validator.md).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the validator: watch the readers, decide taps, write cards and the ledger (stops on SIGTERM).")

    @Option(help: "The configuration file (JSON, see docs/validator.md).")
    var config: String

    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "hromada-validator")
        let path = config
        let outcome = RunOutcome()
        Task {
            do {
                try await ValidatorDaemon.run(configurationPath: path, logger: logger)
                outcome.finish(nil)
            } catch {
                outcome.finish("\(error)")
            }
        }
        if let failure = outcome.wait() {
            printError("hromada-validator: \(failure)")
            throw ExitCode(1)
        }
    }
}

/// Lets the synchronous command wait for the asynchronous daemon.
private final class RunOutcome: Sendable {
    private let state = Mutex<(done: Bool, failure: String?)>((false, nil))
    private let semaphore = DispatchSemaphore(value: 0)

    func finish(_ failure: String?) {
        state.withLock { $0 = (true, failure) }
        semaphore.signal()
    }

    func wait() -> String? {
        semaphore.wait()
        return state.withLock { $0.failure }
    }
}
