import Synchronization

/// A value bound to, or read from, a registry statement: the four types the schema uses.
public enum DatabaseValue: Hashable, Sendable {
    /// A 64-bit integer.
    case integer(Int64)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob([UInt8])
    /// NULL.
    case null

    /// Text, or NULL for nil.
    static func optional(_ text: String?) -> DatabaseValue { text.map { .text($0) } ?? .null }
}

/// One result row, columns by position.
struct DatabaseRow: Sendable {
    var values: [DatabaseValue]

    func integer(_ column: Int) -> Int64? {
        if case .integer(let value) = values[column] { return value }
        return nil
    }

    func text(_ column: Int) -> String? {
        if case .text(let value) = values[column] { return value }
        return nil
    }

    func blob(_ column: Int) -> [UInt8]? {
        if case .blob(let value) = values[column] { return value }
        return nil
    }
}

/// Statements inside one transaction. SQL is written once for both engines with `?`
/// placeholders (PostgreSQL's `$n` are numbered for it) and the schema's few type names
/// rendered per engine (`RegistrySchema`).
protocol RegistryTransaction: Sendable {
    /// Runs a statement whose rows are not needed.
    func execute(_ sql: String, _ values: [DatabaseValue]) async throws
    /// Runs a query and returns its rows.
    func rows(_ sql: String, _ values: [DatabaseValue]) async throws -> [DatabaseRow]
}

extension RegistryTransaction {
    /// The first column of the first row as an integer.
    func integer(_ sql: String, _ values: [DatabaseValue]) async throws -> Int64? {
        try await rows(sql, values).first?.integer(0)
    }

    /// Inserts and returns the new row's id (`RETURNING id`: SQLite 3.35 and PostgreSQL).
    func insert(_ sql: String, _ values: [DatabaseValue]) async throws -> Int64 {
        guard let id = try await rows(sql + " RETURNING id", values).first?.integer(0) else {
            throw RegistryError(.statementFailed, ukrainian: "запис не повернув свого номера", english: "an insert returned no id")
        }
        return id
    }
}

/// A registry database engine: SQLite (one desk) or PostgreSQL (a centre of several desks).
protocol RegistryEngine: Sendable {
    /// Applies the schema steps the database lacks, up to `version` (all by default); returns the
    /// version reached.
    func migrate(upTo version: Int?) async throws -> Int
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<Result: Sendable>(_ body: @Sendable (any RegistryTransaction) async throws -> Result) async throws -> Result
    /// After an erasure: makes the deleted bytes unreadable in the engine's files where it can
    /// (SQLite: secure_delete is on; the write-ahead log is checkpointed and truncated).
    func scrubAfterErasure() async throws
    /// Closes the connection(s).
    func close() async
}

/// A lock for async code: one holder at a time, waiters resumed in order.
///
/// The SQLite engine has one connection; a transaction suspends between statements, so a
/// second caller must wait for the first transaction to end rather than interleave with it.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func lock() async {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    func withLock<Result>(_ body: () async throws -> Result) async throws -> Result {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
