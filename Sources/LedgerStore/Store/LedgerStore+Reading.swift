import Crypto
import LedgerCore
import SQLiteSupport

extension LedgerStore {
    /// The entry filed under `sequence`, if it is stored.
    public func entry(at sequence: UInt64) throws -> LedgerEntry? {
        let statement = try connection.prepare("SELECT sequence, bytes FROM entries WHERE sequence = ?")
        try statement.bind(1, Int64(clamping: sequence))
        guard try statement.step() else { return nil }
        return try Self.decode(statement)
    }

    /// Calls `body` with every stored entry from `first` on, in sequence order, one at a time.
    public func forEachEntry(from first: UInt64 = 0, _ body: (LedgerEntry) throws -> Void) throws {
        let statement = try connection.prepare("SELECT sequence, bytes FROM entries WHERE sequence >= ? ORDER BY sequence")
        try statement.bind(1, Int64(clamping: first))
        while try statement.step() { try body(try Self.decode(statement)) }
    }

    /// The last `count` entries, oldest first.
    public func lastEntries(_ count: Int) throws -> [LedgerEntry] {
        let statement = try connection.prepare(
            "SELECT sequence, bytes FROM (SELECT sequence, bytes FROM entries ORDER BY sequence DESC LIMIT ?) ORDER BY sequence")
        try statement.bind(1, Int64(max(0, count)))
        var entries: [LedgerEntry] = []
        while try statement.step() { entries.append(try Self.decode(statement)) }
        return entries
    }

    /// How many entries are stored (pruned ones are not counted).
    public func entryCount() throws -> Int {
        Int(try connection.integer("SELECT count(*) FROM entries") ?? 0)
    }

    /// Every stored checkpoint, in sequence order.
    public func checkpoints() throws -> [Checkpoint] {
        let statement = try connection.prepare("SELECT sequence, chain_hash, signature FROM checkpoints ORDER BY sequence")
        var checkpoints: [Checkpoint] = []
        while try statement.step() { checkpoints.append(try decodeCheckpoint(statement)) }
        return checkpoints
    }

    /// The checkpoint stored at `sequence`, if any.
    public func checkpoint(at sequence: UInt64) throws -> Checkpoint? {
        let statement = try connection.prepare("SELECT sequence, chain_hash, signature FROM checkpoints WHERE sequence = ?")
        try statement.bind(1, Int64(clamping: sequence))
        return try statement.step() ? try decodeCheckpoint(statement) : nil
    }

    /// Where the stored chain starts: genesis, or the point up to which receipted entries were pruned.
    public func chainStart() throws -> ChainHead {
        try Self.readStart(connection, deviceID: deviceID)
    }

    /// Every stored accounting receipt, in sequence order, with the service key recorded beside it.
    public func receipts() throws -> [(receipt: Receipt, recordedServiceKey: [UInt8])] {
        guard try hasTable("receipts") else { return [] }
        let statement = try connection.prepare(
            "SELECT sequence, chain_hash, signature, service_public_key FROM receipts ORDER BY sequence")
        var receipts: [(receipt: Receipt, recordedServiceKey: [UInt8])] = []
        while try statement.step() {
            do {
                let receipt = try Receipt(
                    deviceID: deviceID, sequence: UInt64(bitPattern: statement.integer(0)),
                    chainHash: try ChainHash(bytes: statement.blob(1)), signature: statement.blob(2))
                receipts.append((receipt, statement.blob(3)))
            } catch {
                throw LedgerStoreError(.inconsistent, "receipt \(statement.integer(0)) is malformed: \(error)")
            }
        }
        return receipts
    }

    /// Every prune anchor, in sequence order: the points up to which entries were pruned.
    public func pruneAnchors() throws -> [ChainHead] {
        guard try hasTable("prune_anchors") else { return [] }
        let statement = try connection.prepare("SELECT sequence, chain_hash FROM prune_anchors ORDER BY sequence")
        var anchors: [ChainHead] = []
        while try statement.step() {
            guard let hash = try? ChainHash(bytes: statement.blob(1)), let sequence = UInt64(exactly: statement.integer(0)) else {
                throw LedgerStoreError(.inconsistent, "prune anchor \(statement.integer(0)) is malformed")
            }
            anchors.append(ChainHead(deviceID: deviceID, sequence: sequence, hash: hash))
        }
        return anchors
    }

    /// Verifies the stored chain, checkpoints and receipts from its start, and that every column
    /// kept beside an entry (`hash`, `device_time`, `kind`) says what its canonical bytes say.
    ///
    /// `devicePublicKey` is the key the auditor trusts (from the community's certificates);
    /// without it, the key recorded in the database is used, which proves integrity only
    /// against someone who could not also replace that key. Likewise `servicePublicKey` is the
    /// accounting service's key from the trust bundle; without it each receipt is checked
    /// against the service key recorded beside it (`LedgerSummary.receiptSignaturesChecked`
    /// says which).
    public func verify(
        devicePublicKey: Curve25519.Signing.PublicKey? = nil, servicePublicKey: Curve25519.Signing.PublicKey? = nil
    ) throws -> LedgerVerification {
        let key: Curve25519.Signing.PublicKey
        if let devicePublicKey {
            key = devicePublicKey
        } else {
            do {
                key = try Curve25519.Signing.PublicKey(rawRepresentation: self.devicePublicKey)
            } catch {
                throw LedgerStoreError(.inconsistent, "the recorded device public key is not an Ed25519 key")
            }
        }
        let start = try chainStart()
        let receipts = try receipts()
        if start.sequence > 0, receipts.last.map({ $0.receipt.sequence }) ?? 0 < start.sequence {
            // Entries were removed from the front, and no receipt says the service holds them.
            return .broken(LedgerFault(sequence: 1, reason: .missingEntries(expected: 1, found: start.sequence + 1)))
        }
        if servicePublicKey == nil {
            // No trusted service key: each receipt must at least verify under the key stored with it.
            for (receipt, recorded) in receipts {
                let recordedKey = try? Curve25519.Signing.PublicKey(rawRepresentation: recorded)
                guard let recordedKey, receipt.isValid(signedBy: recordedKey) else {
                    return .broken(LedgerFault(sequence: receipt.sequence, reason: .receiptSignatureInvalid))
                }
            }
        }
        var verifier = ChainVerifier(
            start: start, checkpoints: try checkpoints(), receipts: receipts.map(\.receipt),
            earlierAnchors: try pruneAnchors(), devicePublicKey: key, servicePublicKey: servicePublicKey)
        // A version 1 file opened for reading has no indexed columns yet.
        let indexed = try connection.integer("SELECT count(*) FROM pragma_table_info('entries') WHERE name = 'device_time'") == 1
        let statement = try connection.prepare(
            indexed
                ? "SELECT sequence, bytes, hash, device_time, kind FROM entries ORDER BY sequence"
                : "SELECT sequence, bytes, hash FROM entries ORDER BY sequence")
        while try statement.step(), verifier.fault == nil {
            let sequence = UInt64(bitPattern: statement.integer(0))
            let stored = try? ChainHash(bytes: statement.blob(2))
            guard let stored else {
                return .broken(LedgerFault(sequence: sequence, reason: .storedHashMismatch))
            }
            verifier.check(
                sequence: sequence, bytes: statement.blob(1), storedHash: stored,
                storedDeviceTime: indexed ? statement.integer(3) : nil, storedKind: indexed ? statement.integer(4) : nil)
        }
        return verifier.finish()
    }

    func hasTable(_ name: String) throws -> Bool {
        try connection.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '\(name)'") == 1
    }

    static func decode(_ statement: SQLiteStatement) throws -> LedgerEntry {
        let sequence = statement.integer(0)
        do {
            return try LedgerEntry(canonicalBytes: statement.blob(1))
        } catch {
            throw LedgerStoreError(.inconsistent, "entry \(sequence) does not decode: \(error)")
        }
    }

    private func decodeCheckpoint(_ statement: SQLiteStatement) throws -> Checkpoint {
        do {
            return try Checkpoint(
                deviceID: deviceID, sequence: UInt64(bitPattern: statement.integer(0)),
                chainHash: try ChainHash(bytes: statement.blob(1)), signature: statement.blob(2))
        } catch {
            throw LedgerStoreError(.inconsistent, "checkpoint \(statement.integer(0)) is malformed: \(error)")
        }
    }
}
