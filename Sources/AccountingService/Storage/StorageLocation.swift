import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the service keeps its data: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
public enum StorageLocation: Hashable, Sendable {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server (TCP, no TLS: use it on loopback or a private network, or a socket).
    case postgres(host: String, port: Int, user: String, password: String?, database: String)
    /// A PostgreSQL server on a unix socket: `postgres://USER@/DATABASE?socket=/path/.s.PGSQL.5432`.
    case postgresSocket(path: String, user: String, password: String?, database: String)

    /// Parses a `--db` argument; nil when it is neither form.
    public init?(_ text: String) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let url = URLComponents(string: text) else { return nil }
        let user = url.user ?? "postgres"
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { return nil }
        if let socket = url.queryItems?.first(where: { $0.name == "socket" })?.value {
            self = .postgresSocket(path: socket, user: user, password: url.password, database: database)
        } else {
            guard let host = url.host, !host.isEmpty else { return nil }
            self = .postgres(host: host, port: url.port ?? 5432, user: user, password: url.password, database: database)
        }
    }

    /// Opens the storage and applies migrations.
    public func open(logger: Logger) async throws -> any AccountingStorage {
        let storage: any AccountingStorage
        switch self {
        case .sqlite(let path):
            storage = try SQLiteStorage(path: path)
        case .postgres(let host, let port, let user, let password, let database):
            storage = PostgresStorage(
                configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable),
                logger: logger)
        case .postgresSocket(let path, let user, let password, let database):
            storage = PostgresStorage(
                configuration: .init(unixSocketPath: path, username: user, password: password, database: database), logger: logger)
        }
        try await storage.migrate()
        return storage
    }
}
