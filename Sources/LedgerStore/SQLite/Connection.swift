import CSQLite

/// One SQLite connection, owned by one store; statements prepared on it die with it.
///
/// Not `Sendable`: a connection is used from one place at a time (SQLITE_OPEN_NOMUTEX).
final class Connection {
    private(set) var handle: OpaquePointer?

    init(path: String, readOnly: Bool) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw Connection.error(status, "opening \(path): \(message)")
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Whether SQLite opened the main database read-only (e.g. the file could not be opened for writing).
    var isReadOnly: Bool { handle.map { sqlite3_db_readonly($0, "main") == 1 } ?? true }

    /// False while a transaction is open.
    var isInAutocommit: Bool { handle.map { sqlite3_get_autocommit($0) != 0 } ?? true }

    /// Runs SQL that returns no rows we need (schema, pragmas, transaction control).
    func execute(_ sql: String) throws {
        guard let handle else { throw LedgerStoreError(.notWritable, "the store is closed") }
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(status, sql) }
    }

    func prepare(_ sql: String, persistent: Bool = false) throws -> Statement {
        guard let handle else { throw LedgerStoreError(.notWritable, "the store is closed") }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(
            handle, sql, -1, persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status, sql) }
        return Statement(statement, connection: self)
    }

    /// The first column of the first row of `sql`, as an integer, or nil when there is no row.
    func integer(_ sql: String) throws -> Int64? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.integer(0) : nil
    }

    /// The first column of the first row of `sql`, as text.
    func text(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.text(0) : nil
    }

    func failure(_ status: Int32, _ context: String) -> LedgerStoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? ""
        return Connection.error(status, "\(message) (\(context))")
    }

    /// Names an SQLite result code: the validator's out-of-service rules depend on these.
    static func error(_ status: Int32, _ reason: String) -> LedgerStoreError {
        let code: LedgerStoreError.Code =
            switch status & 0xFF {
            case SQLITE_FULL: .diskFull
            case SQLITE_READONLY: .readOnly
            case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
            case SQLITE_IOERR: .ioError
            case SQLITE_CANTOPEN, SQLITE_PERM: .cannotOpen
            case SQLITE_BUSY, SQLITE_LOCKED: .busy
            case SQLITE_CONSTRAINT where status == csqlite_constraint_trigger: .appendOnly
            default: .sqlite
            }
        return LedgerStoreError(code, reason, sqliteCode: status)
    }
}

/// A prepared statement; reused across calls (`reset`) on the hot append path.
final class Statement {
    private var handle: OpaquePointer?
    private unowned let connection: Connection

    init(_ handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value), "bind")
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) throws {
        let status = bytes.withUnsafeBytes { buffer in
            // A zero-length blob still needs a non-null pointer to bind as a blob, not NULL.
            csqlite_bind_blob_copy(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count))
        }
        try check(status, "bind")
    }

    func bind(_ index: Int32, _ text: String) throws {
        var text = text
        let status = text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                csqlite_bind_text_copy(handle, index, chars.baseAddress, Int32(chars.count))
            }
        }
        try check(status, "bind")
    }

    /// Steps once: true when a row is ready, false when done.
    func step() throws -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.failure(status, String(cString: sqlite3_sql(handle)))
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs a statement that returns no rows, then resets it for reuse.
    func run() throws {
        defer { reset() }
        while try step() {}
    }

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: pointer)
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status == SQLITE_OK else { throw connection.failure(status, what) }
    }
}
