import Foundation
import SQLiteSupport
import Testing

/// The wrapper against real database files in a fresh temporary directory.
@Suite struct SQLiteSupportTests {
    /// A fresh directory for one test's files; removed by the caller.
    private static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-support-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func failure(_ body: () throws -> Void) throws -> SQLiteFailure {
        do {
            try body()
        } catch let failure as SQLiteFailure {
            return failure
        }
        Issue.record("expected an SQLiteFailure")
        throw CancellationError()
    }

    @Test(arguments: [
        SQLiteValue.integer(0), .integer(.min), .integer(.max), .integer(-1),
        .text(""), .text("Київ — 1 ₴"), .blob([]), .blob([0x00, 0xFF, 0x00]), .blob(Array(0...255)), .null,
    ])
    func aBoundValueReadsBackTheSame(value: SQLiteValue) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteConnection(path: directory.appendingPathComponent("t.db").path, flags: [.readWrite, .create])
        try database.execute("CREATE TABLE t (v)")
        try database.prepare("INSERT INTO t (v) VALUES (?)").run([value])
        let select = try database.prepare("SELECT v, typeof(v) FROM t")
        #expect(try select.step())
        let read: SQLiteValue =
            switch select.text(1) {
            case "integer": .integer(select.integer(0))
            case "text": .text(select.text(0))
            case "blob": .blob(select.blob(0))
            case "null": .null
            default: .text("unexpected type \(select.text(1))")
            }
        #expect(read == value)
        #expect(select.isNull(0) == (value == .null))
        #expect(try !select.step())
    }

    @Test func typedBindsAndSingleValueQueries() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteConnection(path: directory.appendingPathComponent("t.db").path, flags: [.readWrite, .create])
        try database.execute("CREATE TABLE t (n INTEGER, b BLOB, s TEXT, z)")
        let insert = try database.prepare("INSERT INTO t VALUES (?, ?, ?, ?)", persistent: true)
        for number in Int64(1)...3 {
            try insert.bind(1, number)
            try insert.bind(2, [UInt8](repeating: UInt8(number), count: Int(number)))
            try insert.bind(3, "row \(number)")
            try insert.bindNull(4)
            try insert.run()
        }
        #expect(try database.integer("SELECT sum(n) FROM t") == 6)
        #expect(try database.integer("SELECT n FROM t WHERE n > 3") == nil)
        #expect(try database.text("SELECT s FROM t WHERE n = 2") == "row 2")
        #expect(try database.integer("SELECT count(*) FROM t WHERE z IS NULL AND length(b) = n") == 3)
        // `run` reset the bindings: a run without binding inserts NULLs.
        try insert.run()
        #expect(try database.integer("SELECT count(*) FROM t WHERE n IS NULL") == 1)
    }

    @Test func aConstraintFailureCarriesItsCodes() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteConnection(path: directory.appendingPathComponent("t.db").path, flags: [.readWrite, .create])
        try database.execute("""
            CREATE TABLE t (id INTEGER PRIMARY KEY);
            CREATE TRIGGER t_no_delete BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 't is append-only'); END;
            INSERT INTO t VALUES (1);
            """)
        let insert = try database.prepare("INSERT INTO t VALUES (?)")
        try insert.bind(1, Int64(1))
        let duplicate = try Self.failure { _ = try insert.step() }
        #expect(duplicate.resultCode == .constraint)
        #expect(duplicate.extendedCode != .constraintTrigger)
        #expect(duplicate.extendedCode.rawValue & 0xFF == duplicate.resultCode.rawValue)
        #expect(duplicate.stage == .stepping)
        #expect(duplicate.context == "INSERT INTO t VALUES (?)")
        #expect(duplicate.message.contains("UNIQUE"))

        let refused = try Self.failure { try database.execute("DELETE FROM t") }
        #expect(refused.extendedCode == .constraintTrigger)
        #expect(refused.resultCode == .constraint)
        #expect(refused.stage == .executing)
        #expect(refused.message == "t is append-only")
        // The statement was reset on failure and can be reused.
        try insert.bind(1, Int64(2))
        try insert.run()
        #expect(try database.integer("SELECT count(*) FROM t") == 2)
    }

    @Test func aReadOnlyDatabaseRefusesWritesWithItsCode() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("t.db").path
        do {
            let writer = try SQLiteConnection(path: path, flags: [.readWrite, .create])
            try writer.execute("CREATE TABLE t (v)")
            #expect(!writer.isReadOnly)
        }
        let reader = try SQLiteConnection(path: path, flags: [.readOnly, .extendedResultCodes])
        #expect(reader.isReadOnly)
        #expect(try reader.integer("SELECT count(*) FROM t") == 0)
        let failure = try Self.failure { try reader.execute("INSERT INTO t VALUES (1)") }
        #expect(failure.resultCode == .readOnly)
        #expect(failure.stage == .executing)
    }

    @Test func openingAMissingDirectoryFailsAsCannotOpen() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("missing/t.db").path
        let failure = try Self.failure { _ = try SQLiteConnection(path: path, flags: [.readWrite, .create]) }
        #expect(failure.resultCode == .cannotOpen)
        #expect(failure.stage == .opening)
        #expect(failure.context == path)
    }

    private struct OwnError: Error, Equatable {
        let stage: SQLiteFailure.Stage
        let code: SQLiteFailure.ResultCode
    }

    @Test func theOwnersMappingIsWhatIsThrown() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteConnection(
            path: directory.appendingPathComponent("t.db").path, flags: [.readWrite, .create],
            mapFailure: { OwnError(stage: $0.stage, code: $0.resultCode) })
        #expect(throws: OwnError(stage: .preparing, code: .error)) { _ = try database.prepare("SELECT * FROM nowhere") }
        #expect(database.isInAutocommit)
        try database.execute("BEGIN")
        #expect(!database.isInAutocommit)
        database.close()
        #expect(!database.isOpen)
        #expect(throws: OwnError(stage: .closed, code: .misuse)) { try database.execute("SELECT 1") }
    }

    /// A pattern matches the primary or the extended code (the stores map `.constraint` and
    /// `.constraintTrigger` apart by this), even though `CodedError` brings an exact `~=` too.
    @Test func aPatternMatchesThePrimaryOrTheExtendedCode() {
        let trigger = SQLiteFailure(extendedCode: .constraintTrigger, message: "refused", stage: .stepping, context: "INSERT")
        let matchesConstraint: Bool
        switch trigger {
        case .constraint: matchesConstraint = true
        default: matchesConstraint = false
        }
        #expect(matchesConstraint)
        let plain = SQLiteFailure(extendedCode: .constraint, message: "unique", stage: .stepping, context: "INSERT")
        let matchesTrigger: Bool
        switch plain {
        case .constraintTrigger: matchesTrigger = true
        default: matchesTrigger = false
        }
        #expect(!matchesTrigger)
        #expect(trigger.code == .constraintTrigger)
        #expect(trigger.reason == "refused")
        // Equality is on the code (CodedError): the same failure worded or placed differently.
        #expect(trigger == SQLiteFailure(extendedCode: .constraintTrigger, message: "other", stage: .preparing, context: ""))
        #expect(trigger != plain)
    }
}

/// `write { }`: one transaction, committed on return, rolled back on throw, never nested.
@Suite struct WriteTransactionTests {
    private struct Refused: Error {}

    private static func database() throws -> (SQLiteConnection, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try SQLiteConnection(path: directory.appendingPathComponent("t.db").path, flags: [.readWrite, .create])
        try database.execute("CREATE TABLE t (v INTEGER)")
        return (database, directory)
    }

    @Test func aBodyThatReturnsIsCommitted() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let count = try database.write { database in
            try database.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
            #expect(!database.isInAutocommit)
            return try database.integer("SELECT count(*) FROM t")
        }
        #expect(count == 2)
        #expect(database.isInAutocommit)
        // Seen by another connection: committed, not just visible inside this one.
        let other = try SQLiteConnection(path: directory.appendingPathComponent("t.db").path, flags: [.readOnly])
        #expect(try other.integer("SELECT sum(v) FROM t") == 3)
    }

    @Test func aBodyThatThrowsIsRolledBackAndItsErrorRethrown() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.execute("INSERT INTO t VALUES (7)")
        #expect(throws: Refused.self) {
            try database.write { database in
                try database.execute("INSERT INTO t VALUES (8); DELETE FROM t WHERE v = 7")
                throw Refused()
            }
        }
        #expect(database.isInAutocommit)
        #expect(try database.integer("SELECT group_concat(v) FROM t") == 7)
        // A failing statement inside rolls back what came before it in the same body.
        let failure = try Self.failure {
            try database.write { database in
                try database.execute("INSERT INTO t VALUES (9)")
                try database.execute("INSERT INTO nowhere VALUES (1)")
            }
        }
        #expect(failure.stage == .preparing || failure.stage == .executing)
        #expect(try database.integer("SELECT count(*) FROM t") == 1)
        // The connection is usable for the next transaction.
        try database.write { try $0.execute("INSERT INTO t VALUES (10)") }
        #expect(try database.integer("SELECT count(*) FROM t") == 2)
    }

    @Test func aNestedWriteIsRefusedAndTheOuterTransactionGoesOn() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.write { database in
            try database.execute("INSERT INTO t VALUES (1)")
            let nested = try Self.failure { try database.write { try $0.execute("INSERT INTO t VALUES (2)") } }
            #expect(nested.stage == .transaction)
            #expect(nested.extendedCode == .misuse)
            #expect(!database.isInAutocommit)
        }
        #expect(try database.integer("SELECT group_concat(v) FROM t") == 1)
        // A transaction opened by hand is not nested into either.
        try database.execute("BEGIN")
        #expect(try Self.failure { try database.write { _ in } }.stage == .transaction)
        try database.execute("ROLLBACK")
    }

    @Test func aClosedConnectionRefusesToWrite() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.write { try $0.execute("INSERT INTO t VALUES (1)") }
        database.close()
        #expect(try Self.failure { try database.write { _ in } }.stage == .closed)
    }

    static func failure(_ body: () throws -> Void) throws -> SQLiteFailure {
        do {
            try body()
        } catch let failure as SQLiteFailure {
            return failure
        }
        Issue.record("expected an SQLiteFailure")
        throw CancellationError()
    }
}

/// `SQLiteMigrator`: numbered steps, one transaction each, the version in `user_version`.
@Suite struct MigratorTests {
    private static let steps = [
        SQLiteMigrator.Step(version: 1, sql: "CREATE TABLE a (v INTEGER); INSERT INTO a VALUES (1);"),
        SQLiteMigrator.Step(version: 2) { connection in
            try connection.execute("ALTER TABLE a ADD COLUMN w INTEGER NOT NULL DEFAULT 0; UPDATE a SET w = v * 10;")
        },
        SQLiteMigrator.Step(version: 3, sql: "CREATE TABLE b (v INTEGER)"),
    ]

    private static func database() throws -> (SQLiteConnection, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-migrator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try SQLiteConnection(path: directory.appendingPathComponent("t.db").path, flags: [.readWrite, .create]), directory)
    }

    @Test func aFreshDatabaseGetsEveryStep() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let migrator = SQLiteMigrator(steps: Self.steps)
        #expect(migrator.latestVersion == 3)
        #expect(try SQLiteMigrator.version(of: database) == 0)
        #expect(try migrator.migrate(database) == 3)
        #expect(try SQLiteMigrator.version(of: database) == 3)
        #expect(try database.integer("SELECT w FROM a") == 10)
        #expect(try database.integer("SELECT count(*) FROM b") == 0)
        // Again: nothing to do, nothing done twice.
        #expect(try migrator.migrate(database) == 3)
        #expect(try database.integer("SELECT count(*) FROM a") == 1)
    }

    @Test func anOlderDatabaseGetsOnlyTheStepsItLacks() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try SQLiteMigrator(steps: Array(Self.steps.prefix(1))).migrate(database) == 1)
        try database.execute("INSERT INTO a VALUES (2)")
        #expect(try SQLiteMigrator(steps: Self.steps).migrate(database) == 3)
        #expect(try database.integer("SELECT sum(w) FROM a") == 30)
    }

    @Test func aFailingStepIsRolledBackAndTheEarlierStepsStay() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = Array(Self.steps.prefix(2)) + [SQLiteMigrator.Step(version: 3, sql: "CREATE TABLE b (v INTEGER); INSERT INTO nowhere VALUES (1);")]
        #expect(throws: SQLiteFailure.self) { try SQLiteMigrator(steps: broken).migrate(database) }
        #expect(try SQLiteMigrator.version(of: database) == 2)
        #expect(try database.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'b'") == 0)
        #expect(database.isInAutocommit)
        #expect(try SQLiteMigrator(steps: Self.steps).migrate(database) == 3)
    }

    @Test func aDatabaseNewerThanTheCodeIsRefusedUntouched() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SQLiteMigrator(steps: Self.steps).migrate(database)
        try database.execute("PRAGMA user_version = 4")
        #expect(throws: SQLiteMigrator.Refusal.newerThanCode(found: 4, known: 3)) { try SQLiteMigrator(steps: Self.steps).migrate(database) }
        #expect(throws: SQLiteMigrator.Refusal.newerThanCode(found: 4, known: 1)) {
            try SQLiteMigrator(steps: Array(Self.steps.prefix(1))).migrate(database)
        }
        #expect(try SQLiteMigrator.version(of: database) == 4)
    }

    @Test func anUnversionedDatabaseWithTablesIsRefusedUnlessItsVersionCanBeRead() throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.execute("CREATE TABLE a (v INTEGER); INSERT INTO a VALUES (5); CREATE TABLE legacy_version (n INTEGER); INSERT INTO legacy_version VALUES (1);")
        #expect(throws: SQLiteMigrator.Refusal.unversionedButNotEmpty) { try SQLiteMigrator(steps: Self.steps).migrate(database) }
        #expect(try SQLiteMigrator.version(of: database) == 0)
        let adopting = SQLiteMigrator(steps: Self.steps) { try $0.integer("SELECT n FROM legacy_version") }
        #expect(try adopting.migrate(database) == 3)
        #expect(try database.integer("SELECT w FROM a") == 50)
    }
}

/// The `--db` / `--registry` argument every store reads.
@Suite struct DatabaseLocationTests {
    @Test func theFormsItReads() {
        #expect(DatabaseLocation("sqlite:/var/lib/hromada/accounting.sqlite") == .sqlite(path: "/var/lib/hromada/accounting.sqlite"))
        #expect(
            DatabaseLocation("postgres://hromada:s%40cret@db.local:6543/accounting")
                == .postgres(host: "db.local", port: 6543, user: "hromada", password: "s@cret", database: "accounting"))
        #expect(
            DatabaseLocation("postgresql://127.0.0.1/accounting") == .postgres(host: "127.0.0.1", port: 5432, user: "postgres", password: nil, database: "accounting"))
        #expect(
            DatabaseLocation("postgres://desk@/registry?socket=/run/pg/.s.PGSQL.5432")
                == .postgresSocket(path: "/run/pg/.s.PGSQL.5432", user: "desk", password: nil, database: "registry"))
    }

    @Test func aBarePathIsAnSQLiteFileOnlyWhenAsked() {
        #expect(DatabaseLocation("registry.sqlite") == nil)
        #expect(DatabaseLocation("registry.sqlite", bareTextIsSQLitePath: true) == .sqlite(path: "registry.sqlite"))
        // A PostgreSQL URL that does not parse is refused, never taken for a file name.
        #expect(DatabaseLocation("postgres://host", bareTextIsSQLitePath: true) == nil)
    }

    @Test func whatItRefuses() {
        for text in ["sqlite:", "", "mysql://host/db", "postgres://host/", "postgres:///db"] {
            #expect(DatabaseLocation(text) == nil, "\(text)")
        }
        #expect(DatabaseLocation("sqlite:", bareTextIsSQLitePath: true) == nil)
        #expect(DatabaseLocation("", bareTextIsSQLitePath: true) == nil)
    }
}
