import Logging
import NIOCore
import PostgresNIO

/// The registry in PostgreSQL, for a centre where several desks share one registry.
///
/// The same schema and rules as the SQLite file (the tests run on both). The pool runs while
/// `run()` runs; `RegistryLocation.withRegistry` does that for commands.
final class PostgresRegistry: RegistryEngine {
    private let client: PostgresClient
    private let logger: Logger

    init(configuration: PostgresClient.Configuration, logger: Logger) {
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until the surrounding task is cancelled.
    func run() async {
        await client.run()
    }

    func migrate(upTo version: Int?) async throws -> Int {
        let logger = self.logger
        try await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
        let applied = try await appliedVersion()
        guard applied <= RegistrySchema.latest else {
            throw RegistryError(
                .schemaRefused, ukrainian: "база має схему версії \(applied), програма знає до \(RegistrySchema.latest)",
                english: "the database has schema version \(applied); this program knows up to \(RegistrySchema.latest)")
        }
        for step in RegistrySchema.steps where step.version > applied && (version.map { step.version <= $0 } ?? true) {
            let statements = RegistrySchema.postgres(step)
            let number = Int64(step.version)
            try await client.withTransaction(logger: logger) { connection in
                // Two desks starting together apply a step once.
                try await connection.query("LOCK TABLE schema_migrations IN EXCLUSIVE MODE", logger: logger)
                var done = false
                for try await _ in try await connection.query("SELECT version FROM schema_migrations WHERE version = \(number)", logger: logger)
                    .decode(Int64.self)
                {
                    done = true
                }
                if done { return }
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(number), extract(epoch from now())::bigint)", logger: logger)
            }
        }
        return try await appliedVersion()
    }

    private func appliedVersion() async throws -> Int {
        for try await version in try await client.query("SELECT coalesce(max(version), 0)::bigint FROM schema_migrations", logger: logger)
            .decode(Int64.self)
        {
            return Int(version)
        }
        return 0
    }

    func transaction<Result: Sendable>(_ body: @Sendable (any RegistryTransaction) async throws -> Result) async throws -> Result {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(Statements(connection: connection, logger: logger))
            }
        } catch let error as PostgresTransactionError {
            // The registry's own refusals come out as they went in; a failed BEGIN, COMMIT or
            // ROLLBACK stays the transaction error.
            if let refusal = error.closureError as? RegistryError { throw refusal }
            throw error.closureError ?? error
        }
    }

    /// Reclaims the erased rows' space (VACUUM cannot run inside a transaction). PostgreSQL
    /// gives no guarantee that the former bytes are overwritten in its files or its WAL: a
    /// centre keeps the database on an encrypted volume (docs/desk-registry.md, "Erasure").
    func scrubAfterErasure() async throws {
        for table in ["holders", "holder_name_tokens", "consents", "eligibilities"] {
            try await client.query(PostgresQuery(unsafeSQL: "VACUUM \(table)"), logger: logger)
        }
    }

    func close() async {}

    private struct Statements: RegistryTransaction {
        let connection: PostgresConnection
        let logger: Logger

        func execute(_ sql: String, _ values: [DatabaseValue]) async throws {
            try await connection.query(Self.query(sql, values), logger: logger)
        }

        func rows(_ sql: String, _ values: [DatabaseValue]) async throws -> [DatabaseRow] {
            var rows: [DatabaseRow] = []
            for try await row in try await connection.query(Self.query(sql, values), logger: logger) {
                var values: [DatabaseValue] = []
                for cell in row {
                    guard cell.bytes != nil else {
                        values.append(.null)
                        continue
                    }
                    switch cell.dataType {
                    case .int8, .int4, .int2: values.append(.integer(try cell.decode(Int64.self)))
                    case .bytea: values.append(.blob(Array(try cell.decode(ByteBuffer.self).readableBytesView)))
                    default: values.append(.text(try cell.decode(String.self)))
                    }
                }
                rows.append(DatabaseRow(values: values))
            }
            return rows
        }

        /// `?` placeholders numbered `$1`, `$2`, … (the registry's SQL has no `?` in literals).
        static func query(_ sql: String, _ values: [DatabaseValue]) -> PostgresQuery {
            var numbered = ""
            var index = 0
            for character in sql {
                if character == "?" {
                    index += 1
                    numbered += "$\(index)"
                } else {
                    numbered.append(character)
                }
            }
            var bindings = PostgresBindings(capacity: values.count)
            for value in values {
                switch value {
                case .integer(let number): bindings.append(number)
                case .text(let text): bindings.append(text)
                case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
                case .null: bindings.appendNull()
                }
            }
            return PostgresQuery(unsafeSQL: numbered, binds: bindings)
        }
    }
}
