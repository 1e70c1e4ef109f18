import AccountingCore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import SQLiteSupport

/// The accounting store in one SQLite file: WAL, `synchronous=FULL`, one connection owned by an actor.
///
/// The default for one town: nothing to install, and a batch of 1000 entries is one transaction.
/// Calls block the actor's thread while SQLite works; at a town's upload rate (a few batches a
/// minute) that costs nothing, and a region uses PostgreSQL.
///
/// Needs nothing running, but honours the `Service` contract all the same: `run()` waits until
/// the storage is closed, cancelled or shut down, then closes the file.
public actor SQLiteStorage: AccountingStorage {
    private let database: SQLiteConnection
    private let lifetime = StorageLifetime()
    /// The database file.
    public let path: String

    /// Opens (or creates) the database at `path`; call `migrate()` before use.
    public init(path: String) throws {
        self.path = path
        database = try SQLiteConnection.accountingStorage(path: path)
        try database.execute("PRAGMA busy_timeout = 5000")
        let mode = try database.prepare("PRAGMA journal_mode = WAL")
        _ = try mode.step()
        guard mode.text(0).lowercased() == "wal" else { throw StorageError(.misconfigured, "\(path) cannot use WAL mode") }
        try database.execute("PRAGMA synchronous = FULL")
        try database.execute("PRAGMA foreign_keys = ON")
    }

    private static func render(_ sql: String) -> String {
        Migrations.render(sql, blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT")
    }

    private func rows<T>(_ sql: String, _ values: [SQLiteValue] = [], _ read: (SQLiteStatement) throws -> T) throws -> [T] {
        let statement = try database.prepare(sql)
        try statement.bind(values)
        var out: [T] = []
        while try statement.step() { out.append(try read(statement)) }
        return out
    }

    /// The steps of `Migrations` as an `SQLiteMigrator`.
    ///
    /// Databases made before the migrator recorded their versions only in `schema_migrations`;
    /// such a database is taken at its highest recorded version.
    private var migrator: SQLiteMigrator {
        SQLiteMigrator(
            steps: Migrations.all.map { migration in
                SQLiteMigrator.Step(version: Int64(migration.version)) { connection in
                    for statement in migration.statements { try connection.execute(Self.render(statement)) }
                }
            },
            unversionedVersion: { connection in
                guard try connection.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'") == 1 else { return nil }
                return try connection.integer("SELECT max(version) FROM schema_migrations")
            })
    }

    public func migrate() throws -> Int {
        do {
            return Int(try migrator.migrate(database))
        } catch let refusal as SQLiteMigrator.Refusal {
            throw StorageError(.schemaRefused, "\(path): \(refusal)")
        }
    }

    public nonisolated func run() async throws {
        try lifetime.claimRun()
        await lifetime.waitUntilClosed()
        await close()
    }

    public func healthCheck() throws {
        _ = try rows("SELECT 1") { $0.integer(0) }
    }

    public func close() {
        lifetime.close()
        database.close()
    }

    public func admitNonce(_ nonce: String, of device: DeviceID, signedAt timestamp: UnixTime, forgettingBefore cutoff: UnixTime) throws -> Bool {
        try database.write { database in
            try database.prepare("DELETE FROM request_nonces WHERE signed_at < ?").run([.integer(cutoff.rawValue)])
            try database.prepare("INSERT INTO request_nonces (device_id, nonce, signed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .run([.integer(Int64(device.rawValue)), .text(nonce), .integer(timestamp.rawValue)])
            return try database.integer("SELECT changes()") == 1
        }
    }

    @discardableResult
    public func register(_ registration: DeviceRegistration) throws -> RegistrationOutcome {
        let values = try registrationValues(registration)
        return try database.write { database in
            // In the write transaction, so the check and the insert see the same rows.
            let owner = try database.prepare("SELECT device_id FROM devices WHERE public_key = ? AND device_id <> ?")
            try owner.bind([.blob(registration.certificate.publicKey.rawRepresentation), .integer(Int64(registration.deviceID.rawValue))])
            if try owner.step() {
                return .keyRegisteredToAnotherDevice(DeviceID(rawValue: UInt32(truncatingIfNeeded: owner.integer(0))))
            }
            try database.prepare(
                """
                INSERT INTO devices (device_id, key_id, public_key, certificate, label, registered_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (device_id) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
                  certificate = excluded.certificate, label = excluded.label, registered_at = excluded.registered_at
                """
            ).run(values)
            return .registered
        }
    }

    public func registration(of device: DeviceID) throws -> DeviceRegistration? {
        try rows("SELECT device_id, certificate, label, registered_at FROM devices WHERE device_id = ?", [.integer(Int64(device.rawValue))], readRegistration).first
    }

    public func registrations() throws -> [DeviceRegistration] {
        try rows("SELECT device_id, certificate, label, registered_at FROM devices ORDER BY device_id", [], readRegistration)
    }

    private func readRegistration(_ row: SQLiteStatement) throws -> DeviceRegistration {
        DeviceRegistration(
            deviceID: DeviceID(rawValue: UInt32(truncatingIfNeeded: row.integer(0))),
            certificate: try Certificate(decoding: row.blob(1)), label: row.text(2), registeredAt: UnixTime(row.integer(3)))
    }

    public func head(of device: DeviceID) throws -> ChainHead {
        let found = try rows("SELECT sequence, chain_hash FROM device_heads WHERE device_id = ?", [.integer(Int64(device.rawValue))]) {
            ChainHead(deviceID: device, sequence: UInt64($0.integer(0)), hash: try ChainHash(bytes: $0.blob(1)))
        }
        return found.first ?? .genesis(for: device)
    }

    public func heldHashes(of device: DeviceID, in range: ClosedRange<UInt64>) throws -> [UInt64: ChainHash] {
        var out: [UInt64: ChainHash] = [:]
        for (sequence, hash) in try rows(
            "SELECT sequence, hash FROM entries WHERE device_id = ? AND sequence BETWEEN ? AND ?",
            [.integer(Int64(device.rawValue)), .integer(Int64(clamping: range.lowerBound)), .integer(Int64(clamping: range.upperBound))],
            { (UInt64($0.integer(0)), try ChainHash(bytes: $0.blob(1))) })
        {
            out[sequence] = hash
        }
        return out
    }

    public func commit(_ commit: IngestCommit) throws -> CommitOutcome {
        guard let last = commit.entries.last else { return .committed }
        let device = Int64(commit.expectedHead.deviceID.rawValue)
        return try database.write { database in
            let current = try head(of: commit.expectedHead.deviceID)
            guard current == commit.expectedHead else { return .headMoved }
            let insert = try database.prepare(
                "INSERT INTO entries (device_id, sequence, kind, device_time, bytes, hash, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for entry in commit.entries {
                try insert.run([
                    .integer(device), .integer(Int64(entry.sequence)), .integer(Int64(entry.record.kind.rawValue)),
                    .integer(entry.record.deviceTime.rawValue), .blob(entry.canonicalBytes), .blob(entry.hash.bytes),
                    .integer(commit.receivedAt.rawValue),
                ])
            }
            try database.prepare(
                "INSERT INTO device_heads (device_id, sequence, chain_hash) VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET sequence = excluded.sequence, chain_hash = excluded.chain_hash"
            ).run([.integer(device), .integer(Int64(last.sequence)), .blob(last.hash.bytes)])
            try database.prepare(
                "INSERT INTO checkpoints (device_id, sequence, chain_hash, signature) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
            ).run([.integer(device), .integer(Int64(commit.checkpoint.sequence)), .blob(commit.checkpoint.chainHash.bytes), .blob(commit.checkpoint.signature)])
            try insertReceipt(commit.receipt)
            return .committed
        }
    }

    private func insertReceipt(_ receipt: Receipt) throws {
        try database.prepare(
            "INSERT INTO receipts (device_id, sequence, chain_hash, signature) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
        ).run([
            .integer(Int64(receipt.deviceID.rawValue)), .integer(Int64(receipt.sequence)), .blob(receipt.chainHash.bytes),
            .blob(receipt.signature),
        ])
    }

    public func receipt(of device: DeviceID, at sequence: UInt64) throws -> Receipt? {
        try rows(
            "SELECT sequence, chain_hash, signature FROM receipts WHERE device_id = ? AND sequence = ?",
            [.integer(Int64(device.rawValue)), .integer(Int64(clamping: sequence))]
        ) { try Receipt(deviceID: device, sequence: UInt64($0.integer(0)), chainHash: try ChainHash(bytes: $0.blob(1)), signature: $0.blob(2)) }.first
    }

    public func latestReceipt(of device: DeviceID) throws -> Receipt? {
        try rows(
            "SELECT sequence, chain_hash, signature FROM receipts WHERE device_id = ? ORDER BY sequence DESC LIMIT 1",
            [.integer(Int64(device.rawValue))]
        ) { try Receipt(deviceID: device, sequence: UInt64($0.integer(0)), chainHash: try ChainHash(bytes: $0.blob(1)), signature: $0.blob(2)) }.first
    }

    public func storeReceipt(_ receipt: Receipt) throws { try insertReceipt(receipt) }

    public func recordAlarm(_ alarm: TamperAlarm) throws {
        try database.prepare(
            "INSERT INTO tamper_alarms (device_id, sequence, held_hash, offered_hash, batch_range, recorded_at) VALUES (?, ?, ?, ?, ?, ?)"
        ).run([
            .integer(Int64(alarm.device)), .integer(Int64(clamping: alarm.sequence)), .blob(Hex.decode(alarm.heldHash) ?? []),
            .blob(Hex.decode(alarm.offeredHash) ?? []), .text(alarm.batchRange), .integer(alarm.recordedAt),
        ])
    }

    public func alarms() throws -> [TamperAlarm] {
        try rows("SELECT device_id, sequence, held_hash, offered_hash, batch_range, recorded_at FROM tamper_alarms ORDER BY id") {
            TamperAlarm(
                device: UInt32(truncatingIfNeeded: $0.integer(0)), sequence: UInt64($0.integer(1)), heldHash: Hex.encode($0.blob(2)),
                offeredHash: Hex.encode($0.blob(3)), batchRange: $0.text(4), recordedAt: $0.integer(5))
        }
    }

    public func entries(device: DeviceID?, after cursor: (device: UInt32, sequence: UInt64)?, limit: Int) throws -> [StoredEntry] {
        let afterDevice = Int64(cursor?.device ?? 0)
        let afterSequence = cursor.map { Int64(clamping: $0.sequence) } ?? 0
        let sql: String
        var values: [SQLiteValue]
        if let device {
            sql = "SELECT bytes, received_at FROM entries WHERE device_id = ? AND sequence > ? ORDER BY sequence LIMIT ?"
            values = [.integer(Int64(device.rawValue)), .integer(cursor?.device == device.rawValue ? afterSequence : 0)]
        } else {
            sql = "SELECT bytes, received_at FROM entries WHERE (device_id > ?) OR (device_id = ? AND sequence > ?) ORDER BY device_id, sequence LIMIT ?"
            values = [.integer(afterDevice), .integer(afterDevice), .integer(cursor == nil ? -1 : afterSequence)]
        }
        values.append(.integer(Int64(limit)))
        return try rows(sql, values) { StoredEntry(entry: try LedgerEntry(canonicalBytes: $0.blob(0)), receivedAt: UnixTime($0.integer(1))) }
    }

    public func entryCount() throws -> Int {
        Int(try rows("SELECT count(*) FROM entries") { $0.integer(0) }.first ?? 0)
    }

    public func checkpoints(of device: DeviceID) throws -> [Checkpoint] {
        try rows("SELECT sequence, chain_hash, signature FROM checkpoints WHERE device_id = ? ORDER BY sequence", [.integer(Int64(device.rawValue))]) {
            try Checkpoint(deviceID: device, sequence: UInt64($0.integer(0)), chainHash: try ChainHash(bytes: $0.blob(1)), signature: $0.blob(2))
        }
    }

    public func addOperatorToken(hash: [UInt8], identity: OperatorIdentity, createdAt: UnixTime) throws {
        try database.prepare("INSERT INTO operator_tokens (token_hash, role, label, created_at) VALUES (?, ?, ?, ?)")
            .run([.blob(hash), .text(identity.role.rawValue), .text(identity.label), .integer(createdAt.rawValue)])
    }

    public func operatorIdentity(tokenHash hash: [UInt8]) throws -> OperatorIdentity? {
        try rows("SELECT role, label FROM operator_tokens WHERE token_hash = ?", [.blob(hash)]) { row in
            OperatorRole(rawValue: row.text(0)).map { OperatorIdentity(role: $0, label: row.text(1)) }
        }.first ?? nil
    }

    public func storeBundle(_ bundle: StoredBundle) throws {
        try database.prepare("INSERT INTO bundles (kind, version, bytes, uploaded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .run([.integer(Int64(bundle.kind.rawValue)), .integer(Int64(bundle.version)), .blob(bundle.bytes), .integer(bundle.uploadedAt.rawValue)])
    }

    public func latestBundle(_ kind: BundleKind) throws -> StoredBundle? {
        try rows("SELECT version, bytes, uploaded_at FROM bundles WHERE kind = ? ORDER BY version DESC LIMIT 1", [.integer(Int64(kind.rawValue))]) {
            StoredBundle(kind: kind, version: UInt32(truncatingIfNeeded: $0.integer(0)), bytes: $0.blob(1), uploadedAt: UnixTime($0.integer(2)))
        }.first
    }

    public func addDenyListRequest(cardSerial: String, reason: String, reportedBy: String, at time: UnixTime) throws -> Int64 {
        try database.write { database in
            try database.prepare("INSERT INTO deny_list_requests (card_serial, reason, reported_by, reported_at) VALUES (?, ?, ?, ?)")
                .run([.text(cardSerial), .text(reason), .text(reportedBy), .integer(time.rawValue)])
            return try database.integer("SELECT last_insert_rowid()") ?? 0
        }
    }

    public func denyListRequests() throws -> [DenyListRequest] {
        try rows("SELECT id, card_serial, reason, reported_by, reported_at FROM deny_list_requests ORDER BY id") {
            DenyListRequest(id: $0.integer(0), cardSerial: $0.text(1), reason: $0.text(2), reportedBy: $0.text(3), reportedAt: $0.integer(4))
        }
    }

    private func registrationValues(_ registration: DeviceRegistration) throws -> [SQLiteValue] {
        [
            .integer(Int64(registration.deviceID.rawValue)), .integer(Int64(registration.certificate.keyID.rawValue)),
            .blob(registration.certificate.publicKey.rawRepresentation), .blob(try registration.certificate.encoded()),
            .text(registration.label), .integer(registration.registeredAt.rawValue),
        ]
    }
}
