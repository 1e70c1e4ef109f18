import Identifiers

/// The end of a device's chain: the last sequence number and its hash.
///
/// A value: the store keeps one, advances it only after an append commits, and rebuilds it
/// from the database on open.
public struct ChainHead: Hashable, Sendable, CustomStringConvertible {
    /// The device whose chain this is.
    public let deviceID: DeviceID
    /// The last entry's sequence number; 0 before the first entry.
    public let sequence: UInt64
    /// The last entry's hash; the genesis value before the first entry.
    public let hash: ChainHash

    /// A head at a known point (e.g. read back from a store or a receipt).
    public init(deviceID: DeviceID, sequence: UInt64, hash: ChainHash) {
        self.deviceID = deviceID
        self.sequence = sequence
        self.hash = hash
    }

    /// The head of an empty chain.
    public static func genesis(for device: DeviceID) -> ChainHead {
        ChainHead(deviceID: device, sequence: 0, hash: .genesis(for: device))
    }

    /// The head just after `entry`.
    public init(after entry: LedgerEntry) {
        self.init(deviceID: entry.deviceID, sequence: entry.sequence, hash: entry.hash)
    }

    /// Seals `record` as the next entry: the next sequence number, chained to this head.
    ///
    /// Does not move the head: the caller advances it (`ChainHead(after:)`) once the entry is durable,
    /// so a failed write leaves the head where the durable chain ends.
    public func seal(_ record: LedgerRecord) throws -> LedgerEntry {
        guard sequence < UInt64(Int64.max) else {
            throw LedgerError(.tooLarge, "the ledger has reached the largest sequence number")
        }
        return try LedgerEntry(deviceID: deviceID, sequence: sequence + 1, record: record, previousHash: hash)
    }

    /// `device/sequence/hash`.
    public var description: String { "\(deviceID)/\(sequence)/\(hash)" }
}
