import Entitlements
import Identifiers
import SQLiteSupport

/// A second, read-only connection to the SQLite store's file, on a thread of its own, for the
/// read a device request makes before its body is decoded: the device's registration (and,
/// once, the stored nonces the replay window starts from).
///
/// Why: the store's one writing connection runs one call at a time, and a batch's commit holds it
/// for several milliseconds. A registration read queued behind it held the next request back
/// until the commit ended, and only then could its body be decoded, while the writer waited for
/// it. In WAL mode a reader sees the last committed state and never waits for the writer.
///
/// What it reads is what another connection (`hromada-accounting register-device`, say) has
/// committed, like the writer's own reads: a registration is never kept in memory.
actor SQLiteReader {
    private let database: SQLiteConnection
    private nonisolated let executor = DedicatedThreadExecutor(name: "hromada-sqlite-read")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// Prepared on first use: the table may not exist until the store is migrated.
    private var registrationRead: SQLiteStatement?

    /// Opens `path`, which the writer has opened (and so set to WAL) already.
    init(path: String) throws {
        database = try SQLiteConnection(path: path, flags: [.readOnly, .fullMutex], mapFailure: StorageError.init(sqlite:))
        try database.execute("PRAGMA busy_timeout = 5000")
    }

    /// The device's registration, or nil when it has none.
    func registration(of device: DeviceID) throws -> DeviceRegistration? {
        let statement = try registrationRead ?? database.prepare(SQLiteStorage.registrationSQL + " WHERE device_id = ?", persistent: true)
        registrationRead = statement
        defer { statement.reset() }
        try statement.bind([.integer(Int64(device.rawValue))])
        return try statement.step() ? try SQLiteStorage.readRegistration(statement) : nil
    }

    /// The nonces `request_nonces` holds.
    func storedNonces() throws -> [NonceWindow.Admitted] {
        let statement = try database.prepare("SELECT device_id, nonce, signed_at FROM request_nonces")
        var out: [NonceWindow.Admitted] = []
        while try statement.step() {
            out.append(
                NonceWindow.Admitted(
                    key: NonceWindow.Key(device: DeviceID(rawValue: UInt32(truncatingIfNeeded: statement.integer(0))), nonce: statement.text(1)),
                    signedAt: UnixTime(statement.integer(2))))
        }
        return out
    }

    /// Closes the connection; later reads throw `StorageError(.closed)`.
    func close() {
        registrationRead = nil
        database.close()
    }
}
