import SQLiteSupport

extension LedgerStore {
    /// Opens the ledger's database file for one owner, every SQLite failure named as a `LedgerStoreError`.
    static func openConnection(path: String, readOnly: Bool) throws -> SQLiteConnection {
        let access: SQLiteConnection.OpenFlags = readOnly ? .readOnly : [.readWrite, .create]
        return try SQLiteConnection(
            path: path, flags: access.union([.noMutex, .extendedResultCodes]), mapFailure: LedgerStoreError.init(sqlite:))
    }
}

extension LedgerStoreError {
    /// Names an SQLite failure: the validator's out-of-service rules depend on these codes.
    init(sqlite failure: SQLiteFailure) {
        if failure.stage == .closed {
            self.init(.notWritable, "the store is closed")
            return
        }
        let reason =
            switch failure.stage {
            case .opening: "opening \(failure.context): \(failure.message)"
            default: "\(failure.message) (\(failure.context))"
            }
        let code: Code =
            switch failure {
            case .full: .diskFull
            case .readOnly: .readOnly
            case .corrupt, .notADatabase: .corrupt
            case .ioError: .ioError
            case .cannotOpen, .permission: .cannotOpen
            case .busy, .locked: .busy
            // Only a trigger's RAISE means "append-only"; a duplicate sequence is another constraint.
            case .constraintTrigger: .appendOnly
            default: .sqlite
            }
        self.init(code, reason, sqliteCode: failure.extendedCode.rawValue)
    }
}
