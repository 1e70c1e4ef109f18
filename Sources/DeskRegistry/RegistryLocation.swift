import Entitlements
import Logging
import PostgresNIO
import SQLiteSupport

/// Where the registry lives: an SQLite file (`sqlite:PATH`, or just a path) for one desk, or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (`?socket=/path` for a unix socket) for a
/// centre of several desks.
public enum RegistryLocation: Hashable, Sendable, DatabaseLocationForms {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server over TCP (no TLS: loopback or a private network).
    case postgres(host: String, port: Int, user: String, password: String?, database: String)
    /// A PostgreSQL server on a unix socket.
    case postgresSocket(path: String, user: String, password: String?, database: String)

    /// Parses a `--registry` argument (a bare path is an SQLite file); nil when it names
    /// nothing usable.
    public init?(_ text: String) {
        guard let location = DatabaseLocation(text, bareTextIsSQLitePath: true) else { return nil }
        self = location.converted()
    }

    /// Applies the schema steps the database lacks (up to `version`, all by default) and
    /// returns the version reached; needs no key.
    public func migrate(upTo version: Int? = nil, logger: Logger = Logger(label: "hromada-desk.registry")) async throws -> Int {
        try await withEngine(logger: logger) { engine in try await engine.migrate(upTo: version) }
    }

    /// Opens the registry, brings its schema up to date, checks `keyring` against it (a key
    /// file that is not this registry's is refused here), runs `body` and closes it.
    public func withRegistry<Result: Sendable>(
        keyring: RegistryKeyring, now: UnixTime, logger: Logger = Logger(label: "hromada-desk.registry"),
        _ body: @Sendable (HolderRegistry) async throws -> Result
    ) async throws -> Result {
        try await withEngine(logger: logger) { engine in
            _ = try await engine.migrate(upTo: nil)
            let registry = HolderRegistry(engine: engine, keyring: keyring)
            try await registry.checkKeys(at: now)
            return try await body(registry)
        }
    }

    func withEngine<Result: Sendable>(logger: Logger, _ body: @Sendable (any RegistryEngine) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite(let path):
            let engine = try SQLiteRegistry(path: path)
            do {
                let result = try await body(engine)
                await engine.close()
                return result
            } catch {
                await engine.close()
                throw error
            }
        case .postgres(let host, let port, let user, let password, let database):
            return try await withPostgres(
                PostgresRegistry(
                    configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable), logger: logger),
                body)
        case .postgresSocket(let path, let user, let password, let database):
            return try await withPostgres(
                PostgresRegistry(configuration: .init(unixSocketPath: path, username: user, password: password, database: database), logger: logger), body)
        }
    }

    private func withPostgres<Result: Sendable>(_ engine: PostgresRegistry, _ body: @Sendable (any RegistryEngine) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await engine.run() }
            defer { group.cancelAll() }
            do {
                return try await body(engine)
            } catch let error as RegistryError {
                throw error
            } catch let error as PSQLError where error.serverInfo != nil {
                // The server answered with an error: a statement failed, the database is up.
                throw RegistryError(
                    .statementFailed, ukrainian: "PostgreSQL відмовив: \(String(reflecting: error))", english: "PostgreSQL refused: \(String(reflecting: error))")
            } catch let error as PSQLError {
                throw RegistryError(
                    .unavailable, ukrainian: "база PostgreSQL недоступна або відмовила: \(String(reflecting: error))",
                    english: "PostgreSQL is unreachable or refused: \(String(reflecting: error))")
            }
        }
    }
}
