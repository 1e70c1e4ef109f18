import AccountingStore
import PostgresNIO
import Testing

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The storage engines every accounting test runs against: the store's, the service's and the
/// uploader's suites take their arguments from `all`.
///
/// PostgreSQL is always included unless HROMADA_SKIP_POSTGRES=1: if the private cluster cannot be
/// started, those cases fail (loudly), they are not skipped.
public enum StorageEngine: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    /// The engines of this run.
    public static var all: [StorageEngine] {
        ProcessInfo.processInfo.environment["HROMADA_SKIP_POSTGRES"] == "1" ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The engine's name, as test case labels show it.
    public var testDescription: String { rawValue }

    /// A fresh, empty database: the SQLite file at `sqlitePath`, or a new database in the test
    /// run's PostgreSQL cluster.
    public func freshLocation(sqlitePath: String) async throws -> StorageLocation {
        switch self {
        case .sqlite: .sqlite(path: sqlitePath)
        case .postgres: try await PostgresCluster.shared.freshDatabase()
        }
    }
}

/// The private PostgreSQL cluster of the test run (HROMADA_POSTGRES_URL, or one started once
/// with Tools/postgres), and fresh databases in it.
public actor PostgresCluster {
    /// The one cluster of the test process.
    public static let shared = PostgresCluster()
    private var url: String?

    /// The cluster's URL: HROMADA_POSTGRES_URL, or one started now with Tools/postgres.
    public func baseURL() throws -> String {
        if let url { return url }
        if let given = ProcessInfo.processInfo.environment["HROMADA_POSTGRES_URL"], !given.isEmpty {
            url = given
            return given
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Tools/postgres").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-postgres-start-\(UUID().uuidString).out").path
        // system(3), not Foundation's Process: waitUntilExit() on a Swift concurrency thread can
        // miss the child's exit and wait for ever (the script's shell stays a zombie), which
        // hung every suite that reached this without HROMADA_POSTGRES_URL. system() waits for
        // the child itself; the script gives up after 60 s when the server does not start.
        let status = system("'\(script)' start --dir /tmp/hromada-postgres-tests > '\(output)'")
        let text = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        try? FileManager.default.removeItem(atPath: output)
        guard status == 0, text.hasPrefix("postgres://") else {
            throw PostgresUnavailable(
                reason: "Tools/postgres start failed (status \(status)): set HROMADA_POSTGRES_URL (export HROMADA_POSTGRES_URL=\"$(Tools/postgres start --dir /tmp/pg)\") or HROMADA_SKIP_POSTGRES=1 to run without PostgreSQL")
        }
        url = text
        return text
    }

    /// A new empty database in the cluster.
    public func freshDatabase() async throws -> StorageLocation {
        guard case .postgres(let host, let port, let user, let password, _) = StorageLocation(try baseURL()) else {
            throw PostgresUnavailable(reason: "HROMADA_POSTGRES_URL is not postgres://USER@HOST:PORT/DATABASE")
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withAdmin(host: host, port: port, user: user, password: password) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        return .postgres(host: host, port: port, user: user, password: password, database: name)
    }

    /// Runs raw SQL in the database at `location` (to build old schemas or tamper with versions).
    public func execute(_ statements: [String], in location: StorageLocation) async throws {
        guard case .postgres(let host, let port, let user, let password, let database) = location else { return }
        try await withAdmin(host: host, port: port, user: user, password: password, database: database) { client in
            for statement in statements { try await client.query(PostgresQuery(unsafeSQL: statement)) }
        }
    }

    private func withAdmin(
        host: String, port: Int, user: String, password: String?, database: String = "postgres",
        _ body: (PostgresClient) async throws -> Void
    ) async throws {
        let client = PostgresClient(configuration: .init(host: host, port: port, username: user, password: password, database: database, tls: .disable))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            do {
                try await body(client)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}

/// The test run's PostgreSQL cluster could not be reached or started.
public struct PostgresUnavailable: Error, CustomStringConvertible {
    /// Why, and what to do.
    public let reason: String
    public var description: String { reason }
}
