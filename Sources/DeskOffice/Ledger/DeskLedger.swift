import CommunityKeys
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import LedgerStore
import Uploader

/// The desk's own signed, hash-chained ledger of card-affecting actions (kinds 13–18,
/// docs/ledger-format.md, "Desk entries"): the same format, store and uploader as a validator's,
/// under the desk's own device id and key, so reconciliation can tell a purse credit the desk
/// made from a forged one.
///
/// Appends are idempotent per action (``append(_:)``): an action run again after a tear finds its
/// entries already in the chain and appends nothing, so the ledger holds each action once. The
/// index that decides this is rebuilt from the stored entries when the ledger opens. Every append
/// is durable (fsync'd) before it returns, so an action is never reported done before its entry
/// is on disk.
public actor DeskLedger: UploadLedger {
    private let store: LedgerStore
    /// The desk's device id.
    public nonisolated let deviceID: DeviceID
    /// One-shot actions already in the chain (issue, credit, block, replace, return).
    private var actions: Set<String> = []
    /// The latest terms written per card and entitlement id.
    private var entitlements: [String: LedgerRecord] = [:]

    /// Opens (or creates) the desk ledger at `path` for `deviceID`, signing checkpoints with `deviceKey`.
    public init(path: String, deviceID: DeviceID, deviceKey: Curve25519.Signing.PrivateKey, checkpointInterval: UInt64 = 100) throws {
        store = try LedgerStore(path: path, deviceID: deviceID, deviceKey: deviceKey, configuration: .init(checkpointInterval: checkpointInterval))
        self.deviceID = deviceID
        var actions: Set<String> = []
        var entitlements: [String: LedgerRecord] = [:]
        try store.forEachEntry { entry in
            if let key = Self.entitlementKey(entry.record) { entitlements[key] = entry.record }
            if let key = Self.actionKey(entry.record) { actions.insert(key) }
        }
        self.actions = actions
        self.entitlements = entitlements
    }

    /// What identifies a one-shot action, or nil for an entitlement write (compared by terms).
    static func actionKey(_ record: LedgerRecord) -> String? {
        let card = record.cardSerial?.printed ?? "-"
        switch record.kind {
        case .cardIssued: return "issued \(card)"
        case .purseCredit: return "credit \(card) \(record.receiptNumber ?? 0)"
        case .cardBlocked: return "blocked \(card)"
        case .cardReplaced: return "replaced \(card) \(record.otherCardSerial?.printed ?? "-")"
        case .cardReturned: return "returned \(card)"
        default: return nil
        }
    }

    static func entitlementKey(_ record: LedgerRecord) -> String? {
        guard record.kind == .entitlementWritten, let card = record.cardSerial, let id = record.entitlementID else { return nil }
        return "\(card.printed) \(id)"
    }

    /// Whether `record` is already in the chain: the same one-shot action, or the same terms as
    /// the latest write of that entitlement.
    private func isRecorded(_ record: LedgerRecord) -> Bool {
        if let key = Self.entitlementKey(record), let latest = entitlements[key] {
            return latest.category == record.category && latest.entitlementTerms == record.entitlementTerms && latest.layoutVersion == record.layoutVersion
        }
        if let key = Self.actionKey(record) { return actions.contains(key) }
        return false
    }

    /// Appends those of `records` not already in the chain, in one durable transaction; returns
    /// the entries appended (empty when an earlier run had appended them all).
    @discardableResult
    public func append(_ records: [LedgerRecord]) throws -> [LedgerEntry] {
        var fresh: [LedgerRecord] = []
        for record in records where !isRecorded(record) && !fresh.contains(record) { fresh.append(record) }
        guard !fresh.isEmpty else { return [] }
        let appended = try store.append(contentsOf: fresh, durability: .durable)
        for entry in appended {
            if let key = Self.entitlementKey(entry.record) { entitlements[key] = entry.record }
            if let key = Self.actionKey(entry.record) { actions.insert(key) }
        }
        return appended
    }

    /// Every entry, oldest first (for tests, the privacy search and `ledger show`).
    public func allEntries() throws -> [LedgerEntry] {
        var entries: [LedgerEntry] = []
        try store.forEachEntry { entries.append($0) }
        return entries
    }

    /// Closes the store.
    public func close() { store.close() }

    // MARK: UploadLedger

    /// Up to `limit` entries from `sequence` on.
    public func entries(from sequence: UInt64, limit: Int) throws -> [LedgerEntry] { try store.entries(from: sequence, limit: limit) }
    /// The highest sequence a stored receipt covers.
    public func latestReceiptSequence() throws -> UInt64? { try store.latestReceiptSequence() }
    /// The last sequence written.
    public func headSequence() -> UInt64 { store.head.sequence }
    /// Checks and stores the accounting service's receipt.
    public func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) throws {
        try store.storeReceipt(receipt, servicePublicKey: servicePublicKey)
    }
    /// Deletes receipted entries past the retention.
    public func prune(now: UnixTime) throws -> Int { try store.prune(now: now) }
    /// Keeps a checkpoint the uploader signed over a batch.
    public func storeCheckpoint(_ checkpoint: Checkpoint) throws { try store.storeCheckpoint(checkpoint) }
}

/// The desk's identity as a ledger device: a validator-role key of the community directory whose
/// certificate names the desk's device id (`hromada-keys device add --device N`), registered with
/// the accounting service with role `desk`.
public struct DeskDevice: Sendable {
    /// The device id the certificate names.
    public let deviceID: DeviceID
    /// The device key (signs checkpoints and upload requests).
    public let key: Curve25519.Signing.PrivateKey
    /// The certificate of the key.
    public let certificate: Certificate

    /// The unrevoked, valid-at-`now` device key of `directory` certified for `deviceID`.
    public init(directory: CommunityDirectory, deviceID: DeviceID, now: UnixTime) throws {
        let revoked = Set(try directory.revocations().revocations.map(\.keyID))
        guard let certificate = try directory.certificates().last(where: {
            $0.role == .validator && $0.deviceID == deviceID && $0.notBefore <= now && now <= $0.notAfter && !revoked.contains($0.keyID)
        }) else {
            throw DeskOfficeError(
                .refused, ukrainian: "у теці ключів немає чинного ключа пристрою \(deviceID) (hromada-keys device add --device \(deviceID))",
                english: "the key directory has no valid device key for device \(deviceID) (hromada-keys device add --device \(deviceID))")
        }
        self.deviceID = deviceID
        self.certificate = certificate
        self.key = try directory.signingKey(certificate.keyID).privateKey
    }

    /// The accounting service's public key as the directory certifies it (receipts verify under it).
    public static func accountingKey(_ directory: CommunityDirectory, now: UnixTime) throws -> Curve25519.Signing.PublicKey {
        guard let certificate = try directory.certificates().last(where: { $0.role == .accounting && $0.notBefore <= now && now <= $0.notAfter }) else {
            throw DeskOfficeError(.refused, ukrainian: "у теці ключів немає ключа сервісу обліку", english: "the key directory has no accounting service key")
        }
        return try Curve25519.Signing.PublicKey(rawRepresentation: certificate.publicKey.rawRepresentation)
    }
}
