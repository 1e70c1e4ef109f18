import SQLiteSupport
import Synchronization

/// A second connection to the storage's file, for the reads on ingest's path (registration,
/// head, held hashes, receipt).
///
/// Why: the storage's actor holds the writing connection and blocks on its fsync; with many
/// devices uploading at once, their reads would queue behind every commit. In WAL mode a reader
/// sees the last committed transaction without waiting for the writer, and every commit still
/// re-checks the head on the writing connection, so a read that is a moment old decides nothing
/// on its own. A lock guards the connection and its kept statements (reads take microseconds).
final class SQLiteReadConnection: Sendable {
    private struct State {
        var connection: SQLiteConnection?
        var statements: [String: SQLiteStatement] = [:]
    }

    private let state: Mutex<State>

    /// Opens the file at `path`, which the writing connection has already put in WAL mode.
    init(path: String) throws {
        let connection = try SQLiteConnection.accountingStorage(path: path)
        try connection.execute("PRAGMA busy_timeout = 5000")
        state = Mutex(State(connection: connection))
    }

    /// The rows of `sql` with `values`, each read by `read`; a `StorageError` once closed.
    func rows<T: Sendable>(_ sql: String, _ values: [SQLiteValue], _ read: (SQLiteStatement) throws -> T) throws -> [T] {
        try state.withLock { state throws -> [T] in
            guard let connection = state.connection else { throw StorageError(.closed, "the database is closed") }
            let statement: SQLiteStatement
            if let prepared = state.statements[sql] {
                statement = prepared
            } else {
                statement = try connection.prepare(sql, persistent: true)
                state.statements[sql] = statement
            }
            defer { statement.reset() }
            try statement.bind(values)
            var out: [T] = []
            while try statement.step() { out.append(try read(statement)) }
            return out
        }
    }

    /// Closes the connection (its statements first). Idempotent.
    func close() {
        state.withLock { state in
            state.statements = [:]
            state.connection?.close()
            state.connection = nil
        }
    }
}
