import Entitlements
import Identifiers

/// A record sealed into a device's chain: its sequence number, the hash it chains to, its
/// canonical bytes and its own hash.
///
/// Built only by `ChainHead.seal(_:)` or decoded from canonical bytes, so `canonicalBytes`
/// and `hash` always agree with the fields.
public struct LedgerEntry: Hashable, Sendable {
    /// The validator that wrote the entry.
    public let deviceID: DeviceID
    /// The entry's number on its device: 1, 2, 3, … with no gaps.
    public let sequence: UInt64
    /// What happened.
    public let record: LedgerRecord
    /// The hash of the entry before (the genesis value for entry 1).
    public let previousHash: ChainHash
    /// The canonical bytes (docs/ledger-format.md); the hash covers exactly these.
    public let canonicalBytes: [UInt8]
    /// SHA-256 of `canonicalBytes`; the next entry chains to it.
    public let hash: ChainHash

    init(deviceID: DeviceID, sequence: UInt64, record: LedgerRecord, previousHash: ChainHash) throws {
        self.deviceID = deviceID
        self.sequence = sequence
        self.record = record
        self.previousHash = previousHash
        self.canonicalBytes = try CanonicalEncoding.encode(
            deviceID: deviceID, sequence: sequence, record: record, previousHash: previousHash)
        self.hash = .of(canonicalBytes)
    }

    /// Decodes canonical bytes, refusing anything that is not exactly the canonical form.
    ///
    /// The bytes are untrusted (a ledger file, an upload); any input throws a `LedgerError`
    /// rather than crashing.
    public init(canonicalBytes bytes: [UInt8]) throws {
        let decoded = try CanonicalEncoding.decode(bytes)
        self.deviceID = decoded.deviceID
        self.sequence = decoded.sequence
        self.record = decoded.record
        self.previousHash = decoded.previousHash
        self.canonicalBytes = bytes
        self.hash = .of(bytes)
    }
}
