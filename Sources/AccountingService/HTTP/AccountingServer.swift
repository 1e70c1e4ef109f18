import AccountingStore
import Logging
import ServiceLifecycle
import UnixSignals

/// The whole running service: its storage and its HTTP server in one `ServiceGroup`, as
/// `hromada-accounting serve` runs them.
public enum AccountingServer {
    /// The group: the storage first (started first, shut down last, after the server has
    /// finished its requests), then the server, which listens once the schema is migrated.
    ///
    /// A graceful shutdown (one of `signals`, or `triggerGracefulShutdown()`) lets requests in
    /// progress finish for at most `connections.limits.shutdownGracePeriod`; after that the group
    /// is cancelled, so a connection left half open cannot keep the process from exiting.
    public static func serviceGroup(
        engine: AccountingEngine, host: String, port: Int, connections: ConnectionGuard = ConnectionGuard(),
        signals: [UnixSignal] = [], logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> ServiceGroup {
        let app = AccountingRoutes.application(
            engine: engine, host: host, port: port, connections: connections, logger: logger, onRunning: onRunning)
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: engine.storage), .init(service: AfterMigrations(of: engine.storage, run: app))],
            gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = connections.limits.shutdownGracePeriod
        return ServiceGroup(configuration: configuration)
    }
}
