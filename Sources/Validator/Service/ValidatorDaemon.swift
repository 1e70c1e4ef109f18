import Entitlements
import Foundation
import LedgerStore
import Logging
import ServiceLifecycle

/// Puts the daemon together from a configuration file and runs it until SIGTERM or SIGINT.
public enum ValidatorDaemon {
    /// The software name written into the start-up entry.
    public static let software = "hromada-validator 0.1"

    /// Loads `configurationPath`, opens the ledger, and runs the reader service (and the
    /// metrics endpoint, if configured) in a service group that shuts down gracefully on
    /// SIGTERM/SIGINT. Each tap's JSON line goes to `emit`.
    public static func run(
        configurationPath: String, logger: Logger, clock: @escaping TapClock = { UnixTime(Date()) },
        emit: @escaping @Sendable (String) -> Void = Self.printLine
    ) async throws {
        let configuration = try ValidatorConfiguration.load(from: configurationPath)
        let setup = try ValidatorSetup.load(configuration, now: clock())
        let tapper = try SocialCardTapper(setup: setup)
        let store: LedgerStore
        do {
            store = try LedgerStore(
                path: configuration.ledger.path, deviceID: setup.rules.context.deviceID, deviceKey: setup.deviceKey,
                configuration: .init(checkpointInterval: configuration.ledger.checkpointInterval ?? 100))
        } catch {
            throw ValidatorError(.outOfService, "cannot open the ledger \(configuration.ledger.path): \(error)")
        }
        let ledger = try TapLedger(store: store)
        let metrics = ValidatorMetrics()
        let versions = setup.bundleVersions
        let service = ValidatorService(
            pipeline: TapPipeline(ledger: ledger, rules: setup.rules), tapper: tapper,
            readers: configuration.watchesAllReaders ? .all : .named(Set(configuration.readers)),
            tapTimeout: configuration.tapTimeout, metrics: metrics, logger: logger, clock: clock, emit: emit,
            startUpDetail: software,
            configurationDetail:
                "trust v\(versions.trust) tariff v\(versions.tariff) denylist v\(versions.denyList) layouts \(setup.layouts.map(\.id).joined(separator: ","))"
        )
        var services: [any Service] = []
        if let port = configuration.metricsPort, port != 0 {
            services.append(MetricsServer(port: port, metrics: metrics))
        }
        services.append(service)
        logger.info(
            "starting",
            metadata: [
                "device": "\(configuration.deviceID)", "vehicle": "\(configuration.vehicle)", "route": "\(configuration.route)",
                "carrier": "\(configuration.carrier)", "ledger": "\(configuration.ledger.path)",
            ])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Writes `line` and a newline to standard output at once (no buffering), for a display
    /// program reading line by line.
    @Sendable public static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
