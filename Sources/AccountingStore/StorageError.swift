@_exported import Diagnostics

/// The storage failed (database unreachable, disk full, a schema it does not know, a constraint
/// the code did not expect).
///
/// Answered as 503 with a generic message: the details go to the log, not to the client.
/// Equality compares the code only.
public struct StorageError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<StorageError>

    /// What went wrong.
    public let code: Code
    /// What happened, for the log.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == StorageError {
    /// The database cannot be opened or reached.
    public static var unavailable: Self { Self("unavailable") }
    /// The storage is closed (or was never started); nothing more can be done with it.
    public static var closed: Self { Self("closed") }
    /// `run()` was called on a storage that is already running.
    public static var alreadyRunning: Self { Self("already-running") }
    /// The database's schema is newer than this code, or the database is not this store's.
    public static var schemaRefused: Self { Self("schema-refused") }
    /// The database cannot be used the way the store needs (e.g. no WAL mode).
    public static var misconfigured: Self { Self("misconfigured") }
    /// A statement failed (disk full, I/O error, a constraint).
    public static var statementFailed: Self { Self("statement-failed") }
    /// Concurrent writers kept moving a device's head; the request may be retried.
    public static var contention: Self { Self("contention") }
    /// A query was asked in a form the store does not answer (a cursor of another order).
    public static var invalidQuery: Self { Self("invalid-query") }
    /// Something the store relies on did not hold (a row it just wrote was not there).
    public static var inconsistent: Self { Self("inconsistent") }
}
