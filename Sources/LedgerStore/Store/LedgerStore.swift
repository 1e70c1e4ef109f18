import Crypto
import Entitlements
import Identifiers
import LedgerCore
import SQLiteSupport

/// A validator's ledger in SQLite: durable appends, signed checkpoints, receipts and pruning.
///
/// The database runs in WAL mode. A `.durable` append (the default) commits with
/// `synchronous=FULL`: it has reached the disk when `append` returns, and so has every append
/// before it (the fsync of the WAL covers all its frames). A `.deferred` append commits with
/// `synchronous=NORMAL`: it is in the WAL (a killed process keeps it) but reaches the disk only
/// with the next durable append, `makeDurable()` or SQLite's WAL checkpoint; a power loss can
/// lose it, and then loses every later append with it (WAL recovery keeps a prefix of the
/// commits), so the file always holds a chain that verifies. docs/validator.md ("Durability")
/// gives the argument. Triggers refuse UPDATE and DELETE of every ledger table, and any insert
/// over a stored key (so `REPLACE` and upserts too, schema 3); the only deletion let through is
/// `prune(now:)` of entries a stored, checked receipt covers and that are older than the
/// retention.
///
/// When a write fails for a reason that means "cannot record" (full disk, read-only file,
/// damaged database, I/O error), the store goes out of service (`serviceState`) and refuses
/// further appends until `resumeService()` succeeds: a validator must not charge a card it
/// cannot record. Not `Sendable`: one owner (an actor in the validator) uses it at a time.
public final class LedgerStore {
    /// Settings for opening a store.
    public struct Configuration: Sendable {
        /// A checkpoint is signed after every this many entries (in the same transaction).
        public var checkpointInterval: UInt64
        /// Receipted entries older than this may be pruned; recorded when the ledger is created.
        public var retentionSeconds: Int64
        /// Limits the database to this many pages (tests use it to simulate a full disk).
        public var maximumPageCount: Int?
        /// Runs SQLite's `quick_check` on open, so a damaged file is found before the first tap.
        public var checkIntegrityOnOpen: Bool

        /// Creates settings; the defaults suit a validator (checkpoint every 100 entries, 90-day retention).
        public init(
            checkpointInterval: UInt64 = 100, retentionSeconds: Int64 = 90 * 86_400, maximumPageCount: Int? = nil,
            checkIntegrityOnOpen: Bool = true
        ) {
            self.checkpointInterval = max(1, checkpointInterval)
            self.retentionSeconds = retentionSeconds
            self.maximumPageCount = maximumPageCount
            self.checkIntegrityOnOpen = checkIntegrityOnOpen
        }
    }

    /// Whether the store can record, and so whether the validator may charge cards.
    public enum ServiceState: Hashable, Sendable {
        /// Appends are accepted.
        case inService
        /// Appends are refused after this failure; the validator must show "out of service".
        case outOfService(LedgerStoreError)
    }

    /// The device this ledger belongs to.
    public let deviceID: DeviceID
    /// The device's public key recorded when the ledger was created.
    public let devicePublicKey: [UInt8]
    /// The path of the database file.
    public let path: String
    /// Whether or not a store can record right now.
    public private(set) var serviceState: ServiceState = .inService
    /// The end of the durable chain.
    public private(set) var head: ChainHead
    /// The sequence of the latest stored checkpoint, if any.
    public private(set) var lastCheckpointSequence: UInt64?

    let connection: SQLiteConnection
    private let deviceKey: Curve25519.Signing.PrivateKey?
    private let configuration: Configuration
    private var prepared: PreparedStatements?

    /// How soon an append must reach the disk.
    public enum Durability: Hashable, Sendable {
        /// On disk before `append` returns, together with every deferred append before it.
        case durable
        /// Written to the WAL (it survives a killed process) and fsync'd with the next durable
        /// append, `makeDurable()` or a WAL checkpoint. A power loss before then may drop it, and
        /// with it every later append, never an earlier one.
        case deferred
    }

    /// The newest sequence known to be on disk (fsync'd): at most `head.sequence`.
    public private(set) var durableSequence: UInt64 = 0

    /// Whether appends are accepted: a validator checks this before charging a card.
    public var isInService: Bool { serviceState == .inService }

    /// Opens (or creates) the ledger of `deviceID` for appending, signing checkpoints with `deviceKey`.
    ///
    /// Throws `wrongDevice` if the file belongs to another device or key, `corrupt` if it is
    /// damaged, `readOnly` if it cannot be written, `unsupportedSchema` for a newer schema.
    /// Older schemas are migrated.
    public init(
        path: String, deviceID: DeviceID, deviceKey: Curve25519.Signing.PrivateKey,
        configuration: Configuration = Configuration()
    ) throws {
        let connection = try LedgerStore.openConnection(path: path, readOnly: false)
        let publicKey = Array(deviceKey.publicKey.rawRepresentation)
        if connection.isReadOnly {
            throw LedgerStoreError(.readOnly, "\(path) can only be opened for reading")
        }
        try connection.execute("PRAGMA busy_timeout = 5000")
        // Reading the schema version is the first read of the file: a non-database fails here,
        // before anything is written to it.
        _ = try SQLiteMigrator.version(of: connection)
        let mode = try connection.text("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw LedgerStoreError(.readOnly, "\(path) cannot be switched to WAL mode (journal mode \(mode ?? "?"))")
        }
        try connection.execute("PRAGMA synchronous = FULL")
        if let pages = configuration.maximumPageCount {
            _ = try connection.integer("PRAGMA max_page_count = \(pages)")
        }
        if configuration.checkIntegrityOnOpen { try Self.checkIntegrity(connection, path: path) }

        let migrator = Schema.migrator(
            deviceID: deviceID.rawValue, devicePublicKey: publicKey, retentionSeconds: configuration.retentionSeconds)
        do {
            try migrator.migrate(connection)
        } catch let refusal as SQLiteMigrator.Refusal {
            throw LedgerStoreError(.unsupportedSchema, "\(path): \(refusal)")
        }

        let facts = try Self.readFacts(connection, path: path)
        guard facts.deviceID == deviceID else {
            throw LedgerStoreError(.wrongDevice, "\(path) is the ledger of device \(facts.deviceID), not \(deviceID)")
        }
        guard facts.publicKey == publicKey else {
            throw LedgerStoreError(.wrongDevice, "\(path) was created with another device key")
        }
        self.connection = connection
        self.path = path
        self.deviceID = deviceID
        self.devicePublicKey = publicKey
        self.deviceKey = deviceKey
        self.configuration = configuration
        self.head = try Self.readHead(connection, deviceID: deviceID)
        self.lastCheckpointSequence = try Self.readLastCheckpointSequence(connection)
        self.prepared = try PreparedStatements(connection)
        // What the file holds was read back from it: after a crash that is what survived. It is
        // on disk once synced; until then a power loss could still take the tail (the previous
        // process may have left deferred appends in the WAL).
        try makeDurable(force: true)
    }

    /// Opens an existing ledger for reading only (verification, export); appends are refused.
    public init(readingAt path: String) throws {
        let connection = try LedgerStore.openConnection(path: path, readOnly: true)
        try connection.execute("PRAGMA busy_timeout = 5000")
        let version = try SQLiteMigrator.version(of: connection)
        guard version >= 1 && version <= Schema.currentVersion else {
            throw LedgerStoreError(.unsupportedSchema, "\(path) has schema version \(version); this code reads 1–\(Schema.currentVersion)")
        }
        let facts = try Self.readFacts(connection, path: path)
        self.connection = connection
        self.path = path
        self.deviceID = facts.deviceID
        self.devicePublicKey = facts.publicKey
        self.deviceKey = nil
        self.configuration = Configuration()
        // A reader must open a tampered ledger too, so that `verify` can say what is wrong with it.
        do {
            self.head = try Self.readHead(connection, deviceID: facts.deviceID)
        } catch let error as LedgerStoreError where error.code == .inconsistent {
            self.head = try Self.readStart(connection, deviceID: facts.deviceID)
        }
        self.lastCheckpointSequence = try Self.readLastCheckpointSequence(connection)
        self.prepared = nil
    }

    deinit { close() }

    /// Closes the database; later calls throw `notWritable`. Does not sign anything: see `shutDown(at:)`.
    public func close() {
        prepared = nil
        connection.close()
    }

    // MARK: Appending

    /// Appends `record` as the next entry and returns it once it is on disk (`.durable`), or
    /// once it is in the WAL (`.deferred`).
    ///
    /// The entry (and, when one is due, a checkpoint over it) is written in one transaction.
    /// On a storage failure nothing is recorded, the head stays where it was, the store goes
    /// out of service and the error is rethrown.
    @discardableResult
    public func append(_ record: LedgerRecord, durability: Durability = .durable) throws -> LedgerEntry {
        try append(contentsOf: [record], durability: durability)[0]
    }

    /// Appends `records` as the next entries, in order, in one transaction (with any checkpoint
    /// falling due among them): all are recorded or none. Returns them as appended.
    @discardableResult
    public func append(contentsOf records: [LedgerRecord], durability: Durability = .durable) throws -> [LedgerEntry] {
        let prepared = try writableStatements()
        guard !records.isEmpty else { return [] }
        var next = head
        var entries: [LedgerEntry] = []
        var checkpoints: [Checkpoint] = []
        entries.reserveCapacity(records.count)
        for record in records {
            let entry: LedgerEntry
            do {
                entry = try next.seal(record)
            } catch {
                throw LedgerStoreError(.invalidEntry, "\(error)")
            }
            next = ChainHead(after: entry)
            entries.append(entry)
            if entry.sequence % configuration.checkpointInterval == 0 { checkpoints.append(try sign(next)) }
        }
        try outOfServiceOnFailure {
            try withSynchronous(durability) {
                if entries.count == 1 && checkpoints.isEmpty {
                    // One statement is its own transaction (autocommit): as atomic and as durable,
                    // and two statement steps cheaper than BEGIN … COMMIT around it.
                    try prepared.insertEntry(entries[0])
                } else {
                    try connection.write { _ in
                        for entry in entries { try prepared.insertEntry(entry) }
                        for checkpoint in checkpoints { try prepared.insertCheckpoint(checkpoint) }
                    }
                }
            }
        }
        head = next
        if let checkpoint = checkpoints.last { lastCheckpointSequence = checkpoint.sequence }
        if durability == .durable { durableSequence = head.sequence }
        return entries
    }

    /// Puts every append so far on disk: one fsync of the WAL (and of the database file, which
    /// a WAL checkpoint may have written), or nothing when no deferred append is outstanding.
    ///
    /// Called before entries leave the device (an upload must never send an entry that a power
    /// loss could take back and the chain then reuse its sequence for another).
    public func makeDurable() throws {
        try makeDurable(force: false)
    }

    private func makeDurable(force: Bool) throws {
        // A store opened for reading appends nothing; what it reads is another owner's business.
        guard prepared != nil, force || durableSequence < head.sequence else { return }
        try outOfServiceOnFailure {
            // The WAL first: its frames are the commits not yet checkpointed into the file.
            try Self.syncFile(path + "-wal")
            try Self.syncFile(path)
        }
        durableSequence = head.sequence
    }

    /// Runs one write at `durability`: `synchronous=NORMAL` for a deferred one, FULL otherwise.
    /// The connection rests at FULL, so every other write (checkpoints, receipts, pruning,
    /// migrations) stays durable as it was.
    private func withSynchronous(_ durability: Durability, _ body: () throws -> Void) throws {
        guard let prepared else { return try body() }
        guard durability == .deferred else {
            // Should switching back after a deferred write have failed, a durable write must
            // not go out at NORMAL: it is the promise the tearing protocol stands on.
            if !prepared.synchronousIsFull { try prepared.setSynchronous(full: true) }
            return try body()
        }
        try prepared.setSynchronous(full: false)
        defer { try? prepared.setSynchronous(full: true) }
        try body()
    }

    /// Signs and stores a checkpoint at the current head (before an upload), or returns the one
    /// already stored there.
    @discardableResult
    public func checkpoint() throws -> Checkpoint {
        let prepared = try writableStatements()
        if lastCheckpointSequence == head.sequence, let existing = try checkpoint(at: head.sequence) {
            return existing
        }
        let checkpoint = try sign(head)
        try outOfServiceOnFailure {
            try withSynchronous(.durable) { try connection.write { _ in try prepared.insertCheckpoint(checkpoint) } }
        }
        lastCheckpointSequence = checkpoint.sequence
        // A FULL commit: the checkpoint and every entry before it are on disk.
        durableSequence = head.sequence
        return checkpoint
    }

    /// Stores a checkpoint signed elsewhere with this device's key (the uploader signs one over
    /// each batch), so the ledger keeps every checkpoint the device ever gave out.
    ///
    /// Refused (`invalidEntry`) unless it is for this device, verifies under the device key,
    /// and names the hash this ledger has at its sequence; one already stored is accepted again.
    public func storeCheckpoint(_ checkpoint: Checkpoint) throws {
        // Like receipts, allowed while out of service: uploading (and then pruning) is how a
        // full disk frees space; only the write itself failing stops it.
        let prepared = try writableStatements(allowOutOfService: true)
        guard checkpoint.deviceID == deviceID,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: devicePublicKey), checkpoint.isValid(signedBy: key)
        else {
            throw LedgerStoreError(.invalidEntry, "\(checkpoint) is not signed by this device's key")
        }
        guard let entry = try entry(at: checkpoint.sequence), entry.hash == checkpoint.chainHash else {
            throw LedgerStoreError(.invalidEntry, "\(checkpoint) does not name this ledger's entry \(checkpoint.sequence)")
        }
        if let stored = try self.checkpoint(at: checkpoint.sequence) {
            guard stored.chainHash == checkpoint.chainHash else {
                throw LedgerStoreError(.inconsistent, "another checkpoint at \(checkpoint.sequence) is stored")
            }
            return
        }
        try outOfServiceOnFailure { try connection.write { _ in try prepared.insertCheckpoint(checkpoint) } }
        lastCheckpointSequence = max(lastCheckpointSequence ?? 0, checkpoint.sequence)
    }

    /// Records a clean shutdown (an entry and a checkpoint over it) and closes the store.
    @discardableResult
    public func shutDown(at time: UnixTime) throws -> Checkpoint {
        try append(.shutdown(at: time))
        let checkpoint = try checkpoint()
        close()
        return checkpoint
    }

    /// Tries to return to service after a failure: re-reads the chain's end from the database
    /// and checks it. Throws (and stays out of service) if the store still cannot be trusted.
    public func resumeService() throws {
        // Only a store opened for writing can return to service.
        _ = try writableStatements(allowOutOfService: true)
        if !connection.isInAutocommit {
            // A failed rollback can leave a transaction open; nothing in it was acknowledged.
            try? connection.execute("ROLLBACK")
        }
        do {
            if configuration.checkIntegrityOnOpen { try Self.checkIntegrity(connection, path: path) }
            head = try Self.readHead(connection, deviceID: deviceID)
            lastCheckpointSequence = try Self.readLastCheckpointSequence(connection)
        } catch let error as LedgerStoreError {
            serviceState = .outOfService(error)
            throw error
        }
        serviceState = .inService
    }

    // MARK: Internals

    var deviceKeyAvailable: Bool { deviceKey != nil }

    private func sign(_ point: ChainHead) throws -> Checkpoint {
        guard let deviceKey else { throw LedgerStoreError(.notWritable, "opened for reading only") }
        do {
            return try Checkpoint(signing: point, with: deviceKey)
        } catch {
            throw LedgerStoreError(.invalidEntry, "signing a checkpoint failed: \(error)")
        }
    }

    private func writableStatements(allowOutOfService: Bool = false) throws -> PreparedStatements {
        guard let prepared, connection.isOpen else {
            throw LedgerStoreError(.notWritable, "\(path) is open for reading only, or closed")
        }
        if !allowOutOfService, case .outOfService(let cause) = serviceState {
            throw LedgerStoreError(.outOfService, "the ledger is out of service since: \(cause)")
        }
        return prepared
    }

    /// Runs a write; a failure that means "cannot record" takes the store out of service.
    private func outOfServiceOnFailure(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as LedgerStoreError {
            // The replace triggers refuse a row at a sequence already stored: this store's head
            // is stale (another writer?), which is a store that cannot be trusted to record.
            let error = error.code == .appendOnly
                ? LedgerStoreError(.inconsistent, "a row at this sequence is already stored: \(error.reason)", sqliteCode: error.sqliteCode)
                : error
            if error.isOutOfService { serviceState = .outOfService(error) }
            throw error
        }
    }

    static func checkIntegrity(_ connection: SQLiteConnection, path: String) throws {
        let result = try connection.text("PRAGMA quick_check") ?? ""
        guard result == "ok" else {
            throw LedgerStoreError(.corrupt, "\(path) fails SQLite's integrity check: \(result)")
        }
    }

    static func readFacts(_ connection: SQLiteConnection, path: String) throws -> (deviceID: DeviceID, publicKey: [UInt8]) {
        let statement = try connection.prepare("SELECT key, value FROM meta WHERE key IN ('device_id', 'device_public_key')")
        var device: Int64?
        var key: [UInt8]?
        while try statement.step() {
            switch statement.text(0) {
            case "device_id": device = statement.integer(1)
            default: key = statement.blob(1)
            }
        }
        guard let device, let key, key.count == 32, let id = UInt32(exactly: device) else {
            throw LedgerStoreError(.unsupportedSchema, "\(path) has no device facts")
        }
        return (DeviceID(id), key)
    }

    /// The end of the stored chain, checked: the last entry decodes, hashes to its stored hash
    /// and is filed under its own sequence. Before any entry, the latest prune anchor or genesis.
    static func readHead(_ connection: SQLiteConnection, deviceID: DeviceID) throws -> ChainHead {
        let last = try connection.prepare("SELECT sequence, bytes, hash FROM entries ORDER BY sequence DESC LIMIT 1")
        if try last.step() {
            let sequence = last.integer(0)
            let entry: LedgerEntry
            do {
                entry = try LedgerEntry(canonicalBytes: last.blob(1))
            } catch {
                throw LedgerStoreError(.inconsistent, "the last entry (\(sequence)) does not decode: \(error)")
            }
            guard Int64(exactly: entry.sequence) == sequence, entry.hash.bytes == last.blob(2),
                entry.deviceID == deviceID
            else {
                throw LedgerStoreError(.inconsistent, "the last entry (\(sequence)) does not match its stored hash or number")
            }
            return ChainHead(after: entry)
        }
        return try readStart(connection, deviceID: deviceID)
    }

    /// Where the stored chain starts: the latest prune anchor, or genesis.
    static func readStart(_ connection: SQLiteConnection, deviceID: DeviceID) throws -> ChainHead {
        guard try connection.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'prune_anchors'") == 1 else {
            return .genesis(for: deviceID)
        }
        let anchor = try connection.prepare("SELECT sequence, chain_hash FROM prune_anchors ORDER BY sequence DESC LIMIT 1")
        guard try anchor.step() else { return .genesis(for: deviceID) }
        guard let hash = try? ChainHash(bytes: anchor.blob(1)), let sequence = UInt64(exactly: anchor.integer(0)) else {
            throw LedgerStoreError(.inconsistent, "the prune anchor is malformed")
        }
        return ChainHead(deviceID: deviceID, sequence: sequence, hash: hash)
    }

    static func readLastCheckpointSequence(_ connection: SQLiteConnection) throws -> UInt64? {
        let statement = try connection.prepare("SELECT max(sequence) FROM checkpoints")
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return UInt64(exactly: statement.integer(0))
    }
}

/// The statements the hot path reuses, prepared once per store.
final class PreparedStatements {
    private let insertEntryStatement: SQLiteStatement
    private let insertCheckpointStatement: SQLiteStatement
    private let connection: SQLiteConnection

    init(_ connection: SQLiteConnection) throws {
        self.connection = connection
        insertEntryStatement = try connection.prepare(
            "INSERT INTO entries (sequence, bytes, hash, device_time, kind) VALUES (?, ?, ?, ?, ?)", persistent: true)
        insertCheckpointStatement = try connection.prepare(
            "INSERT INTO checkpoints (sequence, chain_hash, signature) VALUES (?, ?, ?)", persistent: true)
    }

    func insertEntry(_ entry: LedgerEntry) throws {
        defer { insertEntryStatement.reset() }
        try insertEntryStatement.bind(1, Int64(entry.sequence))
        try insertEntryStatement.bind(2, entry.canonicalBytes)
        try insertEntryStatement.bind(3, entry.hash.bytes)
        try insertEntryStatement.bind(4, entry.record.deviceTime.rawValue)
        try insertEntryStatement.bind(5, Int64(entry.record.kind.rawValue))
        try insertEntryStatement.run()
    }

    /// Sets how the next commits sync: FULL fsyncs the WAL at each commit, NORMAL leaves it to
    /// the next FULL commit or WAL checkpoint (SQLite reads the setting at each commit).
    ///
    /// Not a kept prepared statement: SQLite applies `PRAGMA synchronous` while compiling it, so
    /// preparing both settings once would leave the last one prepared in force and stepping them
    /// later would change nothing.
    func setSynchronous(full: Bool) throws {
        // Not known to be FULL until the pragma has gone through.
        synchronousIsFull = false
        try connection.execute(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        synchronousIsFull = full
    }

    /// Whether the connection is known to commit at FULL (it opens at FULL).
    private(set) var synchronousIsFull = true

    func insertCheckpoint(_ checkpoint: Checkpoint) throws {
        defer { insertCheckpointStatement.reset() }
        try insertCheckpointStatement.bind(1, Int64(checkpoint.sequence))
        try insertCheckpointStatement.bind(2, checkpoint.chainHash.bytes)
        try insertCheckpointStatement.bind(3, checkpoint.signature)
        try insertCheckpointStatement.run()
    }
}
