#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a store keeps its data, as a command line names it: `sqlite:PATH`, or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (also `postgresql://`), with
/// `?socket=/path/.s.PGSQL.5432` for a unix socket.
///
/// Every store (the accounting store, the desk registry) reads its `--db`/`--registry` argument
/// through this one parser and opens its own engines from the result; each keeps its own words
/// for an argument that is neither form.
public enum DatabaseLocation: Hashable, Sendable {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server over TCP (no TLS: loopback or a private network).
    case postgres(host: String, port: Int, user: String, password: String?, database: String)
    /// A PostgreSQL server on a unix socket.
    case postgresSocket(path: String, user: String, password: String?, database: String)

    /// Parses a location; nil when it names nothing usable. With `bareTextIsSQLitePath`, text
    /// that is neither form is an SQLite path (`registry.sqlite`); without, it is refused.
    public init?(_ text: String, bareTextIsSQLitePath: Bool = false) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard let url = URLComponents(string: text) else { return nil }
            let user = url.user ?? "postgres"
            let database = String(url.path.drop(while: { $0 == "/" }))
            guard !database.isEmpty else { return nil }
            if let socket = url.queryItems?.first(where: { $0.name == "socket" })?.value {
                self = .postgresSocket(path: socket, user: user, password: url.password, database: database)
            } else {
                guard let host = url.host, !host.isEmpty else { return nil }
                self = .postgres(host: host, port: url.port ?? 5432, user: user, password: url.password, database: database)
            }
            return
        }
        let path: String
        if text.hasPrefix("sqlite:") {
            path = String(text.dropFirst("sqlite:".count))
        } else if bareTextIsSQLitePath {
            path = text
        } else {
            return nil
        }
        guard !path.isEmpty else { return nil }
        self = .sqlite(path: path)
    }
}

/// A store's own location type with the same three forms, so that `DatabaseLocation` can be
/// read into it (its enum cases satisfy these requirements).
public protocol DatabaseLocationForms {
    /// An SQLite file.
    static func sqlite(path: String) -> Self
    /// A PostgreSQL server over TCP.
    static func postgres(host: String, port: Int, user: String, password: String?, database: String) -> Self
    /// A PostgreSQL server on a unix socket.
    static func postgresSocket(path: String, user: String, password: String?, database: String) -> Self
}

extension DatabaseLocation {
    /// The same location as a store's own type.
    public func converted<Location: DatabaseLocationForms>(to type: Location.Type = Location.self) -> Location {
        switch self {
        case .sqlite(let path): .sqlite(path: path)
        case .postgres(let host, let port, let user, let password, let database):
            .postgres(host: host, port: port, user: user, password: password, database: database)
        case .postgresSocket(let path, let user, let password, let database):
            .postgresSocket(path: path, user: user, password: password, database: database)
        }
    }
}
