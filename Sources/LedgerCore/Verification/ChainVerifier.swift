import Crypto
import Identifiers

/// Checks a ledger entry by entry, in sequence order, without holding it in memory.
///
/// Feed every stored entry with `check(sequence:bytes:storedHash:)`, then call `finish()`.
/// The verifier stops at the first fault. Checkpoints and receipts are matched against the chain
/// as it passes their sequence; one beyond the last entry means the end was removed.
public struct ChainVerifier: Sendable {
    private let start: ChainHead
    private let devicePublicKey: Curve25519.Signing.PublicKey?
    private let servicePublicKey: Curve25519.Signing.PublicKey?
    /// Hashes known below `start` (earlier prune anchors): statements there are matched to them.
    private let earlierHashes: [UInt64: ChainHash]
    private var head: ChainHead
    private var pendingCheckpoints: [Checkpoint]  // sorted by sequence, descending, so the next is last
    private var pendingReceipts: [Receipt]  // likewise
    private var checkpointCount = 0
    private var lastCheckpointSequence: UInt64?
    private var receiptCount = 0
    private var lastReceiptSequence: UInt64?
    private var entryCount = 0
    /// The first fault found, if any.
    public private(set) var fault: LedgerFault?

    /// Prepares to verify a chain that continues from `start` (genesis, or the point a receipt
    /// covered before pruning), with the device's checkpoints and the accounting service's
    /// receipts. Without a device (service) public key, checkpoint (receipt) hashes are still
    /// matched but their signatures are not checked. `earlierAnchors` are prune anchors below
    /// `start`: a checkpoint or receipt at one of their sequences must name the same hash.
    public init(
        start: ChainHead, checkpoints: [Checkpoint], receipts: [Receipt] = [], earlierAnchors: [ChainHead] = [],
        devicePublicKey: Curve25519.Signing.PublicKey?, servicePublicKey: Curve25519.Signing.PublicKey? = nil
    ) {
        self.start = start
        self.head = start
        self.devicePublicKey = devicePublicKey
        self.servicePublicKey = servicePublicKey
        var earlier: [UInt64: ChainHash] = [:]
        for anchor in earlierAnchors where anchor.sequence < start.sequence { earlier[anchor.sequence] = anchor.hash }
        self.earlierHashes = earlier
        self.pendingCheckpoints = []
        self.pendingReceipts = []
        var later: [Checkpoint] = []
        for checkpoint in checkpoints.sorted(by: { $0.sequence < $1.sequence }) {
            if checkpoint.deviceID != start.deviceID {
                record(LedgerFault(sequence: checkpoint.sequence, reason: .checkpointWrongDevice(checkpoint.deviceID)))
            } else if checkpoint.sequence < start.sequence {
                // Its entries are pruned: only the signature (and an anchor there) can still be checked.
                if let known = earlier[checkpoint.sequence], known != checkpoint.chainHash {
                    record(LedgerFault(sequence: checkpoint.sequence, reason: .checkpointHashMismatch))
                }
                checkSignature(checkpoint)
            } else if checkpoint.sequence == start.sequence {
                checkAgainstHead(checkpoint)
            } else {
                later.append(checkpoint)
            }
        }
        pendingCheckpoints = later.reversed()
        var laterReceipts: [Receipt] = []
        for receipt in receipts.sorted(by: { $0.sequence < $1.sequence }) {
            if receipt.deviceID != start.deviceID {
                record(LedgerFault(sequence: receipt.sequence, reason: .receiptWrongDevice(receipt.deviceID)))
            } else if receipt.sequence < start.sequence {
                if let known = earlier[receipt.sequence], known != receipt.chainHash {
                    record(LedgerFault(sequence: receipt.sequence, reason: .receiptHashMismatch))
                }
                checkSignature(receipt)
            } else if receipt.sequence == start.sequence {
                checkAgainstHead(receipt)
            } else {
                laterReceipts.append(receipt)
            }
        }
        pendingReceipts = laterReceipts.reversed()
    }

    /// Checks the next stored entry: `sequence` is the number it is filed under, `storedHash`
    /// the hash stored beside it (if the store keeps one).
    public mutating func check(sequence filedSequence: UInt64, bytes: [UInt8], storedHash: ChainHash? = nil) {
        guard fault == nil else { return }
        let entry: LedgerEntry
        do {
            entry = try LedgerEntry(canonicalBytes: bytes)
        } catch let error as LedgerError {
            record(LedgerFault(sequence: filedSequence, reason: .undecodable(error)))
            return
        } catch {
            record(LedgerFault(sequence: filedSequence, reason: .undecodable(LedgerError(.invalidField, "\(error)"))))
            return
        }
        check(entry, filedAs: filedSequence, storedHash: storedHash)
    }

    /// Checks the next stored entry and the columns a store keeps beside it for queries
    /// (`device_time`, `kind`): each must say what the canonical bytes say.
    ///
    /// Why: those copies decide retention and answer queries; a copy that differs from the bytes
    /// would let someone change what is pruned or reported without touching the chain.
    public mutating func check(
        sequence filedSequence: UInt64, bytes: [UInt8], storedHash: ChainHash?, storedDeviceTime: Int64?, storedKind: Int64?
    ) {
        guard fault == nil else { return }
        let entry: LedgerEntry
        do {
            entry = try LedgerEntry(canonicalBytes: bytes)
        } catch {
            check(sequence: filedSequence, bytes: bytes, storedHash: storedHash)
            return
        }
        if let storedDeviceTime, storedDeviceTime != entry.record.deviceTime.rawValue {
            record(LedgerFault(
                sequence: filedSequence,
                reason: .storedColumnMismatch(column: "device_time", stored: "\(storedDeviceTime)", bytesSay: "\(entry.record.deviceTime.rawValue)")))
            return
        }
        if let storedKind, storedKind != Int64(entry.record.kind.rawValue) {
            record(LedgerFault(
                sequence: filedSequence,
                reason: .storedColumnMismatch(column: "kind", stored: "\(storedKind)", bytesSay: "\(entry.record.kind.rawValue)")))
            return
        }
        check(entry, filedAs: filedSequence, storedHash: storedHash)
    }

    /// Checks the next entry, already decoded.
    public mutating func check(_ entry: LedgerEntry, filedAs filedSequence: UInt64? = nil, storedHash: ChainHash? = nil) {
        guard fault == nil else { return }
        let expected = head.sequence + 1
        if let filedSequence, filedSequence != entry.sequence {
            record(LedgerFault(sequence: filedSequence, reason: .sequenceMismatch(filedAs: filedSequence, bytesSay: entry.sequence)))
        } else if entry.deviceID != start.deviceID {
            record(LedgerFault(sequence: entry.sequence, reason: .wrongDevice(expected: start.deviceID, found: entry.deviceID)))
        } else if entry.sequence > expected {
            record(LedgerFault(sequence: expected, reason: .missingEntries(expected: expected, found: entry.sequence)))
        } else if entry.sequence < expected {
            record(LedgerFault(sequence: entry.sequence, reason: .outOfOrder(expected: expected, found: entry.sequence)))
        } else if let storedHash, storedHash != entry.hash {
            record(LedgerFault(sequence: entry.sequence, reason: .storedHashMismatch))
        } else if entry.previousHash != head.hash {
            record(LedgerFault(sequence: entry.sequence, reason: .brokenLink))
        }
        guard fault == nil else { return }
        head = ChainHead(after: entry)
        entryCount += 1
        while let next = pendingCheckpoints.last, next.sequence == head.sequence {
            pendingCheckpoints.removeLast()
            checkAgainstHead(next)
        }
        while let next = pendingReceipts.last, next.sequence == head.sequence {
            pendingReceipts.removeLast()
            checkAgainstHead(next)
        }
    }

    /// The verdict once every entry has been fed.
    public func finish() -> LedgerVerification {
        if let fault { return .broken(fault) }
        if let beyond = pendingCheckpoints.last {
            return .broken(LedgerFault(sequence: beyond.sequence, reason: .checkpointBeyondEnd(lastSequence: head.sequence)))
        }
        if let beyond = pendingReceipts.last {
            return .broken(LedgerFault(sequence: beyond.sequence, reason: .receiptBeyondEnd(lastSequence: head.sequence)))
        }
        var summary = LedgerSummary(
            start: start, head: head, entryCount: entryCount, checkpointCount: checkpointCount,
            lastCheckpointSequence: lastCheckpointSequence, signaturesChecked: devicePublicKey != nil)
        summary.receiptCount = receiptCount
        summary.lastReceiptSequence = lastReceiptSequence
        summary.receiptSignaturesChecked = servicePublicKey != nil
        return .intact(summary)
    }

    private mutating func checkAgainstHead(_ checkpoint: Checkpoint) {
        guard checkpoint.chainHash == head.hash else {
            record(LedgerFault(sequence: checkpoint.sequence, reason: .checkpointHashMismatch))
            return
        }
        checkSignature(checkpoint)
    }

    private mutating func checkSignature(_ checkpoint: Checkpoint) {
        guard fault == nil else { return }
        if let devicePublicKey, !checkpoint.isValid(signedBy: devicePublicKey) {
            record(LedgerFault(sequence: checkpoint.sequence, reason: .checkpointSignatureInvalid))
            return
        }
        checkpointCount += 1
        lastCheckpointSequence = max(lastCheckpointSequence ?? 0, checkpoint.sequence)
    }

    private mutating func checkAgainstHead(_ receipt: Receipt) {
        guard receipt.chainHash == head.hash else {
            record(LedgerFault(sequence: receipt.sequence, reason: .receiptHashMismatch))
            return
        }
        checkSignature(receipt)
    }

    private mutating func checkSignature(_ receipt: Receipt) {
        guard fault == nil else { return }
        if let servicePublicKey, !receipt.isValid(signedBy: servicePublicKey) {
            record(LedgerFault(sequence: receipt.sequence, reason: .receiptSignatureInvalid))
            return
        }
        receiptCount += 1
        lastReceiptSequence = max(lastReceiptSequence ?? 0, receipt.sequence)
    }

    private mutating func record(_ newFault: LedgerFault) {
        if fault == nil { fault = newFault }
    }
}

extension ChainVerifier {
    /// Verifies a whole ledger held in memory, from genesis.
    public static func verify(
        deviceID: DeviceID, entries: [LedgerEntry], checkpoints: [Checkpoint],
        devicePublicKey: Curve25519.Signing.PublicKey?
    ) -> LedgerVerification {
        var verifier = ChainVerifier(
            start: .genesis(for: deviceID), checkpoints: checkpoints, devicePublicKey: devicePublicKey)
        for entry in entries { verifier.check(sequence: entry.sequence, bytes: entry.canonicalBytes) }
        return verifier.finish()
    }
}
