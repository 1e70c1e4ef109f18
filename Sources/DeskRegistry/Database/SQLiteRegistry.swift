import SQLiteSupport

/// The registry in one SQLite file: WAL, `synchronous=FULL`, foreign keys, and
/// `secure_delete=ON` so that a page holding an erased person's bytes is overwritten with zeros
/// rather than left in free space.
///
/// One connection; transactions take turns through an `AsyncLock` (a desk has one clerk at a
/// time at its PC; a centre with several desks uses PostgreSQL).
final class SQLiteRegistry: RegistryEngine, @unchecked Sendable {
    // The connection is used only inside `lock` (transactions, migration, scrubbing), which
    // makes the unchecked Sendable sound: one task at a time touches it.
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    /// Statements prepared once and reused, by their SQL (used only under `lock`).
    private let cache = StatementCache()
    let path: String

    init(path: String) throws {
        self.path = path
        connection = try SQLiteConnection(path: path, flags: [.readWrite, .create, .fullMutex], mapFailure: RegistryError.init(sqlite:))
        try connection.execute("PRAGMA busy_timeout = 5000")
        let mode = try connection.prepare("PRAGMA journal_mode = WAL")
        _ = try mode.step()
        guard mode.text(0).lowercased() == "wal" else {
            throw RegistryError(.unavailable, ukrainian: "\(path) не підтримує режим WAL", english: "\(path) cannot use WAL mode")
        }
        try connection.execute("PRAGMA synchronous = FULL")
        try connection.execute("PRAGMA foreign_keys = ON")
        try connection.execute("PRAGMA secure_delete = ON")
        guard try connection.integer("PRAGMA secure_delete") == 1 else {
            throw RegistryError(
                .unavailable, ukrainian: "SQLite не вмикає secure_delete: стерті дані лишилися б у файлі",
                english: "SQLite does not enable secure_delete: erased data would stay in the file")
        }
    }

    func migrate(upTo version: Int?) async throws -> Int {
        let steps = RegistrySchema.steps.filter { version == nil || $0.version <= version! }
        let migrator = SQLiteMigrator(
            steps: steps.map { step in
                let statements = RegistrySchema.sqlite(step)
                return SQLiteMigrator.Step(version: Int64(step.version)) { connection in
                    for statement in statements { try connection.execute(statement) }
                }
            })
        return try await lock.withLock {
            do {
                let current = try SQLiteMigrator.version(of: connection)
                guard current <= Int64(RegistrySchema.latest) else {
                    throw SQLiteMigrator.Refusal.newerThanCode(found: current, known: Int64(RegistrySchema.latest))
                }
                if current >= migrator.latestVersion && current > 0 { return Int(current) }
                return Int(try migrator.migrate(connection))
            } catch let refusal as SQLiteMigrator.Refusal {
                throw RegistryError(
                    .schemaRefused, ukrainian: "\(path): цей реєстр не підходить до програми (\(refusal))", english: "\(path): \(refusal)")
            }
        }
    }

    func transaction<Result: Sendable>(_ body: @Sendable (any RegistryTransaction) async throws -> Result) async throws -> Result {
        try await lock.withLock {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let result = try await body(Statements(connection: connection, cache: cache))
                try connection.execute("COMMIT")
                return result
            } catch {
                if !connection.isInAutocommit { try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Moves every page out of the write-ahead log into the database file and truncates the log
    /// to nothing, so the erased person's former page images are gone from the `-wal` file too;
    /// secure_delete has already zeroed the freed cells in the pages themselves.
    func scrubAfterErasure() async throws {
        try await lock.withLock {
            let checkpoint = try connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)")
            guard try checkpoint.step(), checkpoint.integer(0) == 0 else {
                throw RegistryError(
                    .statementFailed, ukrainian: "журнал WAL не вдалося очистити (інше з'єднання читає базу)",
                    english: "the write-ahead log could not be truncated (another connection is reading)")
            }
        }
    }

    func close() async {
        await lock.lock()
        // Statements first: a kept statement must never outlive its connection.
        cache.statements = [:]
        connection.close()
        lock.unlock()
    }

    /// The statements of one transaction on the connection.
    private struct Statements: RegistryTransaction, @unchecked Sendable {
        let connection: SQLiteConnection
        let cache: StatementCache

        func prepared(_ sql: String) throws -> SQLiteStatement {
            if let statement = cache.statements[sql] { return statement }
            let statement = try connection.prepare(sql, persistent: true)
            cache.statements[sql] = statement
            return statement
        }

        func execute(_ sql: String, _ values: [DatabaseValue]) async throws {
            try prepared(sql).run(values.map(Self.value))
        }

        func rows(_ sql: String, _ values: [DatabaseValue]) async throws -> [DatabaseRow] {
            let statement = try prepared(sql)
            defer { statement.reset() }
            try statement.bind(values.map(Self.value))
            var rows: [DatabaseRow] = []
            let count = statement.columnCount
            while try statement.step() {
                rows.append(DatabaseRow(values: (0..<count).map { Self.value(statement.value(Int32($0))) }))
            }
            return rows
        }

        static func value(_ value: SQLiteValue) -> DatabaseValue {
            switch value {
            case .integer(let number): .integer(number)
            case .text(let text): .text(text)
            case .blob(let bytes): .blob(bytes)
            case .null: .null
            }
        }

        static func value(_ value: DatabaseValue) -> SQLiteValue {
            switch value {
            case .integer(let number): .integer(number)
            case .text(let text): .text(text)
            case .blob(let bytes): .blob(bytes)
            case .null: .null
            }
        }
    }
}

/// Prepared statements of the SQLite registry, kept for the connection's life.
private final class StatementCache {
    var statements: [String: SQLiteStatement] = [:]
}

extension RegistryError {
    /// The registry error for an SQLite failure.
    init(sqlite failure: SQLiteFailure) {
        switch failure.stage {
        case .opening:
            self.init(.unavailable, ukrainian: "не вдається відкрити реєстр \(failure.context): \(failure.message)", english: "cannot open \(failure.context): \(failure.message)")
        case .closed:
            self.init(.unavailable, ukrainian: "реєстр закрито", english: "the registry is closed")
        default:
            self.init(.statementFailed, ukrainian: "помилка бази даних: \(failure.message)", english: failure.description)
        }
    }
}
