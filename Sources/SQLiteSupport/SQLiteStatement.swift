import CSQLite

/// A prepared statement, finalized when released; reset and reused on hot paths.
///
/// Parameters are numbered from 1 and columns from 0, as in SQLite. Bound bytes and text are
/// copied by SQLite (SQLITE_TRANSIENT) before `bind` returns, so no Swift buffer must outlive it.
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Makes the statement ready to run again and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds an integer to parameter `index`.
    public func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds bytes to parameter `index` as a blob; an empty array binds an empty blob, not NULL.
    public func bind(_ index: Int32, _ bytes: [UInt8]) throws {
        let status = bytes.withUnsafeBytes { buffer in
            // A null pointer would bind NULL; any non-null pointer with a zero count binds an empty blob.
            csqlite_bind_blob_copy(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count))
        }
        try check(status)
    }

    /// Binds text (UTF-8) to parameter `index`.
    public func bind(_ index: Int32, _ text: String) throws {
        var text = text
        let status = text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                csqlite_bind_text_copy(handle, index, chars.baseAddress, Int32(chars.count))
            }
        }
        try check(status)
    }

    /// Binds NULL to parameter `index`.
    public func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds `value` to parameter `index`.
    public func bind(_ index: Int32, _ value: SQLiteValue) throws {
        switch value {
        case .integer(let number): try bind(index, number)
        case .text(let text): try bind(index, text)
        case .blob(let bytes): try bind(index, bytes)
        case .null: try bindNull(index)
        }
    }

    /// Binds `values` to parameters 1, 2, … in order.
    public func bind(_ values: [SQLiteValue]) throws {
        for (offset, value) in values.enumerated() { try bind(Int32(offset + 1), value) }
    }

    /// Steps once: true when a row is ready, false when the statement is done.
    ///
    /// On failure the statement is reset (so its locks are released) before the error is thrown.
    public func step() throws -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.failure(status, .stepping, String(cString: sqlite3_sql(handle)))
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs to completion, ignoring rows, then resets for the next use.
    public func run() throws {
        defer { reset() }
        while try step() {}
    }

    /// Binds `values`, runs to completion and resets for the next use.
    public func run(_ values: [SQLiteValue]) throws {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    /// Column `column` of the current row as an integer (0 for NULL).
    public func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// The number of columns in the statement's result rows.
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// Column `column` of the current row as the type SQLite holds it in (a REAL is read as
    /// text, which no HromadaCard schema uses).
    public func value(_ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(integer(column))
        case SQLITE_BLOB: .blob(blob(column))
        default: .text(text(column))
        }
    }

    /// Whether column `column` of the current row is NULL.
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// Column `column` of the current row as bytes (empty for NULL).
    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Column `column` of the current row as text (empty for NULL).
    public func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: pointer)
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw connection.failure(status, .binding, "bind") }
    }
}

/// A value for a statement parameter, for binding a list of values at once.
public enum SQLiteValue: Hashable, Sendable {
    /// An integer.
    case integer(Int64)
    /// UTF-8 text.
    case text(String)
    /// Bytes, bound as a blob (empty stays an empty blob, not NULL).
    case blob([UInt8])
    /// NULL.
    case null
}
