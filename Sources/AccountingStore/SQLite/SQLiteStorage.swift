import AccountingCore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import SQLiteSupport
import Synchronization

/// The accounting store in one SQLite file: WAL, `synchronous=FULL`, one connection owned by an actor.
///
/// The default for one town: nothing to install, and a batch of 1000 entries is one transaction
/// and one fsync (commits of devices uploading at once share one: `commit(_:)`). Calls block the
/// actor's thread while SQLite works, and that thread is its own (`DedicatedThreadExecutor`), so
/// the rest of the service goes on beside it; a region uses PostgreSQL.
///
/// A device request's registration is read on a second connection (`SQLiteReader`) and its
/// nonce admitted in memory (`NonceWindow`), written by the next write transaction: neither waits
/// behind the commit under way, so the request's body is decoded while that commit runs.
///
/// Statements are prepared once and kept (the ingest path runs the same few statements for
/// every batch); entries go in as multi-row INSERTs of `rowsPerInsert` rows, each row with the
/// entry's fields in columns of their own (`EntryColumns`).
///
/// Needs nothing running, but honours the `Service` contract all the same: `run()` waits until
/// the storage is closed, cancelled or shut down, then closes the file.
public actor SQLiteStorage: AccountingStorage {
    let database: SQLiteConnection
    private let lifetime = StorageLifetime()
    /// Prepared statements by their SQL, reused for the life of the connection.
    private var statements: [String: SQLiteStatement] = [:]
    /// The entries' multi-row INSERTs by their row count (`insertEntries`), kept like `statements`
    /// but found without making and hashing their SQL (several kilobytes) for every 45 rows.
    private var entryInserts: [Int: SQLiteStatement] = [:]
    /// The thread SQLite's calls block (`DedicatedThreadExecutor` says why it is not one of the
    /// cooperative pool's).
    private nonisolated let executor = DedicatedThreadExecutor(name: "hromada-sqlite")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// The connection device requests read their registration on.
    private let reader: SQLiteReader
    /// The replay window; loaded by the first admission (`claimNonceWindow`), written by every
    /// write transaction (`writeTransaction`).
    private nonisolated let nonces = Mutex(NonceWindow())
    /// This process's claim on the file's device requests, taken by the first nonce admitted.
    private nonisolated let nonceOwner: NonceOwnerLock
    /// The claim and the window's load under way or done, which concurrent first admissions share.
    private nonisolated let windowClaim = Mutex<Task<Void, any Error>?>(nil)
    /// Commits waiting for the next group transaction, in arrival order, by number.
    private var waitingCommits: [(number: Int, commit: IngestCommit)] = []
    /// Outcomes of commits written in another caller's group, until their callers collect them.
    private var groupOutcomes: [Int: Result<CommitOutcome, any Error>] = [:]
    /// The number of the latest commit.
    private var commitNumber = 0

    /// Entries a multi-row INSERT carries: 22 parameters a row (schema 7) stay under 999, the
    /// smallest limit an SQLite build may have; a longer batch takes several statements, the rest
    /// a shorter one.
    static let rowsPerInsert = 45
    /// The entries a group transaction takes at most (`commit(_:)`), unless its own commit comes
    /// later in the queue: two full batches.
    ///
    /// Why a limit: a group answers all its callers at once, when it is durable, and their
    /// devices' next batches then arrive together and are decoded together while the writer has
    /// nothing to write. Measured with 4 and 10 devices keeping two batches in flight each: groups
    /// of any size 113k–172k entries/s, groups of at most two batches 147k–176k.
    static let groupEntryLimit = 2000
    /// The database file.
    public let path: String

    /// Opens (or creates) the database at `path`; call `migrate()` before use.
    public init(path: String) throws {
        self.path = path
        nonceOwner = NonceOwnerLock(databasePath: path)
        database = try SQLiteConnection.accountingStorage(path: path)
        try database.execute("PRAGMA busy_timeout = 5000")
        let mode = try database.prepare("PRAGMA journal_mode = WAL")
        _ = try mode.step()
        guard mode.text(0).lowercased() == "wal" else { throw StorageError(.misconfigured, "\(path) cannot use WAL mode") }
        try database.execute("PRAGMA synchronous = FULL")
        try database.execute("PRAGMA foreign_keys = ON")
        for pragma in Self.ingestPragmas { try database.execute(pragma) }
        reader = try SQLiteReader(path: path)
    }

    /// Page cache and checkpoint settings for ingest (the raw baseline of `hromada-bench
    /// accounting` uses the same, so that the two stay comparable).
    ///
    /// Why: every batch inserts 1000 keys at random places of the card index (a card's entries
    /// sit together, cards ride in any order), so a commit dirties hundreds of leaf pages spread
    /// over the index. SQLite's default cache (2 MiB) no longer holds the index of a few hundred
    /// thousand entries and reads them back from the file every batch; 32 MiB holds it for
    /// millions. A checkpoint every 1000 WAL pages (the default, ≈ 4 MiB: every batch or two)
    /// copies those same pages to the database file and fsyncs it each time; every 8000 pages
    /// a page rewritten by several batches is copied once, and the WAL stays under ≈ 32 MiB.
    ///
    /// `temp_store = MEMORY` keeps statement journals in memory: each commit runs in a savepoint
    /// (`writeGroup`), and SQLite records there the old content of every page the commit changes,
    /// spilling past 64 KiB to a new temporary file on disk: about 1.1 MB in 520 writes a batch
    /// of 1000, a file created and deleted each time. That journal only undoes a savepoint or a
    /// failed statement inside the open transaction; crash recovery never reads it (the WAL does
    /// that), so keeping it in memory changes no durability. It holds about 1 MB a batch for the
    /// length of its transaction. Temporary tables and indexes a query builds stay in memory too:
    /// the queries over entries read indexes in order, the other sorts are of small tables.
    static let ingestPragmas = ["PRAGMA cache_size = -32768", "PRAGMA wal_autocheckpoint = 8000", "PRAGMA temp_store = MEMORY"]

    private static func render(_ sql: String) -> String {
        Migrations.render(sql, blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT")
    }

    /// The statement for `sql`, prepared on first use and kept until the storage closes.
    ///
    /// Safe to share because the actor runs one call at a time and every call leaves a statement
    /// reset (its bindings cleared) when it is done with it.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let prepared = statements[sql] { return prepared }
        let prepared = try database.prepare(sql, persistent: true)
        statements[sql] = prepared
        return prepared
    }

    func rows<T>(_ sql: String, _ values: [SQLiteValue] = [], reservingCapacity capacity: Int = 0, _ read: (SQLiteStatement) throws -> T) throws -> [T] {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var out: [T] = []
        out.reserveCapacity(capacity)
        while try statement.step() { out.append(try read(statement)) }
        return out
    }

    /// Runs `sql` once with `values`.
    func run(_ sql: String, _ values: [SQLiteValue]) throws {
        try statement(sql).run(values)
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
                    switch migration.code {
                    case .fillEntryColumns: try Self.fillEntryColumns(connection)
                    case nil: break
                    }
                }
            },
            unversionedVersion: { connection in
                guard try connection.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'") == 1 else { return nil }
                return try connection.integer("SELECT max(version) FROM schema_migrations")
            })
    }

    /// Schema 5's backfill: every row's columns from its bytes, a page at a time, inside the
    /// migration's transaction. A row whose bytes do not decode keeps NULL columns, for
    /// `verifyEntryColumns` to report.
    static func fillEntryColumns(_ connection: SQLiteConnection) throws {
        let read = try connection.prepare(
            "SELECT device_id, sequence, bytes FROM entries WHERE (device_id, sequence) > (?, ?) ORDER BY device_id, sequence LIMIT ?")
        let update = try connection.prepare(
            "UPDATE entries SET " + EntryColumns.schema5Names.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE device_id = ? AND sequence = ?")
        var cursor = (device: Int64.min, sequence: Int64.min)
        while true {
            var page: [(device: Int64, sequence: Int64, bytes: [UInt8])] = []
            try read.bind([.integer(cursor.device), .integer(cursor.sequence), .integer(Int64(Migrations.backfillPageSize))])
            while try read.step() { page.append((read.integer(0), read.integer(1), read.blob(2))) }
            read.reset()
            for row in page {
                guard let entry = try? LedgerEntry(canonicalBytes: row.bytes) else { continue }
                let values = EntryColumns(entry.record).schema5Values.map { $0.map(SQLiteValue.integer) ?? .null }
                try update.run(values + [.integer(row.device), .integer(row.sequence)])
            }
            guard page.count == Migrations.backfillPageSize, let last = page.last else { return }
            cursor = (last.device, last.sequence)
        }
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

    /// Writes the nonces admitted since the last write transaction, then closes both connections.
    ///
    /// If that last write fails (a full disk, say), those nonces are lost; they are of requests
    /// that changed nothing (`admitNonce` says why), and the store still closes.
    public func close() async {
        let wasOpen = !lifetime.isClosed
        // Closed first, so that no nonce is admitted after the last write.
        lifetime.close()
        if wasOpen, database.isOpen, nonces.withLock({ $0.hasUnwritten }) { try? writeTransaction { _ in } }
        nonceOwner.release()
        // Statements first: a kept statement must never outlive the connection it belongs to.
        statements = [:]
        entryInserts = [:]
        database.close()
        await reader.close()
    }

    /// A write transaction that first writes the nonces admitted since the last one and deletes
    /// those past the window; if it fails they are kept for the next.
    func writeTransaction<Result>(_ body: (SQLiteConnection) throws -> Result) throws -> Result {
        let unwritten = nonces.withLock { $0.takeUnwritten() }
        do {
            return try database.write { database in
                if let cutoff = unwritten.cutoff { try run("DELETE FROM request_nonces WHERE signed_at < ?", [.integer(cutoff.rawValue)]) }
                for nonce in unwritten.nonces {
                    try run(
                        """
                        INSERT INTO request_nonces (device_id, nonce, signed_at) VALUES (?, ?, ?)
                        ON CONFLICT (device_id, nonce) DO UPDATE SET signed_at = max(signed_at, excluded.signed_at)
                        """,
                        [.integer(Int64(nonce.key.device.rawValue)), .text(nonce.key.nonce), .integer(nonce.signedAt.rawValue)])
                }
                return try body(database)
            }
        } catch {
            nonces.withLock { $0.putBack(unwritten) }
            throw error
        }
    }

    /// Admits the nonce in memory (`NonceWindow`); the next write transaction writes it.
    ///
    /// Why that is enough: every write this store makes for a device request (a batch's commit,
    /// a receipt, a refused batch's record, a tamper alarm) is a transaction that writes the
    /// nonces admitted before it first, and waits for the disk. So a request that changed
    /// anything has its nonce on disk before it is answered, and a graceful stop (`close()`)
    /// writes the rest. Only a crash or a power loss right after requests that changed nothing (a
    /// replay answered from stored receipts, a refusal, a position read) can forget their nonces,
    /// and such a request changes nothing when sent again either.
    ///
    /// The window is this process's, so one process serves device requests from an SQLite file
    /// (a region with several service instances uses PostgreSQL, whose window is in the database
    /// alone). The first admission claims the file (`NonceOwnerLock`) and only then reads the
    /// table into the window, so it holds every nonce a process before it wrote; while the file
    /// is claimed, another process's admissions throw `StorageError(.misconfigured)`.
    public nonisolated func admitNonce(_ nonce: String, of device: DeviceID, signedAt timestamp: UnixTime, forgettingBefore cutoff: UnixTime) async throws -> Bool {
        guard !lifetime.isClosed else { throw StorageError(.closed, "the database is closed") }
        if let admitted = admitIfLoaded(nonce, of: device, signedAt: timestamp, forgettingBefore: cutoff) { return admitted }
        try await claimNonceWindow()
        guard let admitted = admitIfLoaded(nonce, of: device, signedAt: timestamp, forgettingBefore: cutoff) else {
            throw StorageError(.inconsistent, "the nonce window was claimed but not loaded")
        }
        return admitted
    }

    /// Claims the file's device requests now rather than at the first nonce: `hromada-accounting
    /// serve` calls it at start, so a second service on the same file stops there with the lock
    /// file's name instead of answering its devices 503. The window is still loaded by the first
    /// admission (the table may not exist before the migrations).
    public nonisolated func claimDeviceRequests() throws {
        try nonceOwner.claim()
    }

    /// The window's answer, or nil while it is not loaded.
    private nonisolated func admitIfLoaded(_ nonce: String, of device: DeviceID, signedAt timestamp: UnixTime, forgettingBefore cutoff: UnixTime) -> Bool? {
        nonces.withLock { window in
            window.isLoaded ? window.admit(nonce, of: device, signedAt: timestamp, forgettingBefore: cutoff) : nil
        }
    }

    /// Claims the file's device requests and loads the window from the table, once: admissions
    /// arriving meanwhile wait for the same claim. A claim that fails is tried again by the next.
    private nonisolated func claimNonceWindow() async throws {
        let claim = windowClaim.withLock { claim in
            if let claim { return claim }
            // Weak: the task is kept in the store, and a store let go must end (and so let its
            // claim go) as a killed process would.
            let started = Task { [weak self] in
                guard let self else { throw StorageError(.closed, "the store was released") }
                // The claim first: a process that held it before has written its nonces by now
                // (as it closed), or has ended with the ones its writes carried.
                try self.nonceOwner.claim()
                let stored = try await self.reader.storedNonces()
                self.nonces.withLock { $0.load(stored) }
            }
            claim = started
            return started
        }
        do {
            try await claim.value
        } catch {
            windowClaim.withLock { if $0 == claim { $0 = nil } }
            throw error
        }
    }

    @discardableResult
    public func register(_ registration: DeviceRegistration) throws -> RegistrationOutcome {
        let values = try registrationValues(registration)
        return try writeTransaction { database in
            // In the write transaction, so the check and the insert see the same rows.
            let owner = try database.prepare("SELECT device_id FROM devices WHERE public_key = ? AND device_id <> ?")
            try owner.bind([.blob(registration.certificate.publicKey.rawRepresentation), .integer(Int64(registration.deviceID.rawValue))])
            if try owner.step() {
                return .keyRegisteredToAnotherDevice(DeviceID(rawValue: UInt32(truncatingIfNeeded: owner.integer(0))))
            }
            try database.prepare(
                """
                INSERT INTO devices (device_id, key_id, public_key, certificate, label, registered_at, role) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (device_id) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
                  certificate = excluded.certificate, label = excluded.label, registered_at = excluded.registered_at,
                  role = excluded.role
                """
            ).run(values)
            return .registered
        }
    }

    /// Read on the reader's connection (`SQLiteReader` says why).
    public nonisolated func registration(of device: DeviceID) async throws -> DeviceRegistration? {
        try await reader.registration(of: device)
    }

    public func registrations() throws -> [DeviceRegistration] {
        try rows(Self.registrationSQL + " ORDER BY device_id", [], Self.readRegistration)
    }

    /// The registrations' columns, as `readRegistration` reads them.
    static let registrationSQL = "SELECT device_id, certificate, label, registered_at, role FROM devices"

    static func readRegistration(_ row: SQLiteStatement) throws -> DeviceRegistration {
        DeviceRegistration(
            deviceID: DeviceID(rawValue: UInt32(truncatingIfNeeded: row.integer(0))),
            certificate: try Certificate(decoding: row.blob(1)), label: row.text(2), registeredAt: UnixTime(row.integer(3)),
            role: try DeviceRole(storedName: row.text(4)))
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

    /// Writes the commit in a group transaction with the other commits waiting at that moment (up
    /// to `groupEntryLimit` entries): one fsync for the group, each commit inside its own savepoint.
    ///
    /// Why: the connection writes one transaction at a time, and each ends with an fsync, so
    /// devices uploading at once would otherwise queue for one fsync each. Every caller
    /// still returns only after the transaction holding its commit is durable, and a commit that
    /// fails (or finds its head moved) is rolled back to its savepoint without touching the others.
    public func commit(_ commit: IngestCommit) async throws -> CommitOutcome {
        guard !commit.entries.isEmpty else { return .committed }
        commitNumber += 1
        let number = commitNumber
        waitingCommits.append((number, commit))
        // Commits already queued on the actor join this one's group while it yields.
        await Task.yield()
        // A caller that yielded first may have written this commit in its group already; the
        // group is written without a suspension, so a commit is either waiting or has its outcome.
        if let outcome = groupOutcomes.removeValue(forKey: number) { return try outcome.get() }
        // The commits waiting, oldest first, up to `groupEntryLimit` entries, and always as far as
        // this one (the rest are written by their own callers, each in turn).
        let ownPosition = waitingCommits.firstIndex { $0.number == number } ?? 0
        var take = 0
        var entries = 0
        while take < waitingCommits.count, take <= ownPosition || entries + waitingCommits[take].commit.entries.count <= Self.groupEntryLimit {
            entries += waitingCommits[take].commit.entries.count
            take += 1
        }
        let group = Array(waitingCommits.prefix(take))
        waitingCommits.removeFirst(take)
        let outcomes = writeGroup(group.map(\.commit))
        var own: Result<CommitOutcome, any Error> = .failure(StorageError(.inconsistent, "the commit was not in its own group"))
        for (member, outcome) in zip(group, outcomes) {
            if member.number == number { own = outcome } else { groupOutcomes[member.number] = outcome }
        }
        return try own.get()
    }

    /// Writes `commits` in one transaction, each in a savepoint; the outcome of each, in order.
    private func writeGroup(_ commits: [IngestCommit]) -> [Result<CommitOutcome, any Error>] {
        do {
            return try writeTransaction { _ in
                var outcomes: [Result<CommitOutcome, any Error>] = []
                for commit in commits {
                    try statement("SAVEPOINT ingest_commit").run()
                    do {
                        outcomes.append(.success(try write(commit)))
                        try statement("RELEASE ingest_commit").run()
                    } catch {
                        try statement("ROLLBACK TO ingest_commit").run()
                        try statement("RELEASE ingest_commit").run()
                        outcomes.append(.failure(error))
                    }
                }
                return outcomes
            }
        } catch {
            // The transaction (or its COMMIT) failed: nothing of the group is stored.
            return commits.map { _ in .failure(error) }
        }
    }

    /// The rows of one commit, inside the group's transaction.
    private func write(_ commit: IngestCommit) throws -> CommitOutcome {
        guard let last = commit.entries.last else { return .committed }
        let device = Int64(commit.expectedHead.deviceID.rawValue)
        let current = try head(of: commit.expectedHead.deviceID)
        guard current == commit.expectedHead else { return .headMoved }
        try insertEntries(commit.entries, device: device, receivedAt: commit.receivedAt.rawValue)
        try run(
            "INSERT INTO device_heads (device_id, sequence, chain_hash) VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET sequence = excluded.sequence, chain_hash = excluded.chain_hash",
            [.integer(device), .integer(Int64(last.sequence)), .blob(last.hash.bytes)])
        try run(
            "INSERT INTO checkpoints (device_id, sequence, chain_hash, signature) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [.integer(device), .integer(Int64(commit.checkpoint.sequence)), .blob(commit.checkpoint.chainHash.bytes), .blob(commit.checkpoint.signature)])
        try insertReceipt(commit.receipt)
        return .committed
    }

    /// `entries` as multi-row INSERTs of `rowsPerInsert` rows, the remainder in one shorter
    /// statement (each row count's statement is kept, so at most `rowsPerInsert` of them).
    private func insertEntries(_ entries: [LedgerEntry], device: Int64, receivedAt: Int64) throws {
        var start = entries.startIndex
        while start < entries.endIndex {
            let end = min(start + Self.rowsPerInsert, entries.endIndex)
            let insert = try entryInsert(rows: end - start)
            defer { insert.reset() }
            var parameter: Int32 = 1
            for entry in entries[start..<end] {
                try insert.bind(parameter, device)
                try insert.bind(parameter + 1, Int64(entry.sequence))
                parameter += 2
                // Unbound parameters are NULL (the statement's bindings were cleared at its last reset).
                try EntryColumns(entry.record).forEachValue { value in
                    if let value { try insert.bind(parameter, value) }
                    parameter += 1
                }
                try insert.bind(parameter, entry.canonicalBytes)
                try insert.bind(parameter + 1, entry.hash.bytes)
                try insert.bind(parameter + 2, receivedAt)
                parameter += 3
            }
            while try insert.step() {}
            start = end
        }
    }

    /// The prepared INSERT of `rows` entries.
    private func entryInsert(rows: Int) throws -> SQLiteStatement {
        if let prepared = entryInserts[rows] { return prepared }
        let prepared = try database.prepare(Self.insertEntriesSQL(rows: rows), persistent: true)
        entryInserts[rows] = prepared
        return prepared
    }

    /// The INSERT of `rows` entries.
    static func insertEntriesSQL(rows: Int) -> String {
        let row = "(" + Array(repeating: "?", count: EntrySQL.insertColumns.count).joined(separator: ", ") + ")"
        return "INSERT INTO entries (\(EntrySQL.insertColumns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    private func insertReceipt(_ receipt: Receipt) throws {
        try run(
            "INSERT INTO receipts (device_id, sequence, chain_hash, signature) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [
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

    public func storeReceipt(_ receipt: Receipt) throws { try writeTransaction { _ in try insertReceipt(receipt) } }

    public func recordAlarm(_ alarm: TamperAlarm) throws {
        try writeTransaction { database in
            try database.prepare(
                "INSERT INTO tamper_alarms (device_id, sequence, held_hash, offered_hash, batch_range, recorded_at) VALUES (?, ?, ?, ?, ?, ?)"
            ).run([
                .integer(Int64(alarm.device)), .integer(Int64(clamping: alarm.sequence)), .blob(Hex.decode(alarm.heldHash) ?? []),
                .blob(Hex.decode(alarm.offeredHash) ?? []), .text(alarm.batchRange), .integer(alarm.recordedAt),
            ])
        }
    }

    public func alarms() throws -> [TamperAlarm] {
        try rows("SELECT device_id, sequence, held_hash, offered_hash, batch_range, recorded_at FROM tamper_alarms ORDER BY id") {
            TamperAlarm(
                device: UInt32(truncatingIfNeeded: $0.integer(0)), sequence: UInt64($0.integer(1)), heldHash: Hex.encode($0.blob(2)),
                offeredHash: Hex.encode($0.blob(3)), batchRange: $0.text(4), recordedAt: $0.integer(5))
        }
    }

    public func recordRefusedBatch(_ batch: RefusedBatchRecord) throws {
        let device = SQLiteValue.integer(Int64(batch.device))
        try writeTransaction { database in
            try database.prepare(RefusedBatchRecord.upsertSQL).run([
                device, .integer(Int64(clamping: batch.firstSequence)), .integer(Int64(clamping: batch.lastSequence)),
                .blob(Hex.decode(batch.firstPreviousHash) ?? []), .blob(Hex.decode(batch.lastHash) ?? []),
                .integer(Int64(clamping: batch.heldSequence)), .integer(batch.firstRefusedAt), .integer(batch.lastRefusedAt),
            ])
            try database.prepare(RefusedBatchRecord.pruneSQL).run([device, device, device])
        }
    }

    public func refusedBatches() throws -> [RefusedBatchRecord] {
        try rows(RefusedBatchRecord.selectSQL) {
            RefusedBatchRecord(
                device: UInt32(truncatingIfNeeded: $0.integer(0)), firstSequence: UInt64($0.integer(1)), lastSequence: UInt64($0.integer(2)),
                firstPreviousHash: Hex.encode($0.blob(3)), lastHash: Hex.encode($0.blob(4)), heldSequence: UInt64($0.integer(5)),
                firstRefusedAt: $0.integer(6), lastRefusedAt: $0.integer(7), timesOffered: $0.integer(8))
        }
    }

    public func entries(matching filter: EntryFilter, after cursor: EntryCursor?, limit: Int) throws -> EntryPage {
        if let cursor, !filter.accepts(cursor) { throw StorageError(.invalidQuery, "a cursor \(cursor) of the other order than the filter's") }
        return EntryPage(entries: try storedEntries(EntrySQL.page(filter, after: cursor, limit: limit)), filter: filter, limit: limit)
    }

    /// Folds the keys of the window's entries, read from the covering device-time index in one
    /// pass, into ranges (memory: one range a device). SQLite's own GROUP BY would first sort
    /// every key of the window in a temporary B-tree.
    public func deviceSequenceRanges(in window: DeviceTimeWindow) throws -> [DeviceSequenceRange] {
        let query = EntrySQL.windowKeys(window)
        let statement = try statement(query.sql)
        defer { statement.reset() }
        try statement.bind(query.values.map(SQLiteValue.integer))
        var ranges: [Int64: (first: Int64, last: Int64)] = [:]
        while try statement.step() {
            let device = statement.integer(0)
            let sequence = statement.integer(1)
            if let range = ranges[device] {
                ranges[device] = (Swift.min(range.first, sequence), Swift.max(range.last, sequence))
            } else {
                ranges[device] = (sequence, sequence)
            }
        }
        return ranges.sorted { $0.key < $1.key }.map {
            DeviceSequenceRange(device: DeviceID(rawValue: UInt32(truncatingIfNeeded: $0.key)), first: UInt64($0.value.first), last: UInt64($0.value.last))
        }
    }

    public func entries(of device: DeviceID, sequences: ClosedRange<UInt64>, in window: DeviceTimeWindow, limit: Int) throws -> [StoredEntry] {
        // A reconciliation reads a month by such pages: room for a full one is made at once,
        // rather than by the dozen reallocations (each moving every entry so far) that
        // appending row by row makes.
        let count = sequences.upperBound - sequences.lowerBound
        return try storedEntries(
            EntrySQL.windowPage(device: device, sequences: sequences, window: window, limit: limit),
            expecting: count < UInt64(Swift.max(limit, 0)) ? Int(count) + 1 : limit)
    }

    /// The rows of `query` (`bytes, received_at`), decoded; `expecting` rows are made room for.
    private func storedEntries(_ query: EntrySQL.Query, expecting capacity: Int = 0) throws -> [StoredEntry] {
        try rows(query.sql, query.values.map(SQLiteValue.integer), reservingCapacity: capacity) {
            StoredEntry(entry: try LedgerEntry(canonicalBytes: $0.blob(0)), receivedAt: UnixTime($0.integer(1)))
        }
    }

    public func entryRows(after cursor: (device: Int64, sequence: Int64)?, limit: Int) throws -> [StoredEntryRow] {
        let query = EntrySQL.rows(after: cursor, limit: limit)
        let count = Int32(EntryColumns.names.count)
        return try rows(query.sql, query.values.map(SQLiteValue.integer)) { row in
            StoredEntryRow(
                device: row.integer(0), sequence: row.integer(1), bytes: row.blob(2), hash: row.blob(3),
                columns: (4..<(4 + count)).map { row.isNull($0) ? nil : row.integer($0) })
        }
    }

    public func deviceLedgerStates() throws -> [DeviceLedgerState] {
        try rows(EntrySQL.ledgerStates) { row in
            let device = DeviceID(rawValue: UInt32(truncatingIfNeeded: row.integer(0)))
            let head = row.isNull(1) ? ChainHead.genesis(for: device) : ChainHead(deviceID: device, sequence: UInt64(row.integer(1)), hash: try ChainHash(bytes: row.blob(2)))
            let receipt = row.isNull(3)
                ? nil : try Receipt(deviceID: device, sequence: UInt64(row.integer(3)), chainHash: try ChainHash(bytes: row.blob(4)), signature: row.blob(5))
            return DeviceLedgerState(device: device, head: head, latestReceipt: receipt)
        }
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
        // With its reference-data effects (tariff period, deny-listing effect times) in one transaction.
        try writeTransaction { database in
            try database.prepare("INSERT INTO bundles (kind, version, bytes, uploaded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
                .run([.integer(Int64(bundle.kind.rawValue)), .integer(Int64(bundle.version)), .blob(bundle.bytes), .integer(bundle.uploadedAt.rawValue)])
            if try database.integer("SELECT changes()") == 1 { try recordEffects(of: bundle) }
        }
    }

    public func latestBundle(_ kind: BundleKind) throws -> StoredBundle? {
        try rows("SELECT version, bytes, uploaded_at FROM bundles WHERE kind = ? ORDER BY version DESC LIMIT 1", [.integer(Int64(kind.rawValue))]) {
            StoredBundle(kind: kind, version: UInt32(truncatingIfNeeded: $0.integer(0)), bytes: $0.blob(1), uploadedAt: UnixTime($0.integer(2)))
        }.first
    }

    public func addDenyListRequest(cardSerial: String, reason: String, reportedBy: String, at time: UnixTime) throws -> Int64 {
        try writeTransaction { database in
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
            .text(registration.label), .integer(registration.registeredAt.rawValue), .text(registration.role.rawValue),
        ]
    }
}
