import SQLiteSupport

extension SQLiteConnection {
    /// Opens (or creates) the service's database file in serialized mode, every SQLite failure
    /// reported as a `StorageError`.
    static func accountingStorage(path: String) throws -> SQLiteConnection {
        try SQLiteConnection(path: path, flags: [.readWrite, .create, .fullMutex], mapFailure: StorageError.init(sqlite:))
    }
}

extension StorageError {
    /// The storage error for an SQLite failure: the details are for the log, never the client.
    init(sqlite failure: SQLiteFailure) {
        switch failure.stage {
        case .opening: self.init(.unavailable, "cannot open \(failure.context): \(failure.message)")
        case .closed: self.init(.closed, "the database is closed")
        default: self.init(.statementFailed, "SQLite \(failure.extendedCode.rawValue) (\(failure.message)) in: \(failure.context.prefix(120))")
        }
    }
}
