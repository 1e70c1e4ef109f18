import Crypto
import Identifiers
import LedgerCore

/// What the service holds of one device's chain when a batch arrives.
public struct StoredPosition: Hashable, Sendable {
    /// The end of the chain held (genesis when nothing is held).
    public var head: ChainHead
    /// Hashes of held entries in the batch's range (sequence → hash), for the overlap check.
    public var heldHashes: [UInt64: ChainHash]

    /// Creates a position.
    public init(head: ChainHead, heldHashes: [UInt64: ChainHash] = [:]) {
        self.head = head
        self.heldHashes = heldHashes
    }

    /// The range of sequences whose held hashes `IngestRules.decide` needs for `batch`.
    public static func overlap(of batch: UploadBatch, heldUpTo head: UInt64) -> ClosedRange<UInt64>? {
        let first = batch.firstSequence
        let last = min(batch.lastSequence, head)
        return first <= last ? first...last : nil
    }

    /// The held hashes of the whole overlap, known from the one held hash at its end when that
    /// one is the batch's own hash there; nil when it is not (then every held hash of the
    /// overlap must be read, to find where the two differ).
    ///
    /// Why one hash is enough: an entry's hash covers its canonical bytes, which include the
    /// hash of the entry before it, so two hash chains that agree at sequence n agree at every
    /// sequence before n (short of a SHA-256 collision, which the ledger's security rests on
    /// anyway). The held chain is one (every stored entry chained to the head it was stored
    /// after) and the batch must be one (`IngestRules` rejects it otherwise, before it looks at
    /// held hashes). So a replay costs one held hash, not a thousand.
    public static func heldHashes(of batch: UploadBatch, inferredFrom heldHash: ChainHash, at sequence: UInt64) -> [UInt64: ChainHash]? {
        guard let offered = batch.entries.last(where: { $0.sequence == sequence }), offered.hash == heldHash else { return nil }
        var hashes: [UInt64: ChainHash] = [:]
        hashes.reserveCapacity(batch.entries.count)
        for entry in batch.entries where entry.sequence <= sequence { hashes[entry.sequence] = entry.hash }
        return hashes
    }
}

/// Why a batch is refused outright: it is not a well-formed, device-signed chain segment.
public enum BatchRejection: Hashable, Sendable, CustomStringConvertible {
    /// The batch names another device than the one that signed the request.
    case deviceMismatch(authenticated: DeviceID, batch: DeviceID)
    /// An entry belongs to another device.
    case entryFromOtherDevice(sequence: UInt64, device: DeviceID)
    /// The entries are not numbered one after another.
    case notContiguous(expected: UInt64, found: UInt64)
    /// An entry does not chain to the one before it inside the batch.
    case brokenLink(sequence: UInt64)
    /// The checkpoint is not at the batch's last entry, or names another hash.
    case checkpointMismatch
    /// The checkpoint's signature does not verify under the device's certified key.
    case checkpointSignatureInvalid
    /// Sequence 0 is never an entry.
    case sequenceZero
    /// An entry's kind is not one a device of this role writes (a purse credit from a validator, a ride from a desk).
    case kindNotAllowed(sequence: UInt64, kind: LedgerEntryKind, role: DeviceRole)

    /// The protocol code the service answers with.
    public var code: AccountingErrorCode {
        switch self {
        case .deviceMismatch: .deviceMismatch
        case .entryFromOtherDevice: .entryFromOtherDevice
        case .notContiguous: .notContiguous
        case .brokenLink: .brokenLink
        case .checkpointMismatch: .checkpointMismatch
        case .checkpointSignatureInvalid: .checkpointSignatureInvalid
        case .sequenceZero: .sequenceZero
        case .kindNotAllowed: .kindNotAllowedForDeviceRole
        }
    }

    /// Ukrainian explanation.
    public var ukrainian: String {
        switch self {
        case .deviceMismatch(let authenticated, let batch): "пакет пристрою \(batch) надіслав пристрій \(authenticated)"
        case .entryFromOtherDevice(let sequence, let device): "запис №\(sequence) належить пристрою \(device)"
        case .notContiguous(let expected, let found): "записи не йдуть підряд: очікувався №\(expected), знайдено №\(found)"
        case .brokenLink(let sequence): "запис №\(sequence) не продовжує ланцюг пакета"
        case .checkpointMismatch: "контрольна точка не відповідає останньому запису пакета"
        case .checkpointSignatureInvalid: "підпис контрольної точки недійсний"
        case .sequenceZero: "номер запису 0 неможливий"
        case .kindNotAllowed(let sequence, let kind, let role):
            "запис №\(sequence) виду \(kind) не може надійти від пристрою з роллю \(role == .desk ? "каса" : "валідатор")"
        }
    }

    /// English explanation.
    public var english: String {
        switch self {
        case .deviceMismatch(let authenticated, let batch): "a batch of device \(batch) was sent by device \(authenticated)"
        case .entryFromOtherDevice(let sequence, let device): "entry \(sequence) belongs to device \(device)"
        case .notContiguous(let expected, let found): "entries are not contiguous: expected \(expected), found \(found)"
        case .brokenLink(let sequence): "entry \(sequence) does not chain to the entry before it"
        case .checkpointMismatch: "the checkpoint is not over the batch's last entry"
        case .checkpointSignatureInvalid: "the checkpoint signature does not verify under the device key"
        case .sequenceZero: "sequence 0 is not an entry"
        case .kindNotAllowed(let sequence, let kind, let role):
            "entry \(sequence) is a \(kind) entry, which a device registered as a \(role) does not write"
        }
    }

    /// The code and the English explanation.
    public var description: String { "\(code): \(english)" }
}

/// Evidence that a device's batch contradicts what the service already holds.
public struct ChainConflict: Hashable, Sendable {
    /// The first sequence where the two disagree.
    public var sequence: UInt64
    /// What the service holds there (the hash of the held entry, or for the entry right after
    /// the held head, the head's hash the new entry should chain to).
    public var heldHash: ChainHash
    /// What the batch says.
    public var offeredHash: ChainHash

    /// Creates the evidence.
    public init(sequence: UInt64, heldHash: ChainHash, offeredHash: ChainHash) {
        self.sequence = sequence
        self.heldHash = heldHash
        self.offeredHash = offeredHash
    }
}

/// What to do with a batch, decided from the stored position alone.
public enum IngestDecision: Hashable, Sendable {
    /// Store `newEntries` (the part of the batch beyond the held head) and move the head to `newHead`.
    case accept(newEntries: [LedgerEntry], newHead: ChainHead)
    /// Everything in the batch is already held and matches: answer with the receipt at `head`.
    case replay(head: ChainHead)
    /// The batch starts after the held head: entries are missing in between; resume at `resumeSequence`.
    case gap(resumeSequence: UInt64)
    /// The batch contradicts held entries: refuse and raise a tamper alarm.
    case conflict(ChainConflict)
    /// The batch is not a valid, device-signed chain segment: refuse, change nothing.
    case reject(BatchRejection)
}

/// The ingest rules (docs/architecture.md, decision 5), as a pure function of the stored position and the batch.
///
/// Order: the batch must first prove itself (right device, contiguous, internally chained,
/// checkpoint at its end signed by the device key); only then is it compared with what is
/// held. So a forged batch is a rejection, never a tamper alarm, and a tamper alarm always
/// carries a checkpoint the device really signed: evidence worth an investigation.
public enum IngestRules {
    /// Decides what to do with `batch` from `authenticatedDevice` whose certified key is `devicePublicKey`.
    public static func decide(
        _ batch: UploadBatch, authenticatedDevice: DeviceID, devicePublicKey: Curve25519.Signing.PublicKey,
        deviceRole: DeviceRole = .validator, position: StoredPosition
    ) -> IngestDecision {
        if let rejection = validate(batch, authenticatedDevice: authenticatedDevice, devicePublicKey: devicePublicKey, deviceRole: deviceRole) {
            return .reject(rejection)
        }
        let head = position.head
        let first = batch.firstSequence
        if first > head.sequence + 1 { return .gap(resumeSequence: head.sequence + 1) }
        for entry in batch.entries where entry.sequence <= head.sequence {
            guard let held = position.heldHashes[entry.sequence] else {
                // The caller must supply every held hash of the overlap; a missing one cannot be
                // assumed to match.
                return .conflict(ChainConflict(sequence: entry.sequence, heldHash: head.hash, offeredHash: entry.hash))
            }
            if held != entry.hash {
                return .conflict(ChainConflict(sequence: entry.sequence, heldHash: held, offeredHash: entry.hash))
            }
        }
        let fresh = batch.entries.filter { $0.sequence > head.sequence }
        guard let firstFresh = fresh.first, let lastFresh = fresh.last else {
            let replayHead = ChainHead(after: batch.entries[batch.entries.count - 1])
            return .replay(head: replayHead)
        }
        if firstFresh.previousHash != head.hash {
            return .conflict(ChainConflict(sequence: firstFresh.sequence, heldHash: head.hash, offeredHash: firstFresh.previousHash))
        }
        return .accept(newEntries: fresh, newHead: ChainHead(after: lastFresh))
    }

    /// The checks a batch must pass on its own, or the first one it fails.
    public static func validate(
        _ batch: UploadBatch, authenticatedDevice: DeviceID, devicePublicKey: Curve25519.Signing.PublicKey,
        deviceRole: DeviceRole = .validator
    ) -> BatchRejection? {
        guard batch.deviceID == authenticatedDevice else {
            return .deviceMismatch(authenticated: authenticatedDevice, batch: batch.deviceID)
        }
        guard let firstEntry = batch.entries.first, let lastEntry = batch.entries.last else { return .checkpointMismatch }
        guard firstEntry.sequence > 0 else { return .sequenceZero }
        var previous: LedgerEntry?
        for entry in batch.entries {
            guard entry.deviceID == batch.deviceID else {
                return .entryFromOtherDevice(sequence: entry.sequence, device: entry.deviceID)
            }
            guard deviceRole.allows(entry.record.kind) else {
                return .kindNotAllowed(sequence: entry.sequence, kind: entry.record.kind, role: deviceRole)
            }
            if let previous {
                guard entry.sequence == previous.sequence + 1 else {
                    return .notContiguous(expected: previous.sequence + 1, found: entry.sequence)
                }
                guard entry.previousHash == previous.hash else { return .brokenLink(sequence: entry.sequence) }
            } else if entry.sequence == 1, entry.previousHash != .genesis(for: batch.deviceID) {
                return .brokenLink(sequence: 1)
            }
            previous = entry
        }
        let checkpoint = batch.checkpoint
        guard checkpoint.deviceID == batch.deviceID, checkpoint.sequence == lastEntry.sequence,
            checkpoint.chainHash == lastEntry.hash
        else { return .checkpointMismatch }
        guard checkpoint.isValid(signedBy: devicePublicKey) else { return .checkpointSignatureInvalid }
        return nil
    }
}
