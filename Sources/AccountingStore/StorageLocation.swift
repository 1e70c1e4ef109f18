import Logging
import PostgresNIO
import SQLiteSupport
import ServiceLifecycle

/// Where the service keeps its data: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
public enum StorageLocation: Hashable, Sendable, DatabaseLocationForms {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server (TCP, no TLS: use it on loopback or a private network, or a socket).
    case postgres(host: String, port: Int, user: String, password: String?, database: String)
    /// A PostgreSQL server on a unix socket: `postgres://USER@/DATABASE?socket=/path/.s.PGSQL.5432`.
    case postgresSocket(path: String, user: String, password: String?, database: String)

    /// Parses a `--db` argument; nil when it is neither form.
    public init?(_ text: String) {
        guard let location = DatabaseLocation(text) else { return nil }
        self = location.converted()
    }

    /// The storage at this location, not yet migrated. Nothing runs yet: put it in the
    /// program's `ServiceGroup` (or run `run()` in a task group) while it is used.
    public func makeStorage(logger: Logger) throws -> any AccountingStorage {
        switch self {
        case .sqlite(let path):
            return try SQLiteStorage(path: path)
        case .postgres(let host, let port, let user, let password, let database):
            return PostgresStorage(
                configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable),
                logger: logger)
        case .postgresSocket(let path, let user, let password, let database):
            return PostgresStorage(
                configuration: .init(unixSocketPath: path, username: user, password: password, database: database), logger: logger)
        }
    }

    /// Opens the storage, runs it, applies migrations, passes it to `body` and closes it when
    /// `body` returns or throws: for commands and tools that use the storage and exit.
    public func withStorage<Result>(
        logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (any AccountingStorage) async throws -> Result
    ) async throws -> Result {
        let storage = try makeStorage(logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { try await storage.run() }
            let result: Result
            do {
                try await storage.migrate()
                result = try await body(storage)
            } catch {
                try? await storage.close()
                try? await group.waitForAll()
                throw error
            }
            try await storage.close()
            try await group.waitForAll()
            return result
        }
    }
}

/// Runs a service (the HTTP server) only after the storage's migrations are applied, so that it
/// never answers from an old schema.
///
/// In a `ServiceGroup`, list the storage first and this after it: the storage runs first and is
/// shut down last, after the service has finished its requests.
public struct AfterMigrations<Wrapped: Service>: Service {
    private let storage: any AccountingStorage
    private let service: Wrapped

    /// Runs `service` once `storage.migrate()` has succeeded.
    public init(of storage: any AccountingStorage, run service: Wrapped) {
        self.storage = storage
        self.service = service
    }

    /// Migrates, then runs the service.
    public func run() async throws {
        try await storage.migrate()
        try await service.run()
    }
}
