import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// A ledger entry as the service (or an export) holds it, with the time the service received it.
public struct HeldEntry: Hashable, Sendable {
    /// The verified entry (canonical bytes, hash, decoded record).
    public var entry: LedgerEntry
    /// When the accounting service stored it; `nil` when unknown (an export of a device's own
    /// ledger). An entry without a received time is never reported late.
    public var receivedAt: UnixTime?

    /// Wraps an entry and its received time.
    public init(_ entry: LedgerEntry, receivedAt: UnixTime?) {
        self.entry = entry
        self.receivedAt = receivedAt
    }

    /// Where the entry is: device and sequence.
    public var reference: EntryReference { EntryReference(device: entry.deviceID, sequence: entry.sequence) }
}

/// A tamper alarm the service raised when a device offered a second history (docs/accounting.md,
/// ingest step 3): evidence that the device key signed two different chains.
///
/// A plain copy of the store's alarm so this module stays free of storage types.
public struct TamperAlarmRecord: Hashable, Sendable, Codable {
    /// The device whose chain conflicts.
    public var device: DeviceID
    /// The first sequence whose hashes differ.
    public var sequence: UInt64
    /// The hash the service holds at that sequence (hex).
    public var heldHash: String
    /// The hash the refused batch offered (hex).
    public var offeredHash: String
    /// The first sequence of the refused batch.
    public var batchFirstSequence: UInt64
    /// The last sequence of the refused batch.
    public var batchLastSequence: UInt64
    /// When the service raised it.
    public var raisedAt: UnixTime

    /// Creates an alarm record.
    public init(
        device: DeviceID, sequence: UInt64, heldHash: String, offeredHash: String, batchFirstSequence: UInt64,
        batchLastSequence: UInt64, raisedAt: UnixTime
    ) {
        self.device = device
        self.sequence = sequence
        self.heldHash = heldHash
        self.offeredHash = offeredHash
        self.batchFirstSequence = batchFirstSequence
        self.batchLastSequence = batchLastSequence
        self.raisedAt = raisedAt
    }
}

/// A batch the device offered beyond the held head and the service refused (409 `gap`): proof
/// that the device wrote entries the service does not hold.
public struct RefusedBatch: Hashable, Sendable, Codable {
    /// The first sequence the batch offered.
    public var firstSequence: UInt64
    /// The last sequence the batch offered.
    public var lastSequence: UInt64
    /// When it was offered, if known.
    public var offeredAt: UnixTime?

    /// Creates a refused batch.
    public init(firstSequence: UInt64, lastSequence: UInt64, offeredAt: UnixTime?) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.offeredAt = offeredAt
    }
}

/// Everything known about one device's chain (a validator's or a desk's): the entries held, how far signed statements
/// cover it, and the evidence of trouble around it.
///
/// `entries` need not start at 1: a loader passes the held entries the period needs (those
/// whose device time falls in the period or up to `ReconciliationOptions.contextSeconds`
/// around it, and those received after the previous close). The service holds a contiguous
/// prefix, so `heldHead` is where the held chain ends, even when fewer entries are passed.
/// Several values for one device (its batches passed separately) are merged: entries together,
/// the furthest head and coverage, every alarm and refused batch.
public struct DeviceLedger: Hashable, Sendable {
    /// The validator.
    public var device: DeviceID
    /// The held entries passed in (any order; duplicates of the same entry are ignored).
    public var entries: [HeldEntry]
    /// The last held entry (sequence and hash); sequence 0 when nothing is held.
    public var heldHead: ChainHead
    /// The device time of the last held entry, if known (it may lie outside `entries`).
    public var heldHeadDeviceTime: UnixTime?
    /// The highest sequence a service receipt covers, if any.
    public var receiptSequence: UInt64?
    /// The highest sequence a device checkpoint covers, if any.
    public var checkpointSequence: UInt64?
    /// Tamper alarms raised for this device.
    public var tamperAlarms: [TamperAlarmRecord]
    /// Later batches the device offered and the service refused for a gap, if known.
    public var refusedBatches: [RefusedBatch]
    /// What the device is registered as: only a desk's card and purse actions count as desk
    /// evidence (docs/reconciliation.md, "Desk ledgers").
    public var role: DeviceRole

    /// Creates a device's ledger input.
    public init(
        device: DeviceID, entries: [HeldEntry], heldHead: ChainHead, heldHeadDeviceTime: UnixTime? = nil, receiptSequence: UInt64? = nil,
        checkpointSequence: UInt64? = nil, tamperAlarms: [TamperAlarmRecord] = [], refusedBatches: [RefusedBatch] = [],
        role: DeviceRole = .validator
    ) {
        self.role = role
        self.device = device
        self.entries = entries
        self.heldHead = heldHead
        self.heldHeadDeviceTime = heldHeadDeviceTime
        self.receiptSequence = receiptSequence
        self.checkpointSequence = checkpointSequence
        self.tamperAlarms = tamperAlarms
        self.refusedBatches = refusedBatches
    }
}
