import SQLiteSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LedgerStore {
    /// Opens the ledger's database file for one owner, every SQLite failure named as a `LedgerStoreError`.
    static func openConnection(path: String, readOnly: Bool) throws -> SQLiteConnection {
        let access: SQLiteConnection.OpenFlags = readOnly ? .readOnly : [.readWrite, .create]
        return try SQLiteConnection(
            path: path, flags: access.union([.noMutex, .extendedResultCodes]), mapFailure: LedgerStoreError.init(sqlite:))
    }
}

extension LedgerStore {
    /// fsyncs the file at `path`, if it exists (a WAL file exists only while it holds frames or
    /// a connection is open). fsync through any descriptor flushes the file's data: SQLite's own
    /// descriptor is not needed, and SQLite holds no POSIX locks on the WAL file whose release
    /// at this `close` could matter (its WAL locks live in the `-shm` file).
    static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return }
            throw LedgerStoreError(.ioError, "opening \(path) to sync it: errno \(errno)")
        }
        defer { closeDescriptor(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw LedgerStoreError(.ioError, "fsync of \(path) failed: errno \(errno)")
        }
    }
}

/// `close(2)`, out of reach of `LedgerStore.close()`'s name.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
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
