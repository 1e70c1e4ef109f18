import AccountingCore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The accounting store in PostgreSQL, through postgres-nio's connection pool.
///
/// The same schema and the same behaviour as `SQLiteStorage` (the test suite runs against both).
/// Several service instances may share one database: `commit` moves a device's head with a
/// compare-and-set inside the transaction, so concurrent uploads of one device never both append.
///
/// The pool works only while `run()` runs (in the program's `ServiceGroup` or a task group):
/// creating the storage connects nothing and starts no task.
public final class PostgresStorage: AccountingStorage {
    private let client: PostgresClient
    private let logger: Logger
    private let lifetime = StorageLifetime()

    /// A storage over the pool for `configuration`; the pool connects once `run()` runs.
    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until `close()`, cancellation or graceful shutdown.
    public func run() async throws {
        try lifetime.claimRun()
        await withTaskGroup(of: Void.self) { group in
            // The pool ends on graceful shutdown by itself; closing the storage ends it too.
            group.addTask {
                // Calls waiting in `pool()` go ahead once the pool has been started, so that they
                // never lease from a pool that is not running yet.
                self.lifetime.markRunning()
                await self.client.run()
            }
            group.addTask { await self.lifetime.waitUntilClosed() }
            _ = await group.next()
            group.cancelAll()
        }
        lifetime.close()
    }

    private func render(_ sql: String) -> String {
        Migrations.render(sql, blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY")
    }

    private func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
    private func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// Applies the steps the database lacks, in order, each in one transaction that first locks
    /// `schema_migrations` (so two instances starting together apply a step once).
    public func migrate() async throws -> Int {
        let logger = self.logger
        try await pool().query(PostgresQuery(unsafeSQL: render(Migrations.versionTable)), logger: logger)
        let version = try await appliedVersion(try await pool())
        guard version <= Migrations.latest else {
            throw StorageError(.schemaRefused, "the database has schema version \(version); this code knows up to \(Migrations.latest)")
        }
        for migration in Migrations.all where migration.version > version {
            let statements = migration.statements.map(render)
            let step = Int64(migration.version)
            try await pool().withTransaction(logger: logger) { connection in
                try await connection.query("LOCK TABLE schema_migrations IN EXCLUSIVE MODE", logger: logger)
                // Another instance may have applied it while this one waited for the lock.
                var applied = false
                for try await _ in try await connection.query("SELECT 1::bigint FROM schema_migrations WHERE version = \(step)", logger: logger)
                    .decode(Int64.self)
                {
                    applied = true
                }
                if applied { return }
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(step), extract(epoch from now())::bigint)",
                    logger: logger)
            }
        }
        return try await appliedVersion(try await pool())
    }

    /// The highest version recorded in `schema_migrations` (0 for none).
    private func appliedVersion(_ client: PostgresClient) async throws -> Int {
        for try await version in try await client.query("SELECT coalesce(max(version), 0)::bigint FROM schema_migrations", logger: logger)
            .decode(Int64.self)
        {
            return Int(version)
        }
        return 0
    }

    public func healthCheck() async throws {
        for try await _ in try await pool().query("SELECT 1::bigint", logger: logger).decode(Int64.self) {}
    }

    public func close() async throws {
        lifetime.close()
    }

    /// The pool once `run()` has started it, or a `StorageError` once closed (a closed pool would
    /// wait forever for a connection).
    private func pool() async throws -> PostgresClient {
        await lifetime.waitUntilRunning()
        guard !lifetime.isClosed else { throw StorageError(.closed, "the PostgreSQL storage is closed") }
        return client
    }

    public func admitNonce(_ nonce: String, of device: DeviceID, signedAt timestamp: UnixTime, forgettingBefore cutoff: UnixTime) async throws -> Bool {
        let id = Int64(device.rawValue)
        let signedAt = timestamp.rawValue
        let oldest = cutoff.rawValue
        try await pool().query("DELETE FROM request_nonces WHERE signed_at < \(oldest)", logger: logger)
        var inserted = 0
        for try await _ in try await pool().query(
            "INSERT INTO request_nonces (device_id, nonce, signed_at) VALUES (\(id), \(nonce), \(signedAt)) ON CONFLICT DO NOTHING RETURNING device_id",
            logger: logger
        ).decode(Int64.self) {
            inserted += 1
        }
        return inserted == 1
    }

    @discardableResult
    public func register(_ registration: DeviceRegistration) async throws -> RegistrationOutcome {
        let device = Int64(registration.deviceID.rawValue)
        let keyID = Int64(registration.certificate.keyID.rawValue)
        let publicKey = buffer(registration.certificate.publicKey.rawRepresentation)
        let certificate = buffer(try registration.certificate.encoded())
        let label = registration.label
        let at = registration.registeredAt.rawValue
        let logger = self.logger
        // The owner is looked up first for a clear answer. Two registrations of one key racing
        // past that lookup both insert, and the unique index on public_key (schema 4) fails the
        // later one: it is then answered like the lookup would have, from the committed row.
        do {
            return try await pool().withTransaction(logger: logger) { connection -> RegistrationOutcome in
                if let taken = try await Self.owner(of: publicKey, besides: device, on: connection, logger: logger) {
                    return .keyRegisteredToAnotherDevice(taken)
                }
                try await connection.query(
                    """
                    INSERT INTO devices (device_id, key_id, public_key, certificate, label, registered_at)
                    VALUES (\(device), \(keyID), \(publicKey), \(certificate), \(label), \(at))
                    ON CONFLICT (device_id) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
                      certificate = excluded.certificate, label = excluded.label, registered_at = excluded.registered_at
                    """, logger: logger)
                return .registered
            }
        } catch {
            // Any other failure (and a lookup that fails too) is the original error.
            let taken = try? await pool().withConnection { connection in
                try await Self.owner(of: publicKey, besides: device, on: connection, logger: logger)
            }
            if let taken = taken ?? nil { return .keyRegisteredToAnotherDevice(taken) }
            throw error
        }
    }

    /// The device other than `device` registered with `publicKey`, if any.
    private static func owner(
        of publicKey: ByteBuffer, besides device: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> DeviceID? {
        for try await owner in try await connection.query(
            "SELECT device_id FROM devices WHERE public_key = \(publicKey) AND device_id <> \(device)", logger: logger
        ).decode(Int64.self) {
            return DeviceID(rawValue: UInt32(truncatingIfNeeded: owner))
        }
        return nil
    }

    public func registration(of device: DeviceID) async throws -> DeviceRegistration? {
        let id = Int64(device.rawValue)
        return try await readRegistrations(
            try await pool().query("SELECT device_id, certificate, label, registered_at FROM devices WHERE device_id = \(id)", logger: logger)
        ).first
    }

    public func registrations() async throws -> [DeviceRegistration] {
        try await readRegistrations(
            try await pool().query("SELECT device_id, certificate, label, registered_at FROM devices ORDER BY device_id", logger: logger))
    }

    private func readRegistrations(_ rows: PostgresRowSequence) async throws -> [DeviceRegistration] {
        var out: [DeviceRegistration] = []
        for try await (device, certificate, label, at) in rows.decode((Int64, ByteBuffer, String, Int64).self) {
            out.append(
                DeviceRegistration(
                    deviceID: DeviceID(rawValue: UInt32(truncatingIfNeeded: device)), certificate: try Certificate(decoding: bytes(certificate)),
                    label: label, registeredAt: UnixTime(at)))
        }
        return out
    }

    public func head(of device: DeviceID) async throws -> ChainHead {
        let id = Int64(device.rawValue)
        for try await (sequence, hash) in try await pool().query(
            "SELECT sequence, chain_hash FROM device_heads WHERE device_id = \(id)", logger: logger
        ).decode((Int64, ByteBuffer).self) {
            return ChainHead(deviceID: device, sequence: UInt64(sequence), hash: try ChainHash(bytes: bytes(hash)))
        }
        return .genesis(for: device)
    }

    public func heldHashes(of device: DeviceID, in range: ClosedRange<UInt64>) async throws -> [UInt64: ChainHash] {
        let id = Int64(device.rawValue)
        let low = Int64(clamping: range.lowerBound)
        let high = Int64(clamping: range.upperBound)
        var out: [UInt64: ChainHash] = [:]
        for try await (sequence, hash) in try await pool().query(
            "SELECT sequence, hash FROM entries WHERE device_id = \(id) AND sequence BETWEEN \(low) AND \(high)", logger: logger
        ).decode((Int64, ByteBuffer).self) {
            out[UInt64(sequence)] = try ChainHash(bytes: bytes(hash))
        }
        return out
    }

    public func commit(_ commit: IngestCommit) async throws -> CommitOutcome {
        guard let last = commit.entries.last else { return .committed }
        let device = Int64(commit.expectedHead.deviceID.rawValue)
        let expectedSequence = Int64(commit.expectedHead.sequence)
        let expectedHash = buffer(commit.expectedHead.hash.bytes)
        let newSequence = Int64(last.sequence)
        let newHash = buffer(last.hash.bytes)
        let received = commit.receivedAt.rawValue
        let checkpoint = commit.checkpoint
        let receipt = commit.receipt
        let entryChunks = stride(from: 0, to: commit.entries.count, by: 1000).map {
            Array(commit.entries[$0..<min($0 + 1000, commit.entries.count)])
        }
        let logger = self.logger
        return try await pool().withTransaction(logger: logger) { connection -> CommitOutcome in
            // Compare-and-set of the head first: the row lock it takes serializes uploads of one device.
            let moved: PostgresRowSequence
            if expectedSequence == 0 {
                moved = try await connection.query(
                    "INSERT INTO device_heads (device_id, sequence, chain_hash) VALUES (\(device), \(newSequence), \(newHash)) ON CONFLICT DO NOTHING RETURNING device_id",
                    logger: logger)
            } else {
                moved = try await connection.query(
                    "UPDATE device_heads SET sequence = \(newSequence), chain_hash = \(newHash) WHERE device_id = \(device) AND sequence = \(expectedSequence) AND chain_hash = \(expectedHash) RETURNING device_id",
                    logger: logger)
            }
            var updated = 0
            for try await _ in moved.decode(Int64.self) { updated += 1 }
            guard updated == 1 else { return .headMoved }
            for chunk in entryChunks {
                try await connection.query(Self.insertEntries(chunk, device: device, receivedAt: received), logger: logger)
            }
            let checkpointSequence = Int64(checkpoint.sequence)
            let checkpointHash = ByteBuffer(bytes: checkpoint.chainHash.bytes)
            let checkpointSignature = ByteBuffer(bytes: checkpoint.signature)
            try await connection.query(
                "INSERT INTO checkpoints (device_id, sequence, chain_hash, signature) VALUES (\(device), \(checkpointSequence), \(checkpointHash), \(checkpointSignature)) ON CONFLICT DO NOTHING",
                logger: logger)
            try await connection.query(Self.insertReceipt(receipt), logger: logger)
            return .committed
        }
    }

    /// One multi-row INSERT for up to 1000 entries (7 parameters a row, under PostgreSQL's 65535).
    static func insertEntries(_ entries: [LedgerEntry], device: Int64, receivedAt: Int64) -> PostgresQuery {
        var sql = "INSERT INTO entries (device_id, sequence, kind, device_time, bytes, hash, received_at) VALUES "
        var bindings = PostgresBindings(capacity: entries.count * 7)
        for (index, entry) in entries.enumerated() {
            let base = index * 7
            if index > 0 { sql += ", " }
            sql += "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5), $\(base + 6), $\(base + 7))"
            bindings.append(device)
            bindings.append(Int64(entry.sequence))
            bindings.append(Int64(entry.record.kind.rawValue))
            bindings.append(entry.record.deviceTime.rawValue)
            bindings.append(ByteBuffer(bytes: entry.canonicalBytes))
            bindings.append(ByteBuffer(bytes: entry.hash.bytes))
            bindings.append(receivedAt)
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func insertReceipt(_ receipt: Receipt) -> PostgresQuery {
        let device = Int64(receipt.deviceID.rawValue)
        let sequence = Int64(receipt.sequence)
        let hash = ByteBuffer(bytes: receipt.chainHash.bytes)
        let signature = ByteBuffer(bytes: receipt.signature)
        return "INSERT INTO receipts (device_id, sequence, chain_hash, signature) VALUES (\(device), \(sequence), \(hash), \(signature)) ON CONFLICT DO NOTHING"
    }

    private func readReceipts(_ rows: PostgresRowSequence, device: DeviceID) async throws -> [Receipt] {
        var out: [Receipt] = []
        for try await (sequence, hash, signature) in rows.decode((Int64, ByteBuffer, ByteBuffer).self) {
            out.append(try Receipt(deviceID: device, sequence: UInt64(sequence), chainHash: try ChainHash(bytes: bytes(hash)), signature: bytes(signature)))
        }
        return out
    }

    public func receipt(of device: DeviceID, at sequence: UInt64) async throws -> Receipt? {
        let id = Int64(device.rawValue)
        let at = Int64(clamping: sequence)
        return try await readReceipts(
            try await pool().query("SELECT sequence, chain_hash, signature FROM receipts WHERE device_id = \(id) AND sequence = \(at)", logger: logger),
            device: device
        ).first
    }

    public func latestReceipt(of device: DeviceID) async throws -> Receipt? {
        let id = Int64(device.rawValue)
        return try await readReceipts(
            try await pool().query(
                "SELECT sequence, chain_hash, signature FROM receipts WHERE device_id = \(id) ORDER BY sequence DESC LIMIT 1", logger: logger),
            device: device
        ).first
    }

    public func storeReceipt(_ receipt: Receipt) async throws {
        try await pool().query(Self.insertReceipt(receipt), logger: logger)
    }

    public func recordAlarm(_ alarm: TamperAlarm) async throws {
        let device = Int64(alarm.device)
        let sequence = Int64(clamping: alarm.sequence)
        let held = buffer(Hex.decode(alarm.heldHash) ?? [])
        let offered = buffer(Hex.decode(alarm.offeredHash) ?? [])
        let range = alarm.batchRange
        let at = alarm.recordedAt
        try await pool().query(
            "INSERT INTO tamper_alarms (device_id, sequence, held_hash, offered_hash, batch_range, recorded_at) VALUES (\(device), \(sequence), \(held), \(offered), \(range), \(at))",
            logger: logger)
    }

    public func alarms() async throws -> [TamperAlarm] {
        var out: [TamperAlarm] = []
        for try await (device, sequence, held, offered, range, at) in try await pool().query(
            "SELECT device_id, sequence, held_hash, offered_hash, batch_range, recorded_at FROM tamper_alarms ORDER BY id", logger: logger
        ).decode((Int64, Int64, ByteBuffer, ByteBuffer, String, Int64).self) {
            out.append(
                TamperAlarm(
                    device: UInt32(truncatingIfNeeded: device), sequence: UInt64(sequence), heldHash: Hex.encode(bytes(held)),
                    offeredHash: Hex.encode(bytes(offered)), batchRange: range, recordedAt: at))
        }
        return out
    }

    public func entries(device: DeviceID?, after cursor: (device: UInt32, sequence: UInt64)?, limit: Int) async throws -> [StoredEntry] {
        let afterDevice = Int64(cursor?.device ?? 0)
        let afterSequence = cursor.map { Int64(clamping: $0.sequence) } ?? 0
        let count = Int64(limit)
        let rows: PostgresRowSequence
        if let device {
            let id = Int64(device.rawValue)
            let after = cursor?.device == device.rawValue ? afterSequence : 0
            rows = try await pool().query(
                "SELECT bytes, received_at FROM entries WHERE device_id = \(id) AND sequence > \(after) ORDER BY sequence LIMIT \(count)",
                logger: logger)
        } else {
            let after = cursor == nil ? Int64(-1) : afterSequence
            rows = try await pool().query(
                "SELECT bytes, received_at FROM entries WHERE (device_id > \(afterDevice)) OR (device_id = \(afterDevice) AND sequence > \(after)) ORDER BY device_id, sequence LIMIT \(count)",
                logger: logger)
        }
        var out: [StoredEntry] = []
        for try await (entryBytes, received) in rows.decode((ByteBuffer, Int64).self) {
            out.append(StoredEntry(entry: try LedgerEntry(canonicalBytes: bytes(entryBytes)), receivedAt: UnixTime(received)))
        }
        return out
    }

    public func entryCount() async throws -> Int {
        for try await count in try await pool().query("SELECT count(*) FROM entries", logger: logger).decode(Int64.self) {
            return Int(count)
        }
        return 0
    }

    public func checkpoints(of device: DeviceID) async throws -> [Checkpoint] {
        let id = Int64(device.rawValue)
        var out: [Checkpoint] = []
        for try await (sequence, hash, signature) in try await pool().query(
            "SELECT sequence, chain_hash, signature FROM checkpoints WHERE device_id = \(id) ORDER BY sequence", logger: logger
        ).decode((Int64, ByteBuffer, ByteBuffer).self) {
            out.append(try Checkpoint(deviceID: device, sequence: UInt64(sequence), chainHash: try ChainHash(bytes: bytes(hash)), signature: bytes(signature)))
        }
        return out
    }

    public func addOperatorToken(hash: [UInt8], identity: OperatorIdentity, createdAt: UnixTime) async throws {
        let tokenHash = buffer(hash)
        let role = identity.role.rawValue
        let label = identity.label
        let at = createdAt.rawValue
        try await pool().query(
            "INSERT INTO operator_tokens (token_hash, role, label, created_at) VALUES (\(tokenHash), \(role), \(label), \(at))", logger: logger)
    }

    public func operatorIdentity(tokenHash hash: [UInt8]) async throws -> OperatorIdentity? {
        let tokenHash = buffer(hash)
        for try await (role, label) in try await pool().query(
            "SELECT role, label FROM operator_tokens WHERE token_hash = \(tokenHash)", logger: logger
        ).decode((String, String).self) {
            return OperatorRole(rawValue: role).map { OperatorIdentity(role: $0, label: label) }
        }
        return nil
    }

    public func storeBundle(_ bundle: StoredBundle) async throws {
        let kind = Int64(bundle.kind.rawValue)
        let version = Int64(bundle.version)
        let data = buffer(bundle.bytes)
        let at = bundle.uploadedAt.rawValue
        try await pool().query(
            "INSERT INTO bundles (kind, version, bytes, uploaded_at) VALUES (\(kind), \(version), \(data), \(at)) ON CONFLICT DO NOTHING",
            logger: logger)
    }

    public func latestBundle(_ kind: BundleKind) async throws -> StoredBundle? {
        let code = Int64(kind.rawValue)
        for try await (version, data, at) in try await pool().query(
            "SELECT version, bytes, uploaded_at FROM bundles WHERE kind = \(code) ORDER BY version DESC LIMIT 1", logger: logger
        ).decode((Int64, ByteBuffer, Int64).self) {
            return StoredBundle(kind: kind, version: UInt32(truncatingIfNeeded: version), bytes: bytes(data), uploadedAt: UnixTime(at))
        }
        return nil
    }

    public func addDenyListRequest(cardSerial: String, reason: String, reportedBy: String, at time: UnixTime) async throws -> Int64 {
        let at = time.rawValue
        for try await id in try await pool().query(
            "INSERT INTO deny_list_requests (card_serial, reason, reported_by, reported_at) VALUES (\(cardSerial), \(reason), \(reportedBy), \(at)) RETURNING id",
            logger: logger
        ).decode(Int64.self) {
            return id
        }
        throw StorageError(.inconsistent, "the deny-list report was not numbered")
    }

    public func denyListRequests() async throws -> [DenyListRequest] {
        var out: [DenyListRequest] = []
        for try await (id, serial, reason, by, at) in try await pool().query(
            "SELECT id, card_serial, reason, reported_by, reported_at FROM deny_list_requests ORDER BY id", logger: logger
        ).decode((Int64, String, String, String, Int64).self) {
            out.append(DenyListRequest(id: id, cardSerial: serial, reason: reason, reportedBy: by, reportedAt: at))
        }
        return out
    }
}
