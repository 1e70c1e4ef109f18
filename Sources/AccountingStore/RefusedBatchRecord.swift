import Identifiers

/// A batch the service refused because entries were missing before it (409 `gap`): the
/// evidence that the device went on writing past the end of what the service holds.
///
/// Only a batch that proved itself is recorded (its device signed the request and the
/// checkpoint over its last entry, and its entries chain among themselves), so a row cannot
/// be made up by anyone without the device's key. A device that offers the same batch again
/// (an uploader retrying) moves `lastRefusedAt` and `timesOffered` of the same row; distinct
/// batches are kept up to `keptPerDevice` a device (the first and the newest), so a device,
/// even one whose key was stolen, cannot fill the disk with them.
public struct RefusedBatchRecord: Hashable, Sendable, Codable {
    /// How many rows a device keeps: its first refused batch and the newest ones.
    public static let keptPerDevice = 16

    /// The device.
    public var device: UInt32
    /// The batch's first sequence.
    public var firstSequence: UInt64
    /// The batch's last sequence.
    public var lastSequence: UInt64
    /// The hash the batch's first entry chains to (the missing entry's hash, were it held), hex.
    public var firstPreviousHash: String
    /// The hash of the batch's last entry, the one its checkpoint signs, hex.
    public var lastHash: String
    /// The sequence the service held for the device when it first refused the batch.
    public var heldSequence: UInt64
    /// When the batch was first refused (the service's clock, Unix seconds).
    public var firstRefusedAt: Int64
    /// When it was last refused.
    public var lastRefusedAt: Int64
    /// How many times it was offered.
    public var timesOffered: Int64

    /// Creates a record of a refusal.
    public init(
        device: UInt32, firstSequence: UInt64, lastSequence: UInt64, firstPreviousHash: String, lastHash: String,
        heldSequence: UInt64, firstRefusedAt: Int64, lastRefusedAt: Int64, timesOffered: Int64 = 1
    ) {
        self.device = device
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstPreviousHash = firstPreviousHash
        self.lastHash = lastHash
        self.heldSequence = heldSequence
        self.firstRefusedAt = firstRefusedAt
        self.lastRefusedAt = lastRefusedAt
        self.timesOffered = timesOffered
    }

    /// The SQL both engines run after recording a refusal of `device` (three `?`, each the
    /// device): keep its first row and its `keptPerDevice − 1` newest, delete the rest.
    static let pruneSQL = """
        DELETE FROM refused_batches WHERE device_id = ?
          AND id <> (SELECT MIN(id) FROM refused_batches WHERE device_id = ?)
          AND id NOT IN (SELECT id FROM refused_batches WHERE device_id = ? ORDER BY id DESC LIMIT \(keptPerDevice - 1))
        """

    /// The upsert both engines run (eight `?`: device, first, last, previous hash, last hash, held, at, at).
    static let upsertSQL = """
        INSERT INTO refused_batches (device_id, first_sequence, last_sequence, first_previous_hash, last_hash,
          held_sequence, first_refused_at, last_refused_at, times_offered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
        ON CONFLICT (device_id, first_sequence, last_sequence, last_hash)
          DO UPDATE SET last_refused_at = excluded.last_refused_at, times_offered = refused_batches.times_offered + 1
        """

    /// The select both engines run, in (device, first sequence, id) order.
    static let selectSQL = """
        SELECT device_id, first_sequence, last_sequence, first_previous_hash, last_hash, held_sequence,
          first_refused_at, last_refused_at, times_offered FROM refused_batches ORDER BY device_id, first_sequence, id
        """
}
