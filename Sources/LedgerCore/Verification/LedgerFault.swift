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
        /// A column kept beside the entry for queries (`device_time`, `kind`) says something
        /// other than the entry's canonical bytes.
        case storedColumnMismatch(column: String, stored: String, bytesSay: String)
        /// An accounting receipt names a hash the chain does not have at its sequence.
        case receiptHashMismatch
        /// An accounting receipt's signature does not verify under the service key.
        case receiptSignatureInvalid
        /// An accounting receipt names another device.
        case receiptWrongDevice(DeviceID)
        /// An accounting receipt covers entries that are not in the ledger (the end was cut off).
        case receiptBeyondEnd(lastSequence: UInt64)
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
        case .storedColumnMismatch: "stored-column-mismatch"
        case .receiptHashMismatch: "receipt-hash-mismatch"
        case .receiptSignatureInvalid: "receipt-signature-invalid"
        case .receiptWrongDevice: "receipt-wrong-device"
        case .receiptBeyondEnd: "receipt-beyond-end"
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
        case .storedColumnMismatch(let column, let stored, let says):
            "запис №\(sequence) змінено: стовпець \(column) містить \(stored), а байти запису — \(says)"
        case .receiptHashMismatch: "квитанція №\(sequence) не збігається з ланцюгом"
        case .receiptSignatureInvalid: "підпис квитанції №\(sequence) недійсний"
        case .receiptWrongDevice(let device): "квитанція №\(sequence) для іншого пристрою (\(device))"
        case .receiptBeyondEnd(let last): "квитанція №\(sequence), а журнал закінчується на №\(last): кінець журналу вилучено"
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
        case .storedColumnMismatch(let column, let stored, let says):
            "entry \(sequence) was changed: its \(column) column says \(stored), its bytes say \(says)"
        case .receiptHashMismatch: "the receipt at \(sequence) does not match the chain"
        case .receiptSignatureInvalid: "the receipt at \(sequence) has an invalid signature"
        case .receiptWrongDevice(let device): "the receipt at \(sequence) is for device \(device)"
        case .receiptBeyondEnd(let last): "a receipt covers entry \(sequence) but the ledger ends at \(last): its end was removed"
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
    /// Accounting receipts checked.
    public var receiptCount = 0
    /// The highest sequence a checked receipt covers, if any.
    public var lastReceiptSequence: UInt64?
    /// Whether receipt signatures were checked against a service key the verifier was given.
    public var receiptSignaturesChecked = false

    /// Creates a summary.
    public init(
        start: ChainHead, head: ChainHead, entryCount: Int, checkpointCount: Int, lastCheckpointSequence: UInt64?,
        signaturesChecked: Bool
    ) {
        self.start = start
        self.head = head
        self.entryCount = entryCount
        self.checkpointCount = checkpointCount
        self.lastCheckpointSequence = lastCheckpointSequence
        self.signaturesChecked = signaturesChecked
    }

    /// Entries after the last checkpoint: protected by the chain only, so the end of the ledger
    /// after the last checkpoint could be cut off or rewritten without a trace.
    public var uncheckpointedEntries: UInt64 { head.sequence - max(lastCheckpointSequence ?? start.sequence, start.sequence) }

    /// Entries after both the last checkpoint and the last receipt: nothing signed covers them.
    public var chainOnlyEntries: UInt64 {
        head.sequence - max(lastCheckpointSequence ?? 0, lastReceiptSequence ?? 0, start.sequence)
    }

    /// How the stored entries are covered, oldest first: up to the last checkpoint by the
    /// device's signature, then up to the last receipt by the service's, then by the chain only.
    public var coverage: [LedgerCoverage] {
        var ranges: [LedgerCoverage] = []
        var covered = start.sequence
        func add(upTo last: UInt64?, _ kind: LedgerCoverage.Kind, at statement: UInt64?) {
            guard let last = last.map({ min($0, head.sequence) }), last > covered else { return }
            ranges.append(LedgerCoverage(first: covered + 1, last: last, kind: kind, statementSequence: statement))
            covered = last
        }
        add(upTo: lastCheckpointSequence, .checkpoint, at: lastCheckpointSequence)
        add(upTo: lastReceiptSequence, .receipt, at: lastReceiptSequence)
        add(upTo: head.sequence, .chainOnly, at: nil)
        return ranges
    }
}

/// A range of stored entries and what vouches for it.
public struct LedgerCoverage: Hashable, Sendable {
    /// What vouches for a range of entries.
    public enum Kind: Hashable, Sendable {
        /// A checkpoint signed by the device key at or after the range.
        case checkpoint
        /// A receipt signed by the accounting service at or after the range.
        case receipt
        /// Nothing signed: the hash chain only, so the range could be cut off or rewritten.
        case chainOnly
    }

    /// The first entry of the range.
    public var first: UInt64
    /// The last entry of the range.
    public var last: UInt64
    /// What vouches for it.
    public var kind: Kind
    /// The sequence of the checkpoint or receipt that covers it (nil for the chain only).
    public var statementSequence: UInt64?

    /// Creates a range.
    public init(first: UInt64, last: UInt64, kind: Kind, statementSequence: UInt64?) {
        self.first = first
        self.last = last
        self.kind = kind
        self.statementSequence = statementSequence
    }
}
