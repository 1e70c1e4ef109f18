import Crypto
import Entitlements
import Identifiers
import LedgerCore
import LedgerStore

/// What the uploader needs from the validator's ledger.
public protocol UploadLedger: Sendable {
    /// The device.
    var deviceID: DeviceID { get }
    /// Up to `limit` entries from `sequence` on, in order (fewer at the end of the ledger).
    func entries(from sequence: UInt64, limit: Int) async throws -> [LedgerEntry]
    /// The highest sequence a stored receipt covers.
    func latestReceiptSequence() async throws -> UInt64?
    /// The last sequence written.
    func headSequence() async throws -> UInt64
    /// Checks and stores a receipt (LedgerStore refuses one that is not for this chain).
    func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) async throws
    /// Deletes receipted entries older than the retention; returns how many.
    func prune(now: UnixTime) async throws -> Int
    /// Keeps a checkpoint the uploader signed over a batch, before the batch is sent: the ledger
    /// holds every checkpoint the service can hold (LedgerStore refuses one not over this chain).
    func storeCheckpoint(_ checkpoint: Checkpoint) async throws
}

/// The validator's LedgerStore behind an actor: the one owner of the store in the daemon.
///
/// The tap path appends through `append(_:)` and the uploader reads and stores receipts through
/// the `UploadLedger` methods, all serialized here; SQLite's WAL keeps readers of other
/// processes (`hromada-validator verify`) working meanwhile.
public actor LedgerStoreUploadLedger: UploadLedger {
    private let store: LedgerStore
    /// The device.
    public nonisolated let deviceID: DeviceID

    /// Opens (or creates) the ledger at `path` for `deviceID`.
    public init(path: String, deviceID: DeviceID, deviceKey: Curve25519.Signing.PrivateKey, configuration: LedgerStore.Configuration = .init()) throws {
        store = try LedgerStore(path: path, deviceID: deviceID, deviceKey: deviceKey, configuration: configuration)
        self.deviceID = deviceID
    }

    /// Appends a record (the tap path).
    @discardableResult
    public func append(_ record: LedgerRecord) throws -> LedgerEntry { try store.append(record) }

    public func entries(from sequence: UInt64, limit: Int) throws -> [LedgerEntry] {
        try store.entries(from: sequence, limit: limit)
    }

    public func latestReceiptSequence() throws -> UInt64? { try store.latestReceiptSequence() }
    public func headSequence() -> UInt64 { store.head.sequence }
    public func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) throws {
        try store.storeReceipt(receipt, servicePublicKey: servicePublicKey)
    }
    public func prune(now: UnixTime) throws -> Int { try store.prune(now: now) }
    public func storeCheckpoint(_ checkpoint: Checkpoint) throws { try store.storeCheckpoint(checkpoint) }
    /// Every stored checkpoint (for tests).
    public func checkpoints() throws -> [Checkpoint] { try store.checkpoints() }

    /// Verifies the ledger (for tests and the daemon's self-check).
    public func verify() throws -> LedgerVerification { try store.verify() }
    /// How many entries are stored.
    public func entryCount() throws -> Int { try store.entryCount() }
    /// Closes the store.
    public func close() { store.close() }
}
