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
    let logger: Logger
    private let lifetime = StorageLifetime()
    /// Commits inside their transaction now: the pool is stopped only once they are done.
    private let commitsInProgress = Atomic<Int>(0)
    /// How long closing waits for the commits in progress.
    private static let commitDrain: Duration = .seconds(10)

    /// A storage over the pool for `configuration`; the pool connects once `run()` runs.
    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until `close()`, cancellation or graceful shutdown.
    ///
    /// Closing refuses new calls at once, lets the commits already in their transaction finish
    /// (for at most `commitDrain`), then stops the pool. Why: a connection closed in the middle
    /// of a COPY makes postgres-nio 1.33 stop the process (a precondition in its state machine),
    /// and a commit cut short would only be rolled back anyway. So the pool runs in a task of its
    /// own, which a cancellation of `run()` does not reach before the commits are done.
    public func run() async throws {
        try lifetime.claimRun()
        let pool = Task {
            // Calls waiting in `pool()` go ahead once the pool has been started, so that they
            // never lease from a pool that is not running yet.
            self.lifetime.markRunning()
            await self.client.run()
        }
        await lifetime.waitUntilClosed()
        lifetime.close()
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: Self.commitDrain)
        while commitsInProgress.load(ordering: .acquiring) > 0, clock.now < giveUp {
            // Not cancelled with this task: the wait must last while the commits finish.
            await Task { try? await Task.sleep(for: .milliseconds(5)) }.value
        }
        pool.cancel()
        await pool.value
    }

    private func render(_ sql: String) -> String {
        Migrations.render(sql, blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY")
    }

    func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
    func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

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
                switch migration.code {
                case .fillEntryColumns: try await Self.fillEntryColumns(on: connection, logger: logger)
                case nil: break
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(step), extract(epoch from now())::bigint)",
                    logger: logger)
            }
        }
        return try await appliedVersion(try await pool())
    }

    /// Schema 5's backfill, inside the migration's transaction: each page of rows is read,
    /// decoded, COPYed with its columns into a temporary table and written back by one UPDATE
    /// joined on the key. A row whose bytes do not decode keeps NULL columns, for
    /// `verifyEntryColumns` to report.
    static func fillEntryColumns(on connection: PostgresConnection, logger: Logger) async throws {
        let columns = EntryColumns.schema5Names
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "CREATE TEMPORARY TABLE entry_columns_fill (device_id BIGINT NOT NULL, sequence BIGINT NOT NULL, "
                    + columns.map { "\($0) BIGINT" }.joined(separator: ", ") + ") ON COMMIT DROP"),
            logger: logger)
        let update = PostgresQuery(
            unsafeSQL: "UPDATE entries AS e SET " + columns.map { "\($0) = f.\($0)" }.joined(separator: ", ")
                + " FROM entry_columns_fill AS f WHERE e.device_id = f.device_id AND e.sequence = f.sequence")
        var cursor = (device: Int64.min, sequence: Int64.min)
        let size = Int64(Migrations.backfillPageSize)
        while true {
            var decoded: [LedgerEntry] = []
            var read = 0
            var last = cursor
            for try await (device, sequence, bytes) in try await connection.query(
                "SELECT device_id, sequence, bytes FROM entries WHERE (device_id, sequence) > (\(cursor.device), \(cursor.sequence)) ORDER BY device_id, sequence LIMIT \(size)",
                logger: logger
            ).decode((Int64, Int64, ByteBuffer).self) {
                read += 1
                last = (device, sequence)
                if let entry = try? LedgerEntry(canonicalBytes: Array(bytes.readableBytesView)) { decoded.append(entry) }
            }
            if !decoded.isEmpty {
                let rows = EntryCopy.fillRows(decoded)
                try await connection.copyFrom(table: "entry_columns_fill", columns: EntryCopy.fillColumns, logger: logger) { writer in
                    try await writer.write(rows)
                }
                try await connection.query(update, logger: logger)
                try await connection.query("TRUNCATE entry_columns_fill", logger: logger)
            }
            guard read == Migrations.backfillPageSize else { return }
            cursor = last
        }
    }

    /// `query` with its `?` placeholders numbered as PostgreSQL's `$1`, `$2`, … and its values bound.
    private static func postgresQuery(_ query: EntrySQL.Query) -> PostgresQuery {
        var sql = ""
        var number = 0
        for character in query.sql {
            if character == "?" {
                number += 1
                sql += "$\(number)"
            } else {
                sql.append(character)
            }
        }
        var binds = PostgresBindings(capacity: query.values.count)
        for value in query.values { binds.append(value) }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
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
    func pool() async throws -> PostgresClient {
        await lifetime.waitUntilRunning()
        guard !lifetime.isClosed else { throw StorageError(.closed, "the PostgreSQL storage is closed") }
        return client
    }

    /// Admits the nonce in one statement committed asynchronously (`synchronous_commit = off`
    /// for its own transaction only, set inside the statement): the server does not wait for its
    /// WAL flush, and the call costs one round trip.
    ///
    /// Why that is enough: the WAL is ordered, so the next synchronous commit (an ingest) flushes
    /// the nonce with it, and a request that changed anything has its nonce on disk before it is
    /// answered. A restart of this service loses nothing; only a crash of the database server
    /// itself within its WAL writer's delay after a request that changed nothing (a replay, a
    /// refusal, a read) can forget that nonce, and replaying such a request changes nothing either.
    ///
    /// The device's own earlier use of the nonce, if forgotten by now, is overwritten rather than
    /// deleted (a statement cannot delete and re-insert one row); every other forgotten nonce is
    /// deleted. So the answer is the one of "forget, then insert".
    public func admitNonce(_ nonce: String, of device: DeviceID, signedAt timestamp: UnixTime, forgettingBefore cutoff: UnixTime) async throws -> Bool {
        let id = Int64(device.rawValue)
        let signedAt = timestamp.rawValue
        let oldest = cutoff.rawValue
        var inserted = 0
        // One prepared statement, IngestStatements.AdmitNonce: it forgets, inserts and answers as above.
        for try await _ in try await pool().execute(
            IngestStatements.AdmitNonce(oldest: oldest, device: id, nonce: nonce, signedAt: signedAt), logger: logger
        ) {
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
        let role = registration.role.rawValue
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
                    INSERT INTO devices (device_id, key_id, public_key, certificate, label, registered_at, role)
                    VALUES (\(device), \(keyID), \(publicKey), \(certificate), \(label), \(at), \(role))
                    ON CONFLICT (device_id) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
                      certificate = excluded.certificate, label = excluded.label, registered_at = excluded.registered_at,
                      role = excluded.role
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
        for try await (device, certificate, label, at, role) in try await pool().execute(IngestStatements.Registration(device: id), logger: logger) {
            return try Self.registration(device: device, certificate: certificate, label: label, registeredAt: at, role: role)
        }
        return nil
    }

    public func registrations() async throws -> [DeviceRegistration] {
        try await readRegistrations(
            try await pool().query("SELECT device_id, certificate, label, registered_at, role FROM devices ORDER BY device_id", logger: logger))
    }

    private func readRegistrations(_ rows: PostgresRowSequence) async throws -> [DeviceRegistration] {
        var out: [DeviceRegistration] = []
        for try await (device, certificate, label, at, role) in rows.decode((Int64, ByteBuffer, String, Int64, String).self) {
            out.append(try Self.registration(device: device, certificate: certificate, label: label, registeredAt: at, role: role))
        }
        return out
    }

    private static func registration(device: Int64, certificate: ByteBuffer, label: String, registeredAt at: Int64, role: String) throws -> DeviceRegistration {
        DeviceRegistration(
            deviceID: DeviceID(rawValue: UInt32(truncatingIfNeeded: device)), certificate: try Certificate(decoding: Array(certificate.readableBytesView)),
            label: label, registeredAt: UnixTime(at), role: try DeviceRole(storedName: role))
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

    /// The head, the held hash and the receipt at `sequence` in one query (one round trip).
    public func head(of device: DeviceID, withHeldAt sequence: UInt64) async throws -> HeadWithHeld {
        let id = Int64(device.rawValue)
        let at = Int64(clamping: sequence)
        for try await (headSequence, headHash, entryHash, receiptHash, receiptSignature) in try await pool().execute(
            IngestStatements.HeadWithHeld(device: id, sequence: at), logger: logger
        ) {
            var head = ChainHead.genesis(for: device)
            if let headSequence, let headHash { head = ChainHead(deviceID: device, sequence: UInt64(headSequence), hash: try ChainHash(bytes: bytes(headHash))) }
            var receipt: Receipt?
            if let receiptHash, let receiptSignature {
                receipt = try Receipt(deviceID: device, sequence: sequence, chainHash: try ChainHash(bytes: bytes(receiptHash)), signature: bytes(receiptSignature))
            }
            return HeadWithHeld(head: head, hash: try entryHash.map { try ChainHash(bytes: bytes($0)) }, receipt: receipt)
        }
        throw StorageError(.inconsistent, "the head query returned no row")
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
        let entries = commit.entries
        let logger = self.logger
        // The head's compare-and-set, the checkpoint and the receipt in one prepared statement
        // (IngestStatements.Seal): the latter two are written only when the head moved.
        let seal = IngestStatements.Seal(
            device: device, newSequence: newSequence, newHash: newHash, expectedSequence: expectedSequence, expectedHash: expectedHash,
            checkpointSequence: Int64(checkpoint.sequence), checkpointHash: ByteBuffer(bytes: checkpoint.chainHash.bytes),
            checkpointSignature: ByteBuffer(bytes: checkpoint.signature), receiptDevice: Int64(receipt.deviceID.rawValue),
            receiptSequence: Int64(receipt.sequence), receiptHash: ByteBuffer(bytes: receipt.chainHash.bytes),
            receiptSignature: ByteBuffer(bytes: receipt.signature))
        let beforeMovingHead = commit.beforeMovingHead
        commitsInProgress.add(1, ordering: .acquiringAndReleasing)
        defer { commitsInProgress.subtract(1, ordering: .acquiringAndReleasing) }
        // The COPY's rows are encoded in a task of their own while `BEGIN` is on the wire.
        // (A task, not `async let`: the transaction's closure cannot capture one. If the
        // transaction ends early, the task only finishes encoding rows nobody reads.)
        let encoding = Task { Self.copyChunks(entries, device: device, receivedAt: received) }
        do {
            return try await pool().withTransaction(logger: logger) { connection -> CommitOutcome in
                // The entries first, in one COPY: a failure anywhere in it fails the transaction,
                // so nothing of the batch is stored. They are written while the device's batch
                // before this one may still be committing (docs/accounting.md, "Two batches in
                // flight"), on another connection, so the server writes both at once.
                let chunks = await encoding.value
                try await connection.copyFrom(table: EntryCopy.table, columns: EntryCopy.columns, logger: logger) { writer in
                    for chunk in chunks { try await writer.write(chunk) }
                }
                // Then the head's compare-and-set, once that batch's commit has ended. Its row
                // lock serializes one device's commits from here to COMMIT.
                await beforeMovingHead?()
                var updated = 0
                if expectedSequence == 0 {
                    for try await _ in try await connection.execute(IngestStatements.SealFirst(seal: seal), logger: logger) { updated += 1 }
                } else {
                    for try await _ in try await connection.execute(IngestStatements.SealNext(seal: seal), logger: logger) { updated += 1 }
                }
                // Not the expected head: the entries written above are rolled back with the rest.
                guard updated == 1 else { throw HeadMoved() }
                return .committed
            }
        } catch let error as PostgresTransactionError where error.closureError is HeadMoved {
            return .headMoved
        } catch let error as PostgresTransactionError where Self.isUniqueViolation(error.closureError) {
            // An entry the COPY wrote is held already. If the head is no longer the one expected,
            // another request stored those entries since the head was read: the batch is decided
            // again (a replay, or a conflict). If it still is, the commit itself repeats a
            // sequence, and that is an error.
            guard try await head(of: commit.expectedHead.deviceID) == commit.expectedHead else { return .headMoved }
            throw error
        }
    }

    private static func isUniqueViolation(_ error: (any Error)?) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == uniqueViolation
    }

    /// SQLSTATE `unique_violation`.
    private static let uniqueViolation = "23505"

    /// Thrown inside a commit's transaction to roll it back when the head is not the one expected.
    private struct HeadMoved: Error {}

    /// `entries` as COPY rows, a buffer every 1000 entries (a commit may hold more than one
    /// batch's worth; each buffer stays a modest message).
    private static func copyChunks(_ entries: [LedgerEntry], device: Int64, receivedAt: Int64) -> [ByteBuffer] {
        stride(from: entries.startIndex, to: entries.endIndex, by: 1000).map { start in
            EntryCopy.rows(entries[start..<min(start + 1000, entries.endIndex)], device: device, receivedAt: receivedAt)
        }
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

    public func recordRefusedBatch(_ batch: RefusedBatchRecord) async throws {
        let device = Int64(batch.device)
        let first = Int64(clamping: batch.firstSequence)
        let last = Int64(clamping: batch.lastSequence)
        let previous = buffer(Hex.decode(batch.firstPreviousHash) ?? [])
        let lastHash = buffer(Hex.decode(batch.lastHash) ?? [])
        let held = Int64(clamping: batch.heldSequence)
        let firstAt = batch.firstRefusedAt
        let lastAt = batch.lastRefusedAt
        let keep = Int64(RefusedBatchRecord.keptPerDevice - 1)
        let logger = self.logger
        try await pool().withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO refused_batches (device_id, first_sequence, last_sequence, first_previous_hash, last_hash,
                  held_sequence, first_refused_at, last_refused_at, times_offered)
                VALUES (\(device), \(first), \(last), \(previous), \(lastHash), \(held), \(firstAt), \(lastAt), 1)
                ON CONFLICT (device_id, first_sequence, last_sequence, last_hash)
                  DO UPDATE SET last_refused_at = excluded.last_refused_at, times_offered = refused_batches.times_offered + 1
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM refused_batches WHERE device_id = \(device)
                  AND id <> (SELECT MIN(id) FROM refused_batches WHERE device_id = \(device))
                  AND id NOT IN (SELECT id FROM refused_batches WHERE device_id = \(device) ORDER BY id DESC LIMIT \(keep))
                """, logger: logger)
        }
    }

    public func refusedBatches() async throws -> [RefusedBatchRecord] {
        var out: [RefusedBatchRecord] = []
        for try await (device, first, last, previous, lastHash, held, firstAt, lastAt, times) in try await pool().query(
            PostgresQuery(unsafeSQL: RefusedBatchRecord.selectSQL), logger: logger
        ).decode((Int64, Int64, Int64, ByteBuffer, ByteBuffer, Int64, Int64, Int64, Int64).self) {
            out.append(
                RefusedBatchRecord(
                    device: UInt32(truncatingIfNeeded: device), firstSequence: UInt64(first), lastSequence: UInt64(last),
                    firstPreviousHash: Hex.encode(bytes(previous)), lastHash: Hex.encode(bytes(lastHash)), heldSequence: UInt64(held),
                    firstRefusedAt: firstAt, lastRefusedAt: lastAt, timesOffered: times))
        }
        return out
    }

    public func entries(matching filter: EntryFilter, after cursor: EntryCursor?, limit: Int) async throws -> EntryPage {
        if let cursor, !filter.accepts(cursor) { throw StorageError(.invalidQuery, "a cursor \(cursor) of the other order than the filter's") }
        return EntryPage(entries: try await storedEntries(EntrySQL.page(filter, after: cursor, limit: limit)), filter: filter, limit: limit)
    }

    public func deviceSequenceRanges(in window: DeviceTimeWindow) async throws -> [DeviceSequenceRange] {
        var out: [DeviceSequenceRange] = []
        for try await (device, first, last) in try await pool().query(Self.postgresQuery(EntrySQL.sequenceRanges(window)), logger: logger)
            .decode((Int64, Int64, Int64).self)
        {
            out.append(DeviceSequenceRange(device: DeviceID(rawValue: UInt32(truncatingIfNeeded: device)), first: UInt64(first), last: UInt64(last)))
        }
        return out
    }

    /// Read as one packed row per page (`PackedWindowPage`): this is the query a month's
    /// reconciliation reads every entry through.
    public func entries(of device: DeviceID, sequences: ClosedRange<UInt64>, in window: DeviceTimeWindow, limit: Int) async throws -> [StoredEntry] {
        let page = PackedWindowPage(device: device, sequences: sequences, window: window, limit: limit)
        for try await (count, packed) in try await pool().execute(page, logger: logger) {
            guard let packed else { return [] }
            return try PackedWindowPage.unpack(packed, count: Int(count))
        }
        throw StorageError(.inconsistent, "a packed page of entries without its row")
    }

    /// The rows of `query` (`bytes, received_at`), decoded.
    ///
    /// The operator API's pages read many of these rows, so the two cells are read as the
    /// server sends them in binary (the bytea's bytes; an int8 as eight big-endian bytes) rather
    /// than through a tuple `decode`, whose generic machinery cost more per row than the ledger
    /// entry's own decoding (docs/reconcile-tool.md, "Benchmark"); any other form is decoded the
    /// general way.
    private func storedEntries(_ query: EntrySQL.Query) async throws -> [StoredEntry] {
        var out: [StoredEntry] = []
        for try await row in try await pool().query(Self.postgresQuery(query), logger: logger) {
            var cells = row.makeIterator()
            guard let entryCell = cells.next(), let receivedCell = cells.next() else {
                throw StorageError(.inconsistent, "an entry row without its bytes and received time")
            }
            let entryBytes = try entryCell.format == .binary ? entryCell.bytes.map(bytes) ?? [] : bytes(entryCell.decode(ByteBuffer.self))
            let received: Int64
            if receivedCell.format == .binary, receivedCell.dataType == .int8, let buffer = receivedCell.bytes, buffer.readableBytes == 8 {
                received = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int64.self)!
            } else {
                received = try receivedCell.decode(Int64.self)
            }
            out.append(StoredEntry(entry: try LedgerEntry(canonicalBytes: entryBytes), receivedAt: UnixTime(received)))
        }
        return out
    }

    public func entryRows(after cursor: (device: Int64, sequence: Int64)?, limit: Int) async throws -> [StoredEntryRow] {
        var out: [StoredEntryRow] = []
        let rows = try await pool().query(Self.postgresQuery(EntrySQL.rows(after: cursor, limit: limit)), logger: logger)
        for try await row in rows {
            let cells = row.makeRandomAccess()
            out.append(
                StoredEntryRow(
                    device: try cells[0].decode(Int64.self), sequence: try cells[1].decode(Int64.self), bytes: bytes(try cells[2].decode(ByteBuffer.self)),
                    hash: bytes(try cells[3].decode(ByteBuffer.self)),
                    columns: try (4..<(4 + EntryColumns.names.count)).map { try cells[$0].decode(Int64?.self) }))
        }
        return out
    }

    public func deviceLedgerStates() async throws -> [DeviceLedgerState] {
        var out: [DeviceLedgerState] = []
        for try await (id, headSequence, headHash, receiptSequence, receiptHash, receiptSignature) in try await pool().query(
            PostgresQuery(unsafeSQL: EntrySQL.ledgerStates), logger: logger
        ).decode((Int64, Int64?, ByteBuffer?, Int64?, ByteBuffer?, ByteBuffer?).self) {
            let device = DeviceID(rawValue: UInt32(truncatingIfNeeded: id))
            var head = ChainHead.genesis(for: device)
            if let headSequence, let headHash { head = ChainHead(deviceID: device, sequence: UInt64(headSequence), hash: try ChainHash(bytes: bytes(headHash))) }
            var receipt: Receipt?
            if let receiptSequence, let receiptHash, let receiptSignature {
                receipt = try Receipt(deviceID: device, sequence: UInt64(receiptSequence), chainHash: try ChainHash(bytes: bytes(receiptHash)), signature: bytes(receiptSignature))
            }
            out.append(DeviceLedgerState(device: device, head: head, latestReceipt: receipt))
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
        let logger = self.logger
        // With its reference-data effects (tariff period, deny-listing effect times) in one transaction.
        try await pool().withTransaction(logger: logger) { connection in
            var stored = false
            for try await _ in try await connection.query(
                "INSERT INTO bundles (kind, version, bytes, uploaded_at) VALUES (\(kind), \(version), \(data), \(at)) ON CONFLICT DO NOTHING RETURNING kind",
                logger: logger
            ).decode(Int64.self) {
                stored = true
            }
            if stored { try await Self.recordEffects(of: bundle, on: connection, logger: logger) }
        }
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
