import CSQLite

/// One SQLite connection with one owner; statements prepared on it keep it alive.
///
/// Not `Sendable`: a connection is used from one place at a time (an actor, or a class with one
/// owner). Every failure is built as an `SQLiteFailure` and passed through the `mapFailure`
/// function given at opening, so each store throws its own error domain without a translation
/// layer around every call; the mapping runs only when something failed, never on the hot path.
public final class SQLiteConnection {
    /// How to open the database file (`sqlite3_open_v2` flags).
    public struct OpenFlags: OptionSet, Sendable {
        /// The raw flag bits.
        public let rawValue: Int32
        /// Wraps raw flag bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Open for reading only.
        public static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        /// Open for reading and writing.
        public static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        /// Create the file if it does not exist (with `readWrite`).
        public static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
        /// No mutex on the connection: the owner guarantees one user at a time.
        public static let noMutex = OpenFlags(rawValue: SQLITE_OPEN_NOMUTEX)
        /// Serialized mode: SQLite locks the connection on every call.
        public static let fullMutex = OpenFlags(rawValue: SQLITE_OPEN_FULLMUTEX)
        /// Report extended result codes from the open call itself, too.
        public static let extendedResultCodes = OpenFlags(rawValue: SQLITE_OPEN_EXRESCODE)
    }

    /// Turns a failure into the error the owner throws; the identity by default.
    public typealias FailureMapping = (SQLiteFailure) -> any Error

    private(set) var handle: OpaquePointer?
    private let mapFailure: FailureMapping

    /// Opens the database at `path`; extended result codes are on for every later call.
    ///
    /// Throws `mapFailure` of an `.opening` failure whose `context` is `path`.
    public init(path: String, flags: OpenFlags, mapFailure: @escaping FailureMapping = { $0 }) throws {
        self.mapFailure = mapFailure
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, flags.rawValue, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw mapFailure(SQLiteFailure(extendedCode: .init(status), message: message, stage: .opening, context: path))
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
    }

    deinit { close() }

    /// Closes the connection; later calls fail with a `.closed` failure. Idempotent.
    public func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { handle != nil }

    /// Whether SQLite opened the main database read-only (e.g. the file could not be opened for writing).
    public var isReadOnly: Bool { handle.map { sqlite3_db_readonly($0, "main") == 1 } ?? true }

    /// False while a transaction is open.
    public var isInAutocommit: Bool { handle.map { sqlite3_get_autocommit($0) != 0 } ?? true }

    /// Runs SQL whose rows are not needed (schema, pragmas, transaction control); may hold several statements.
    public func execute(_ sql: String) throws {
        guard let handle else { throw closedFailure() }
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(status, .executing, sql) }
    }

    /// Prepares one statement; `persistent` tells SQLite it will be reused many times.
    public func prepare(_ sql: String, persistent: Bool = false) throws -> SQLiteStatement {
        guard let handle else { throw closedFailure() }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(
            handle, sql, -1, persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status, .preparing, sql) }
        return SQLiteStatement(statement, connection: self)
    }

    /// The first column of the first row of `sql` as an integer, or nil when there is no row.
    public func integer(_ sql: String) throws -> Int64? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.integer(0) : nil
    }

    /// The first column of the first row of `sql` as text, or nil when there is no row.
    public func text(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.text(0) : nil
    }

    /// The owner's error for a failed SQLite call, with SQLite's current message.
    func failure(_ status: Int32, _ stage: SQLiteFailure.Stage, _ context: String) -> any Error {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? ""
        return mapFailure(SQLiteFailure(extendedCode: .init(status), message: message, stage: stage, context: context))
    }

    private func closedFailure() -> any Error {
        mapFailure(SQLiteFailure(extendedCode: .misuse, message: "the database is closed", stage: .closed, context: ""))
    }
}
