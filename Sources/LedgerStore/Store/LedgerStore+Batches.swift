import LedgerCore

extension LedgerStore {
    /// Up to `limit` entries from `sequence` on, in order (fewer at the end of the ledger): one
    /// upload batch.
    public func entries(from sequence: UInt64, limit: Int) throws -> [LedgerEntry] {
        var batch: [LedgerEntry] = []
        batch.reserveCapacity(max(0, min(limit, 1000)))
        guard limit > 0 else { return batch }
        // A batch leaves the device: no entry in it may be one a power loss could still take
        // back (the chain would then give its sequence to another entry).
        if durableSequence < head.sequence { try makeDurable() }
        // forEachEntry walks to the end of the ledger; stop it once the batch is full.
        struct BatchFull: Error {}
        do {
            try forEachEntry(from: sequence) { entry in
                batch.append(entry)
                if batch.count >= limit { throw BatchFull() }
            }
        } catch is BatchFull {}
        return batch
    }
}
