import Crypto
import Entitlements
import LedgerCore
import SQLiteSupport

extension LedgerStore {
    /// Checks and stores a receipt from the accounting service.
    ///
    /// Refused (`receiptRejected`) unless it is for this device, verifies under
    /// `servicePublicKey`, and names exactly the hash this ledger has at its sequence; a
    /// receipt already stored is accepted again without change.
    public func storeReceipt(_ receipt: Receipt, servicePublicKey: Curve25519.Signing.PublicKey) throws {
        guard receipt.deviceID == deviceID else {
            throw LedgerStoreError(.receiptRejected, "the receipt is for device \(receipt.deviceID), not \(deviceID)")
        }
        guard receipt.isValid(signedBy: servicePublicKey) else {
            throw LedgerStoreError(.receiptRejected, "the receipt's signature does not verify under the service key")
        }
        let ourHash: ChainHash?
        if let entry = try entry(at: receipt.sequence) {
            ourHash = entry.hash
        } else {
            let start = try chainStart()
            ourHash = start.sequence == receipt.sequence ? start.hash : nil
        }
        guard let ourHash else {
            throw LedgerStoreError(.receiptRejected, "the receipt covers entry \(receipt.sequence), which this ledger does not hold")
        }
        guard ourHash == receipt.chainHash else {
            throw LedgerStoreError(.receiptRejected, "the receipt's hash at \(receipt.sequence) is not this ledger's")
        }
        // A receipt already stored is accepted again quietly; the table's triggers refuse any
        // statement that would replace it, so the check happens here, before the insert.
        let stored = try connection.prepare("SELECT chain_hash FROM receipts WHERE sequence = ?")
        try stored.bind(1, Int64(clamping: receipt.sequence))
        if try stored.step() {
            guard stored.blob(0) == receipt.chainHash.bytes else {
                throw LedgerStoreError(.receiptRejected, "another receipt at \(receipt.sequence) is already stored")
            }
            return
        }
        let prepared = try connection.prepare(
            "INSERT INTO receipts (sequence, chain_hash, signature, service_public_key) VALUES (?, ?, ?, ?)")
        try transactionOnce {
            try prepared.bind(1, Int64(clamping: receipt.sequence))
            try prepared.bind(2, receipt.chainHash.bytes)
            try prepared.bind(3, receipt.signature)
            try prepared.bind(4, Array(servicePublicKey.rawRepresentation))
            try prepared.run()
        }
    }

    /// The highest sequence a stored receipt covers.
    public func latestReceiptSequence() throws -> UInt64? {
        guard try connection.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'receipts'") == 1 else { return nil }
        let statement = try connection.prepare("SELECT max(sequence) FROM receipts")
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return UInt64(exactly: statement.integer(0))
    }

    /// The retention recorded when the ledger was created.
    public func retentionSeconds() throws -> Int64 {
        try connection.integer("SELECT value FROM meta WHERE key = 'retention_seconds'") ?? Int64.max
    }

    /// Deletes the oldest entries that a stored receipt covers and that are older than the
    /// retention at `now`; returns how many were deleted.
    ///
    /// Only a prefix of the chain is ever removed, and its last hash is kept as a prune anchor,
    /// so what remains still verifies from that anchor. Age is read from each entry's canonical
    /// bytes, after checking that they hash to the stored hash and chain from the start, never
    /// from the `device_time` column: that column is a copy for queries, and someone who
    /// rewrote it must not be able to make young entries look old. The database's delete
    /// trigger repeats the receipt and age checks against the system clock.
    @discardableResult
    public func prune(now: UnixTime) throws -> Int {
        guard let covered = try latestReceiptSequence() else { return 0 }
        let cutoff = now.adding(seconds: -(try retentionSeconds()))
        let start = try chainStart()
        let limit = min(covered, head.sequence)
        guard limit > start.sequence else { return 0 }
        // No index on device_time: old entries sit at the front, so the scan in sequence order
        // stops at the first entry young enough to keep.
        let scan = try connection.prepare("SELECT sequence, bytes, hash FROM entries WHERE sequence > ? AND sequence <= ? ORDER BY sequence")
        try scan.bind(1, Int64(clamping: start.sequence))
        try scan.bind(2, Int64(clamping: limit))
        var chain = start
        var last: LedgerEntry?
        while try scan.step() {
            let entry = try Self.decode(scan)
            guard Int64(exactly: entry.sequence) == scan.integer(0), entry.sequence == chain.sequence + 1,
                entry.deviceID == deviceID, entry.previousHash == chain.hash, entry.hash.bytes == scan.blob(2)
            else {
                throw LedgerStoreError(.inconsistent, "entry \(scan.integer(0)) does not verify: nothing is pruned (run ledger verify)")
            }
            if entry.record.deviceTime >= cutoff { break }
            last = entry
            chain = ChainHead(after: entry)
        }
        guard let last else { return 0 }

        let anchor = try connection.prepare("INSERT INTO prune_anchors (sequence, chain_hash) VALUES (?, ?)")
        let delete = try connection.prepare("DELETE FROM entries WHERE sequence <= ?")
        try transactionOnce {
            try anchor.bind(1, Int64(clamping: last.sequence))
            try anchor.bind(2, last.hash.bytes)
            try anchor.run()
            try delete.bind(1, Int64(clamping: last.sequence))
            try delete.run()
        }
        return Int(last.sequence - start.sequence)
    }

    /// A one-off write transaction (receipts, pruning) on a store opened for writing.
    private func transactionOnce(_ body: () throws -> Void) throws {
        guard connection.isOpen, deviceKeyAvailable else {
            throw LedgerStoreError(.notWritable, "\(path) is open for reading only, or closed")
        }
        try connection.write { _ in try body() }
    }
}
