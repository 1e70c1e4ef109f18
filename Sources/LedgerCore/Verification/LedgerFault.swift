import Identifiers

/// The first thing found wrong in a ledger: where, and why.
public struct LedgerFault: Hashable, Sendable, CustomStringConvertible {
    /// Why the ledger does not verify.
    public enum Reason: Hashable, Sendable {
        /// The stored bytes are not a canonical entry.
        case undecodable(LedgerError)
        /// The entry names another device.
        case wrongDevice(expected: DeviceID, found: DeviceID)
        /// The row is filed under one sequence number but its bytes say another.
        case sequenceMismatch(filedAs: UInt64, bytesSay: UInt64)
        /// Entries are missing: the next one found is `found`, not `expected`.
        case missingEntries(expected: UInt64, found: UInt64)
        /// An entry repeats or goes back in sequence (inserted or reordered).
        case outOfOrder(expected: UInt64, found: UInt64)
        /// The entry's previous-hash field is not the hash of the entry before it.
        case brokenLink
        /// The hash stored beside the entry is not SHA-256 of its bytes.
        case storedHashMismatch
        /// A checkpoint names a hash the chain does not have at its sequence.
        case checkpointHashMismatch
        /// A checkpoint's signature does not verify under the device key.
        case checkpointSignatureInvalid
        /// A checkpoint names another device.
        case checkpointWrongDevice(DeviceID)
        /// A checkpoint covers entries that are not in the ledger (the end was cut off).
        case checkpointBeyondEnd(lastSequence: UInt64)
    }

    /// The first sequence number found bad.
    public let sequence: UInt64
    /// Why.
    public let reason: Reason

    /// Creates a fault.
    public init(sequence: UInt64, reason: Reason) {
        self.sequence = sequence
        self.reason = reason
    }

    /// A stable name for scripts and logs.
    public var code: String {
        switch reason {
        case .undecodable: "undecodable"
        case .wrongDevice: "wrong-device"
        case .sequenceMismatch: "sequence-mismatch"
        case .missingEntries: "missing-entries"
        case .outOfOrder: "out-of-order"
        case .brokenLink: "broken-link"
        case .storedHashMismatch: "stored-hash-mismatch"
        case .checkpointHashMismatch: "checkpoint-hash-mismatch"
        case .checkpointSignatureInvalid: "checkpoint-signature-invalid"
        case .checkpointWrongDevice: "checkpoint-wrong-device"
        case .checkpointBeyondEnd: "checkpoint-beyond-end"
        }
    }

    /// The explanation in Ukrainian.
    public var ukrainian: String {
        switch reason {
        case .undecodable(let error): "запис №\(sequence) не читається (\(error.code))"
        case .wrongDevice(let expected, let found): "запис №\(sequence) від іншого пристрою (\(found), очікувався \(expected))"
        case .sequenceMismatch(let filed, let says): "запис під №\(filed) містить номер \(says)"
        case .missingEntries(let expected, let found) where found == expected + 1: "бракує запису №\(expected)"
        case .missingEntries(let expected, let found): "бракує записів №\(expected)–\(found - 1)"
        case .outOfOrder(let expected, let found): "запис №\(found) повторюється або не на своєму місці (очікувався №\(expected))"
        case .brokenLink: "запис №\(sequence) не продовжує ланцюг: його або попередній запис змінено"
        case .storedHashMismatch: "запис №\(sequence) змінено: хеш не збігається"
        case .checkpointHashMismatch: "контрольна точка №\(sequence) не збігається з ланцюгом"
        case .checkpointSignatureInvalid: "підпис контрольної точки №\(sequence) недійсний"
        case .checkpointWrongDevice(let device): "контрольна точка №\(sequence) від іншого пристрою (\(device))"
        case .checkpointBeyondEnd(let last): "контрольна точка №\(sequence), а журнал закінчується на №\(last): кінець журналу вилучено"
        }
    }

    /// The explanation in English.
    public var english: String {
        switch reason {
        case .undecodable(let error): "entry \(sequence) cannot be read (\(error))"
        case .wrongDevice(let expected, let found): "entry \(sequence) is from device \(found), not \(expected)"
        case .sequenceMismatch(let filed, let says): "the entry filed as \(filed) says it is \(says)"
        case .missingEntries(let expected, let found) where found == expected + 1: "entry \(expected) is missing"
        case .missingEntries(let expected, let found): "entries \(expected)–\(found - 1) are missing"
        case .outOfOrder(let expected, let found): "entry \(found) is repeated or out of order (expected \(expected))"
        case .brokenLink: "entry \(sequence) does not chain to the entry before it: one of them was changed"
        case .storedHashMismatch: "entry \(sequence) was changed: its hash does not match its bytes"
        case .checkpointHashMismatch: "the checkpoint at \(sequence) does not match the chain"
        case .checkpointSignatureInvalid: "the checkpoint at \(sequence) has an invalid signature"
        case .checkpointWrongDevice(let device): "the checkpoint at \(sequence) is from device \(device)"
        case .checkpointBeyondEnd(let last): "a checkpoint covers entry \(sequence) but the ledger ends at \(last): its end was removed"
        }
    }

    /// Ukrainian, then English.
    public var description: String { "\(ukrainian) / \(english)" }
}

/// The outcome of verifying a ledger: intact, or the first fault.
public enum LedgerVerification: Hashable, Sendable {
    /// Every entry chains and every checkpoint matches.
    case intact(LedgerSummary)
    /// The first thing found wrong.
    case broken(LedgerFault)

    /// Whether the ledger verified.
    public var isIntact: Bool { if case .intact = self { true } else { false } }
}

/// What an intact ledger holds.
public struct LedgerSummary: Hashable, Sendable {
    /// Where verification started (genesis, or the receipt-covered point before pruned entries).
    public var start: ChainHead
    /// The last entry's sequence and hash.
    public var head: ChainHead
    /// Entries checked.
    public var entryCount: Int
    /// Checkpoints checked.
    public var checkpointCount: Int
    /// The highest checkpointed sequence, if any.
    public var lastCheckpointSequence: UInt64?
    /// Whether checkpoint signatures were checked (a device public key was given).
    public var signaturesChecked: Bool

    /// Entries after the last checkpoint: protected by the chain only, so the end of the ledger
    /// after the last checkpoint could be cut off or rewritten without a trace.
    public var uncheckpointedEntries: UInt64 { head.sequence - max(lastCheckpointSequence ?? start.sequence, start.sequence) }
}
