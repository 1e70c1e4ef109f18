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
    /// BEGIN IMMEDIATE, COMMIT and ROLLBACK, prepared once on first use by `write(_:)` and
    /// finalized by `close()`. Raw handles, not `SQLiteStatement`s: those keep their connection
    /// alive, and the connection holding them would never be released.
    private var transactionControl: (begin: OpaquePointer, commit: OpaquePointer, rollback: OpaquePointer)?
    /// Whether `write(_:)` is running its body.
    private var inWrite = false

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
        if let control = transactionControl {
            sqlite3_finalize(control.begin)
            sqlite3_finalize(control.commit)
            sqlite3_finalize(control.rollback)
            transactionControl = nil
        }
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

    // MARK: Write transactions

    /// Runs `body` in one write transaction: `BEGIN IMMEDIATE`, then `COMMIT` when `body`
    /// returns, `ROLLBACK` when it throws (the error is rethrown).
    ///
    /// IMMEDIATE takes the write lock at the start, so a transaction that reads and then writes
    /// cannot fail halfway on another connection's lock. Transactions do not nest: calling
    /// `write` inside `body`, or while a transaction opened by other means is open, throws a
    /// `.transaction` failure (code `.misuse`) and leaves the open transaction alone, because a
    /// nested COMMIT would silently commit the outer work early. If COMMIT itself fails, a
    /// ROLLBACK is attempted and the commit's failure is thrown.
    public func write<Result>(_ body: (SQLiteConnection) throws -> Result) throws -> Result {
        guard let handle else { throw closedFailure() }
        guard !inWrite, sqlite3_get_autocommit(handle) != 0 else {
            throw mapFailure(
                SQLiteFailure(
                    extendedCode: .misuse, message: "a transaction is already open on this connection", stage: .transaction,
                    context: "BEGIN IMMEDIATE"))
        }
        let control = try preparedTransactionControl(handle)
        try stepControl(control.begin, "BEGIN IMMEDIATE")
        inWrite = true
        defer { inWrite = false }
        do {
            let result = try body(self)
            try stepControl(control.commit, "COMMIT")
            return result
        } catch {
            // A failed COMMIT may have ended the transaction already (SQLite rolls back on some
            // errors); roll back only what is still open. A failing ROLLBACK leaves the
            // transaction open, which `isInAutocommit` shows the owner.
            if let handle = self.handle, sqlite3_get_autocommit(handle) == 0 {
                try? stepControl(control.rollback, "ROLLBACK")
            }
            throw error
        }
    }

    private func preparedTransactionControl(_ handle: OpaquePointer) throws -> (begin: OpaquePointer, commit: OpaquePointer, rollback: OpaquePointer) {
        if let transactionControl { return transactionControl }
        func prepare(_ sql: String) throws -> OpaquePointer {
            var statement: OpaquePointer?
            let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard status == SQLITE_OK, let statement else { throw failure(status, .preparing, sql) }
            return statement
        }
        let begin = try prepare("BEGIN IMMEDIATE")
        let commit: OpaquePointer
        let rollback: OpaquePointer
        do {
            commit = try prepare("COMMIT")
            do {
                rollback = try prepare("ROLLBACK")
            } catch {
                sqlite3_finalize(commit)
                throw error
            }
        } catch {
            sqlite3_finalize(begin)
            throw error
        }
        transactionControl = (begin, commit, rollback)
        return (begin, commit, rollback)
    }

    private func stepControl(_ statement: OpaquePointer, _ sql: String) throws {
        let status = sqlite3_step(statement)
        let error = status == SQLITE_DONE ? nil : failure(status, .executing, sql)
        sqlite3_reset(statement)
        if let error { throw error }
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
