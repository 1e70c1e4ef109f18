import CSQLite
import Diagnostics

/// A failure reported by SQLite: its result codes, its message and what was being done.
///
/// This is not an error domain of its own: each store maps it to its own error (the ledger's
/// `LedgerStoreError`, the accounting service's `StorageError`) through the `mapFailure`
/// function given when the connection is opened, so callers keep seeing their module's errors.
/// It still has the shape of every error (`CodedError`): its code is SQLite's extended result
/// code and equality compares that code.
public struct SQLiteFailure: CodedError {
    /// The stable code: SQLite's extended result code.
    public typealias Code = ResultCode

    /// What the connection was doing when SQLite failed.
    public enum Stage: Hashable, Sendable {
        /// Opening the file; `context` is the path.
        case opening
        /// The connection had already been closed; no SQLite call was made.
        case closed
        /// Running SQL with `execute`; `context` is the SQL.
        case executing
        /// Preparing a statement; `context` is the SQL.
        case preparing
        /// Binding a parameter; `context` is "bind".
        case binding
        /// Stepping a statement; `context` is the statement's SQL.
        case stepping
        /// `write(_:)` refused to open a transaction inside another one; no SQLite call was made.
        case transaction
    }

    /// The primary result code (the extended code's low byte), e.g. `.full`, `.constraint`.
    public var resultCode: ResultCode { ResultCode(extendedCode.rawValue & 0xFF) }
    /// The extended result code as SQLite returned it, e.g. `.constraintTrigger`.
    public let extendedCode: ResultCode
    /// SQLite's message (`sqlite3_errmsg`), or a description when SQLite gave none.
    public let message: String
    /// What the connection was doing.
    public let stage: Stage
    /// The path being opened, the SQL being run, or "bind".
    public let context: String

    /// Creates a failure from SQLite's extended result code.
    public init(extendedCode: ResultCode, message: String, stage: Stage, context: String) {
        self.extendedCode = extendedCode
        self.message = message
        self.stage = stage
        self.context = context
    }

    /// The extended result code.
    public var code: ResultCode { extendedCode }

    /// SQLite's message.
    public var reason: String { message }

    /// Matches a failure whose primary or extended code is `pattern` (so `case .constraint`
    /// also matches `constraintTrigger`); this takes precedence over `CodedError`'s exact match.
    public static func ~= (pattern: ResultCode, failure: SQLiteFailure) -> Bool {
        failure.extendedCode == pattern || failure.resultCode == pattern
    }

    /// The code, the message and the context.
    public var description: String { "SQLite \(extendedCode.rawValue) (\(message)) in: \(context.prefix(120))" }
}

extension SQLiteFailure {
    /// An SQLite result code, primary or extended, by name.
    public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The numeric code SQLite uses.
        public let rawValue: Int32
        /// Wraps a numeric code.
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Wraps a numeric code.
        public init(_ rawValue: Int32) { self.rawValue = rawValue }
        /// The numeric code, as SQLite's documentation lists it.
        public var description: String { "SQLite \(rawValue)" }

        /// SQLITE_ERROR: a generic error (bad SQL, missing table).
        public static let error = ResultCode(SQLITE_ERROR)
        /// SQLITE_PERM: access permission denied.
        public static let permission = ResultCode(SQLITE_PERM)
        /// SQLITE_BUSY: the database file is locked by another connection.
        public static let busy = ResultCode(SQLITE_BUSY)
        /// SQLITE_LOCKED: a table is locked within this connection's shared cache.
        public static let locked = ResultCode(SQLITE_LOCKED)
        /// SQLITE_READONLY: an attempt to write a read-only database.
        public static let readOnly = ResultCode(SQLITE_READONLY)
        /// SQLITE_IOERR: the operating system reported an I/O error.
        public static let ioError = ResultCode(SQLITE_IOERR)
        /// SQLITE_CORRUPT: the database image is malformed.
        public static let corrupt = ResultCode(SQLITE_CORRUPT)
        /// SQLITE_FULL: the disk, or the database's page limit, is full.
        public static let full = ResultCode(SQLITE_FULL)
        /// SQLITE_CANTOPEN: the file cannot be opened.
        public static let cannotOpen = ResultCode(SQLITE_CANTOPEN)
        /// SQLITE_CONSTRAINT: a constraint refused the change.
        public static let constraint = ResultCode(SQLITE_CONSTRAINT)
        /// SQLITE_MISUSE: the library was used wrongly (e.g. on a closed connection).
        public static let misuse = ResultCode(SQLITE_MISUSE)
        /// SQLITE_NOTADB: the file is not a database.
        public static let notADatabase = ResultCode(SQLITE_NOTADB)
        /// SQLITE_NOMEM: SQLite could not allocate memory.
        public static let outOfMemory = ResultCode(SQLITE_NOMEM)
        /// SQLITE_CONSTRAINT_TRIGGER: a trigger's RAISE refused the change.
        public static let constraintTrigger = ResultCode(csqlite_constraint_trigger)
    }
}
