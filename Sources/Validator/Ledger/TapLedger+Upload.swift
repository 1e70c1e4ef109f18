import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Uploader

extension TapLedger {
    /// Up to `limit` entries from `sequence` on: the next upload batch.
    public func entries(from sequence: UInt64, limit: Int) throws -> [LedgerEntry] {
        try store.entries(from: sequence, limit: limit)
    }

    /// The highest sequence a stored receipt covers.
    public func latestReceiptSequence() throws -> UInt64? { try store.latestReceiptSequence() }

    /// Checks and stores an accounting receipt (refused unless it is for this chain and signed by
    /// the service).
    public func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) throws {
        try store.storeReceipt(receipt, servicePublicKey: servicePublicKey)
    }

    /// Deletes receipted entries past their retention; returns how many.
    public func prune(now: UnixTime) throws -> Int { try store.prune(now: now) }

    /// Keeps a checkpoint signed for an upload (refused unless it is this device's over this chain).
    public func storeCheckpoint(_ checkpoint: Checkpoint) throws { try store.storeCheckpoint(checkpoint) }
}

/// The daemon's ledger as the uploader sees it.
///
/// The tap path and the uploader share the one `TapLedger` actor that owns the store, so an
/// append and a batch read never race, and there is a single writer of the SQLite file.
public struct TapLedgerUploads: UploadLedger {
    /// The ledger.
    public let ledger: TapLedger
    public let deviceID: DeviceID

    /// The uploads of `ledger`, for device `deviceID`.
    public init(ledger: TapLedger, deviceID: DeviceID) {
        self.ledger = ledger
        self.deviceID = deviceID
    }

    public func entries(from sequence: UInt64, limit: Int) async throws -> [LedgerEntry] {
        try await ledger.entries(from: sequence, limit: limit)
    }
    public func latestReceiptSequence() async throws -> UInt64? { try await ledger.latestReceiptSequence() }
    public func headSequence() async throws -> UInt64 { await ledger.headSequence }
    public func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) async throws {
        try await ledger.storeReceipt(receipt, servicePublicKey: servicePublicKey)
    }
    public func prune(now: UnixTime) async throws -> Int { try await ledger.prune(now: now) }
    public func storeCheckpoint(_ checkpoint: Checkpoint) async throws { try await ledger.storeCheckpoint(checkpoint) }
}
