import AccountingCore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import ServiceLifecycle

/// A device registered with the service: which certified key speaks for it.
public struct DeviceRegistration: Hashable, Sendable {
    /// The device.
    public var deviceID: DeviceID
    /// Its certificate (root-signed, validator role), as registered.
    public var certificate: Certificate
    /// A name for people: `bus-017`.
    public var label: String
    /// When it was registered.
    public var registeredAt: UnixTime
    /// A validator or an issuance desk (schema 7; devices registered before are validators).
    public var role: DeviceRole

    /// Creates a registration.
    public init(deviceID: DeviceID, certificate: Certificate, label: String, registeredAt: UnixTime, role: DeviceRole = .validator) {
        self.deviceID = deviceID
        self.certificate = certificate
        self.label = label
        self.registeredAt = registeredAt
        self.role = role
    }

    /// The key that may speak for the device, and for what.
    public var key: RegisteredDeviceKey {
        RegisteredDeviceKey(deviceID: deviceID, keyID: certificate.keyID, publicKey: certificate.publicKey, role: role)
    }
}

extension DeviceRole {
    /// The role of a `devices.role` cell; a name this code does not know is a damaged row, not a validator.
    init(storedName: String) throws {
        guard let role = DeviceRole(rawValue: storedName) else {
            throw StorageError(.inconsistent, "devices.role holds '\(storedName)', which names no device role")
        }
        self = role
    }
}

/// Everything one accepted batch writes, in one transaction.
public struct IngestCommit: Sendable {
    /// The head the decision was made against; the commit fails with `headMoved` if it changed.
    public var expectedHead: ChainHead
    /// The entries to add, contiguous after `expectedHead`.
    public var entries: [LedgerEntry]
    /// The device's checkpoint at the last entry.
    public var checkpoint: Checkpoint
    /// The service's receipt at the last entry.
    public var receipt: Receipt
    /// When the service received them.
    public var receivedAt: UnixTime
    /// Awaited after the entries are written and before the head's compare-and-set: the end of
    /// the commit, still under way, that leaves `expectedHead` (the device's batch before this
    /// one). A storage that writes the head first, or whose commits are serialized anyway, need
    /// not call it.
    public var beforeMovingHead: (@Sendable () async -> Void)?

    /// Creates a commit.
    public init(
        expectedHead: ChainHead, entries: [LedgerEntry], checkpoint: Checkpoint, receipt: Receipt, receivedAt: UnixTime,
        beforeMovingHead: (@Sendable () async -> Void)? = nil
    ) {
        self.expectedHead = expectedHead
        self.entries = entries
        self.checkpoint = checkpoint
        self.receipt = receipt
        self.receivedAt = receivedAt
        self.beforeMovingHead = beforeMovingHead
    }
}

/// The outcome of `AccountingStorage.register(_:)`.
public enum RegistrationOutcome: Hashable, Sendable {
    /// Stored: a new device, or the device's registration replaced (a new certificate or key).
    case registered
    /// The key is registered for this other device already; nothing was written.
    ///
    /// One key speaks for one device: two device ids sharing a key would let one bus upload
    /// under both. The database enforces it too (a unique index, schema 4), so two concurrent
    /// registrations cannot both win.
    case keyRegisteredToAnotherDevice(DeviceID)
}

/// The outcome of `AccountingStorage.commit(_:)`.
public enum CommitOutcome: Hashable, Sendable {
    /// Written.
    case committed
    /// Another request moved the head first; nothing was written (decide again).
    case headMoved
}

/// A recorded tamper alarm.
public struct TamperAlarm: Hashable, Sendable, Codable {
    /// The device.
    public var device: UInt32
    /// The first sequence where the batch contradicted held entries.
    public var sequence: UInt64
    /// What the service holds, hex.
    public var heldHash: String
    /// What the batch said, hex.
    public var offeredHash: String
    /// The batch's range, `first-last`.
    public var batchRange: String
    /// When it was recorded (Unix seconds).
    public var recordedAt: Int64

    /// Creates an alarm.
    public init(device: UInt32, sequence: UInt64, heldHash: String, offeredHash: String, batchRange: String, recordedAt: Int64) {
        self.device = device
        self.sequence = sequence
        self.heldHash = heldHash
        self.offeredHash = offeredHash
        self.batchRange = batchRange
        self.recordedAt = recordedAt
    }
}

/// A signed bundle as uploaded by an operator.
public struct StoredBundle: Hashable, Sendable {
    /// Its kind.
    public var kind: BundleKind
    /// Its version.
    public var version: UInt32
    /// The bytes exactly as signed.
    public var bytes: [UInt8]
    /// When it was uploaded.
    public var uploadedAt: UnixTime

    /// Creates a stored bundle.
    public init(kind: BundleKind, version: UInt32, bytes: [UInt8], uploadedAt: UnixTime) {
        self.kind = kind
        self.version = version
        self.bytes = bytes
        self.uploadedAt = uploadedAt
    }
}

/// A card reported by a desk for the next deny-list bundle.
public struct DenyListRequest: Hashable, Sendable, Codable {
    /// Its number.
    public var id: Int64
    /// The card serial (16 hex digits).
    public var cardSerial: String
    /// Why: `lost`, `stolen`, `replaced`, …
    public var reason: String
    /// Which operator token reported it (its label).
    public var reportedBy: String
    /// When (Unix seconds).
    public var reportedAt: Int64

    /// Creates a request.
    public init(id: Int64, cardSerial: String, reason: String, reportedBy: String, reportedAt: Int64) {
        self.id = id
        self.cardSerial = cardSerial
        self.reason = reason
        self.reportedBy = reportedBy
        self.reportedAt = reportedAt
    }
}

/// An operator token's role and label, found by the token's hash.
public struct OperatorIdentity: Hashable, Sendable {
    /// The role.
    public var role: OperatorRole
    /// A name for the audit trail.
    public var label: String

    /// Creates an identity.
    public init(role: OperatorRole, label: String) {
        self.role = role
        self.label = label
    }
}

/// A stored entry, as the transactions query returns it.
public struct StoredEntry: Hashable, Sendable {
    /// The entry.
    public var entry: LedgerEntry
    /// When the service received it.
    public var receivedAt: UnixTime

    /// Creates a stored entry.
    public init(entry: LedgerEntry, receivedAt: UnixTime) {
        self.entry = entry
        self.receivedAt = receivedAt
    }
}

/// The accounting service's storage: one schema, two engines (SQLite, PostgreSQL).
///
/// Every method is one statement or one transaction. The ingest path is `head` →
/// `heldHashes` → (pure decision) → `commit`, and `commit` re-checks the head inside its
/// transaction, so two service instances (or two requests) racing on one device cannot both
/// append: the loser gets `.headMoved` and decides again.
///
/// A storage is a `Service`: `run()` holds its connections for as long as it is in use, and
/// must run (in the program's `ServiceGroup`, or a task group) while the storage is used;
/// PostgreSQL's connection pool does its work there, and its queries wait until it runs.
/// `run()` returns after `close()`, cancellation or graceful shutdown, and the storage is
/// closed from then on. `StorageLocation.withStorage` does all of this for a short-lived user.
public protocol AccountingStorage: Service, ReferenceDataStorage {
    /// Holds the connections until `close()`, cancellation or graceful shutdown, then closes
    /// the storage. May be called once.
    func run() async throws
    /// Applies pending migrations; returns the schema version now in force.
    ///
    /// Throws a `StorageError` for a database whose schema is newer than this code.
    @discardableResult func migrate() async throws -> Int
    /// Succeeds when the database answers.
    func healthCheck() async throws
    /// Releases the connection(s) and ends `run()`; later calls throw a `StorageError`. Idempotent.
    func close() async throws

    /// Records the first use of `nonce` by `device` in a request signed at `timestamp`; false
    /// when the device used the same nonce before (the request is a replay).
    ///
    /// Nonces of requests signed before `cutoff` are forgotten from this call on: the caller
    /// passes the oldest timestamp it still accepts, so a forgotten nonce can only come back in
    /// a request the timestamp check refuses by itself. Stored, so a replay is refused across a
    /// restart of the service and across service instances sharing one PostgreSQL database
    /// (SQLite stores it with its next write transaction: `SQLiteStorage.admitNonce` says why).
    func admitNonce(_ nonce: String, of device: DeviceID, signedAt timestamp: UnixTime, forgettingBefore cutoff: UnixTime) async throws -> Bool

    /// Registers (or re-registers with a new certificate) a device, unless its key is
    /// registered for another device (`keyRegisteredToAnotherDevice`, nothing written).
    ///
    /// The storage checks only the pairing of keys and ids; the certificate's own checks (root,
    /// role, dates, the device it names) are the caller's, before this.
    @discardableResult func register(_ registration: DeviceRegistration) async throws -> RegistrationOutcome
    /// The registration of `device`.
    func registration(of device: DeviceID) async throws -> DeviceRegistration?
    /// Every registration, by device id.
    func registrations() async throws -> [DeviceRegistration]

    /// The end of the chain held for `device` (genesis when nothing is held).
    func head(of device: DeviceID) async throws -> ChainHead
    /// The head of `device`, and the hash and the receipt held at `sequence`: for a batch ending
    /// at `sequence`, in one round trip where the engine allows (a replay's whole decision).
    func head(of device: DeviceID, withHeldAt sequence: UInt64) async throws -> HeadWithHeld
    /// Hashes of held entries of `device` in `range`.
    func heldHashes(of device: DeviceID, in range: ClosedRange<UInt64>) async throws -> [UInt64: ChainHash]
    /// Writes an accepted batch in one transaction, if the head is still `commit.expectedHead`.
    func commit(_ commit: IngestCommit) async throws -> CommitOutcome
    /// The receipt issued at exactly `sequence`, if any.
    func receipt(of device: DeviceID, at sequence: UInt64) async throws -> Receipt?
    /// The receipt with the highest sequence.
    func latestReceipt(of device: DeviceID) async throws -> Receipt?
    /// Stores a receipt unless one is stored at that sequence already.
    func storeReceipt(_ receipt: Receipt) async throws
    /// Records a tamper alarm.
    func recordAlarm(_ alarm: TamperAlarm) async throws
    /// Every tamper alarm, oldest first.
    func alarms() async throws -> [TamperAlarm]
    /// Records a batch refused after a hole (a new row, or the same batch offered again), keeping
    /// at most `RefusedBatchRecord.keptPerDevice` rows of its device.
    func recordRefusedBatch(_ batch: RefusedBatchRecord) async throws
    /// Every recorded refused batch, by device and first sequence.
    func refusedBatches() async throws -> [RefusedBatchRecord]

    /// A page of the entries `filter` selects, after `cursor`, at most `limit`: read by keyset
    /// from an index, so a page costs the same wherever the cursor is.
    ///
    /// Throws a `StorageError` (`invalidQuery`) for a cursor of the other order than the
    /// filter's (`EntryFilter.accepts(_:)`).
    func entries(matching filter: EntryFilter, after cursor: EntryCursor?, limit: Int) async throws -> EntryPage
    /// Each device's lowest and highest sequence among entries with a device time inside
    /// `window`, by device (what `entryPages(in:pageSize:)` reads first).
    func deviceSequenceRanges(in window: DeviceTimeWindow) async throws -> [DeviceSequenceRange]
    /// The entries of `device` with a sequence in `sequences` and a device time inside `window`,
    /// by sequence, at most `limit`.
    func entries(of device: DeviceID, sequences: ClosedRange<UInt64>, in window: DeviceTimeWindow, limit: Int) async throws -> [StoredEntry]
    /// Rows of `entries` exactly as stored, every column, after `cursor` (device, sequence), at
    /// most `limit` (for `verifyEntryColumns`).
    func entryRows(after cursor: (device: Int64, sequence: Int64)?, limit: Int) async throws -> [StoredEntryRow]
    /// Every device the service knows (registered or holding entries): its held head and its
    /// latest receipt, by device.
    func deviceLedgerStates() async throws -> [DeviceLedgerState]
    /// How many entries are held (all devices).
    func entryCount() async throws -> Int
    /// The checkpoints held for `device`.
    func checkpoints(of device: DeviceID) async throws -> [Checkpoint]

    /// Adds an operator token, identified by the SHA-256 of the token.
    func addOperatorToken(hash: [UInt8], identity: OperatorIdentity, createdAt: UnixTime) async throws
    /// The operator identity whose token hashes to `hash`.
    func operatorIdentity(tokenHash hash: [UInt8]) async throws -> OperatorIdentity?

    /// Stores a verified bundle (a version is stored once).
    func storeBundle(_ bundle: StoredBundle) async throws
    /// The highest version of `kind`.
    func latestBundle(_ kind: BundleKind) async throws -> StoredBundle?

    /// Records a deny-list report; returns its number.
    func addDenyListRequest(cardSerial: String, reason: String, reportedBy: String, at time: UnixTime) async throws -> Int64
    /// Every deny-list report, oldest first.
    func denyListRequests() async throws -> [DenyListRequest]
}

/// A device's head, with what is held at one sequence: what deciding a batch that ends at that
/// sequence needs (`AccountingStorage.head(of:withHeldAt:)`).
public struct HeadWithHeld: Hashable, Sendable {
    /// The end of the chain held (genesis when nothing is held).
    public var head: ChainHead
    /// The hash of the held entry at the sequence asked for, if one is held.
    public var hash: ChainHash?
    /// The receipt issued at the sequence asked for, if any.
    public var receipt: Receipt?

    /// Creates the view.
    public init(head: ChainHead, hash: ChainHash?, receipt: Receipt?) {
        self.head = head
        self.hash = hash
        self.receipt = receipt
    }
}

extension AccountingStorage {
    /// The view from `head(of:)`, `heldHashes(of:in:)` and `receipt(of:at:)`, each asked only
    /// when the head is at or past `sequence` (an engine whose calls cost little needs no more).
    public func head(of device: DeviceID, withHeldAt sequence: UInt64) async throws -> HeadWithHeld {
        let head = try await head(of: device)
        guard sequence > 0, sequence <= head.sequence else { return HeadWithHeld(head: head, hash: nil, receipt: nil) }
        let hash = try await heldHashes(of: device, in: sequence...sequence)[sequence]
        return HeadWithHeld(head: head, hash: hash, receipt: try await receipt(of: device, at: sequence))
    }
}

extension AccountingStorage {
    /// The entries of `device` (or every device) after `cursor` (device, sequence), in order,
    /// at most `limit`: `entries(matching:after:limit:)` without the other filters.
    public func entries(device: DeviceID?, after cursor: (device: UInt32, sequence: UInt64)?, limit: Int) async throws -> [StoredEntry] {
        let position = cursor.map { EntryCursor.position(device: DeviceID(rawValue: $0.device), sequence: $0.sequence) }
        return try await entries(matching: EntryFilter(device: device), after: position, limit: limit).entries
    }

    /// The entries of `window` in (device, sequence) order, in pages of at most `pageSize`,
    /// each read by keyset: for the reconciliation of a period, in bounded memory.
    public func entryPages(in window: DeviceTimeWindow, pageSize: Int = 1000) -> EntryWindowPages {
        EntryWindowPages(storage: self, window: window, pageSize: pageSize)
    }

    /// Re-reads every stored entry and checks its columns (device, sequence, hash and the
    /// fields of schema 5) against its canonical bytes; the first `maximumMismatches`
    /// disagreements, in (device, sequence) order.
    ///
    /// The columns are what queries select by; the bytes are what was signed. A column changed
    /// by hand would make a query (and a compensation) disagree with the signed ledger without
    /// breaking any chain, so this is how an operator or auditor proves they still agree.
    public func verifyEntryColumns(maximumMismatches: Int = 1000, pageSize: Int = 1000) async throws -> EntryColumnCheck {
        var check = EntryColumnCheck(checkedEntries: 0, mismatches: [], truncated: false)
        var cursor: (device: Int64, sequence: Int64)?
        while true {
            let rows = try await entryRows(after: cursor, limit: pageSize)
            for row in rows {
                check.checkedEntries += 1
                for mismatch in row.mismatches() {
                    if check.mismatches.count < maximumMismatches { check.mismatches.append(mismatch) } else { check.truncated = true }
                }
            }
            guard rows.count == pageSize, let last = rows.last else { return check }
            cursor = (last.device, last.sequence)
        }
    }
}

extension EntryPage {
    /// The page of `entries` read for `filter` with `limit`: a full page has a next cursor.
    init(entries: [StoredEntry], filter: EntryFilter, limit: Int) {
        self.init(entries: entries, next: entries.count == limit ? entries.last.map { EntryCursor(after: $0.entry, orderedBy: filter) } : nil)
    }
}
