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
