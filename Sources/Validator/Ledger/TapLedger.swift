import Entitlements
import Identifiers
import LedgerCore
import LedgerStore

/// The validator's ledger as the tap pipeline uses it: the one owner of the SQLite store, plus
/// the index of card transactions still pending (by card), so that a card's next tap resolves them.
///
/// One write of a tap is durable before it returns: the pending entry, which must be on disk
/// before the card's CommitTransaction is sent (the tearing protocol stands on it). Everything
/// else a tap writes (charges, confirmation, abandonment, declines) is deferred: in the WAL at
/// once, so a killed process keeps it, and on disk with the next pending entry's fsync. A power
/// loss that takes a deferred confirmation leaves its pending entry open, which the card's next
/// tap settles (docs/validator.md, "Durability"). A storage failure puts the store out of
/// service; from then on `appendPending` throws `out-of-service`, so no card is charged that the
/// ledger cannot record.
public actor TapLedger {
    let store: LedgerStore
    private var open: [CardSerial: [PendingTransaction]] = [:]
    private var closed = false

    /// Whether the writes a tap may defer are deferred (`false`: every append fsync'd, as the
    /// validator wrote before one fsync per tap; kept for comparison in the benchmark).
    public let defersWrites: Bool

    /// Takes ownership of an opened store and indexes the pending transactions it holds.
    public init(store: sending LedgerStore, defersWrites: Bool = true) throws {
        self.store = store
        self.defersWrites = defersWrites
        var pendings: [UInt64: PendingTransaction] = [:]
        try store.forEachEntry { entry in
            switch entry.record.kind {
            case .cardTransactionPending:
                if let pending = PendingTransaction(entry: entry) { pendings[entry.sequence] = pending }
            case .cardTransactionConfirmed, .cardTransactionAbandoned:
                if let related = entry.record.relatedSequence { pendings[related] = nil }
            default: break
            }
        }
        for pending in pendings.values.sorted(by: { $0.sequence < $1.sequence }) {
            open[pending.card, default: []].append(pending)
        }
    }

    /// Whether the store accepts appends (and so whether cards may be charged).
    public var isInService: Bool { !closed && store.isInService }

    /// The sequence of the newest entry.
    public var headSequence: UInt64 { store.head.sequence }

    /// Entries not yet covered by an accounting receipt: what still has to be uploaded.
    public func backlog() -> UInt64 {
        let receipted = (try? store.latestReceiptSequence()) ?? 0
        return store.head.sequence - min(receipted, store.head.sequence)
    }

    /// Every pending transaction not yet resolved, oldest first.
    public func openTransactions() -> [PendingTransaction] {
        open.values.flatMap { $0 }.sorted { $0.sequence < $1.sequence }
    }

    /// The unresolved pending transactions of `card`, oldest first.
    public func openTransactions(of card: CardSerial) -> [PendingTransaction] { open[card] ?? [] }

    /// Appends `record` and returns its sequence; `.durable` (the default) returns once it is
    /// on disk.
    @discardableResult
    public func append(_ record: LedgerRecord, durability: LedgerStore.Durability = .durable) throws -> UInt64 {
        try append(contentsOf: [record], durability: durability)[0]
    }

    /// Appends `records` in one transaction and returns their sequences.
    @discardableResult
    func append(contentsOf records: [LedgerRecord], durability: LedgerStore.Durability) throws -> [UInt64] {
        guard !closed else { throw ValidatorError(.outOfService, "the ledger is closed") }
        do {
            return try store.append(contentsOf: records, durability: defersWrites ? durability : .durable).map(\.sequence)
        } catch {
            throw ValidatorError(.outOfService, "the ledger cannot record: \(error)")
        }
    }

    /// Appends the pending entry of `transaction` durably (with every deferred entry before it)
    /// and returns it with its sequence. Must return before the card's CommitTransaction is sent.
    public func appendPending(_ transaction: PendingTransaction) throws -> PendingTransaction {
        var pending = transaction
        pending.sequence = try append(transaction.record, durability: .durable)
        open[pending.card, default: []].append(pending)
        return pending
    }

    /// Puts every deferred entry on disk now (an idle validator, before a power-down).
    public func makeDurable() throws {
        do {
            try store.makeDurable()
        } catch {
            throw ValidatorError(.outOfService, "the ledger cannot sync: \(error)")
        }
    }

    /// Entries that are on disk: the deferred ones after them may still be lost by a power loss.
    public var durableSequence: UInt64 { store.durableSequence }

    /// Records that `pending` was committed on the card: its charge entries (those not already
    /// written, should an earlier attempt have stopped half way) and the confirmation. Returns
    /// the sequence of the first charge entry (or of the confirmation, if none).
    ///
    /// `mayHaveCharges: false` (the tap that just committed, which wrote none) skips looking for
    /// earlier charge entries.
    @discardableResult
    public func confirm(_ pending: PendingTransaction, at time: UnixTime, mayHaveCharges: Bool = true) throws -> UInt64 {
        var written = Set<LedgerEntryKind>()
        if mayHaveCharges, let entries = try? store.lastEntries(64) {
            for entry in entries where entry.record.relatedSequence == pending.sequence { written.insert(entry.record.kind) }
        }
        // Charges and confirmation in one transaction: a crash keeps all or none of them, and the
        // write is deferred (the pending entry already proves the ride; see the type's note).
        var records = pending.chargeRecords.filter { !written.contains($0.kind) }
        records.append(.cardTransactionConfirmed(at: time, card: pending.card, pending: pending.sequence))
        let sequences: [UInt64]
        if defersWrites {
            sequences = try append(contentsOf: records, durability: .deferred)
        } else {
            // As before one fsync per tap: each entry its own durable append.
            sequences = try records.map { try append($0, durability: .durable) }
        }
        remove(pending)
        return sequences[0]
    }

    /// Records that `pending` did not happen on the card, and why that is known (deferred: lost
    /// with power, the pending entry is open again and the card's next tap says the same).
    public func abandon(_ pending: PendingTransaction, why: String, at time: UnixTime) throws {
        try append(.cardTransactionAbandoned(at: time, card: pending.card, pending: pending.sequence, why: why), durability: .deferred)
        remove(pending)
    }

    /// How far back from the newest trip record the card's log must be read to settle this
    /// card's open transactions, beyond what `reading` holds; `nil` when nothing more is needed
    /// (the ordinary tap: no open entry, or the newest record settles it).
    public func tripRecordsBehindNewestNeeded(for reading: TapReading) -> Int? {
        openTransactions(of: reading.state.serial).compactMap { $0.recordsBehindNewest(on: reading) }.max()
    }

    /// Resolves this card's open transactions from what was just read off it. Returns how many
    /// were resolved; those the card cannot tell about stay open.
    public func resolveOpenTransactions(with reading: TapReading, at time: UnixTime) throws -> Int {
        var resolved = 0
        for pending in openTransactions(of: reading.state.serial) {
            switch pending.resolution(on: reading) {
            case .committed:
                try confirm(pending, at: time)
                resolved += 1
            case .notCommitted(let why):
                try abandon(pending, why: why, at: time)
                resolved += 1
            case .unknown:
                continue
            }
        }
        return resolved
    }

    /// Records a clean shutdown (an entry and a signed checkpoint) and closes the store.
    public func shutDown(at time: UnixTime) throws {
        guard !closed else { return }
        closed = true
        do {
            try store.shutDown(at: time)
        } catch {
            store.close()
            throw ValidatorError(.outOfService, "the shutdown entry could not be written: \(error)")
        }
    }

    /// Signs a checkpoint at the head (e.g. before an upload).
    public func checkpoint() throws {
        _ = try store.checkpoint()
    }

    /// Tries to bring an out-of-service store back.
    public func resumeService() throws { try store.resumeService() }

    private func remove(_ pending: PendingTransaction) {
        open[pending.card]?.removeAll { $0.sequence == pending.sequence }
        if open[pending.card]?.isEmpty == true { open[pending.card] = nil }
    }
}
