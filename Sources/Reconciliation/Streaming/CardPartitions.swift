import Identifiers

/// Where a month's card facts can wait between the device pass and the card pass, so memory
/// need not hold them all: chunks of bytes kept by partition and read back once.
///
/// The chunks are this process's own scratch (the facts' in-memory layout, written and read by
/// the same build); they never leave the process and are not a file format. The tool keeps them
/// in files (`ScratchSpill`); a spill that fails (a full disk) must say so to its owner, who then
/// discards the report (`ReconciliationAccumulator` cannot tell a lost chunk from no facts).
public protocol FactSpill: AnyObject, Sendable {
    /// Keeps one chunk of a partition's facts.
    func append(_ chunk: [UInt8], toPartition partition: Int)
    /// Every chunk of the partition, in the order appended; the spill may forget them after.
    func takeChunks(ofPartition partition: Int) -> [[UInt8]]
}

/// The month's card facts split by card into partitions, so the card rules can judge one
/// partition at a time: every card rule reads only one card's rides, taps and purse debits, so
/// a card's facts must all be in one partition, and any split gives the same report
/// (docs/reconciliation.md, "The card pass").
///
/// With a spill, a partition's facts are written out whenever they pass `spillThreshold` bytes,
/// so during the device pass memory holds a few kilobytes per partition; the card pass reads one
/// partition back at a time.
struct CardPartitions: Sendable {
    private var builders: [LedgerFactsBuilder]
    private let spill: (any FactSpill)?
    /// Bytes of plain facts a partition gathers before they are spilled.
    private let spillThreshold: Int

    init(count: Int, spill: (any FactSpill)?, spillThreshold: Int = 256 * 1024) {
        precondition(count >= 1, "at least one partition")
        builders = Array(repeating: LedgerFactsBuilder(), count: count)
        self.spill = spill
        self.spillThreshold = spillThreshold
    }

    var count: Int { builders.count }

    /// The partition of a card's facts: a mix of the serial's bits, so neighbouring serials
    /// (issued in runs) spread evenly.
    func partition(of card: CardSerial) -> Int {
        guard builders.count > 1 else { return 0 }
        let mixed = (card.rawValue &* 0x9E37_79B9_7F4A_7C15) >> 32
        return Int(mixed % UInt64(builders.count))
    }

    /// Adds one device's facts and its counter-carrying taps, each to its card's partition.
    mutating func add(_ facts: DeviceFacts, counterTaps: [CounterTap]) {
        if builders.count == 1 {
            builders[0].add(facts)
            builders[0].counterTaps += counterTaps
        } else {
            for ride in facts.rides { builders[partition(of: ride.card)].rides.append(ride) }
            for movement in facts.purseMovements { builders[partition(of: movement.card)].purse.append(movement) }
            for (card, tap) in facts.taps { builders[partition(of: card)].taps.append(CardTapFact(card: card, tap: tap)) }
            for tap in counterTaps { builders[partition(of: tap.card)].counterTaps.append(tap) }
            // A pending entry without a card cannot be settled by later taps: any partition will do.
            for pending in facts.pendings { builders[pending.entry.entry.record.cardSerial.map(partition(of:)) ?? 0].pendings.append(pending) }
        }
        guard let spill else { return }
        for index in builders.indices where builders[index].plainBytes >= spillThreshold {
            spill.append(builders[index].takePlainFacts(), toPartition: index)
        }
    }

    /// A partition's facts, the spilled chunks (in the order written) before what memory holds,
    /// so each list is in the order it was read; the partition is left empty.
    mutating func take(_ partition: Int) -> LedgerFactsBuilder {
        var taken = LedgerFactsBuilder()
        swap(&taken, &builders[partition])
        guard let spill else { return taken }
        var whole = LedgerFactsBuilder()
        for chunk in spill.takeChunks(ofPartition: partition) { whole.appendPlainFacts(chunk) }
        whole.appendPlainFacts(taken.takePlainFacts())
        whole.pendings = taken.pendings
        return whole
    }
}

/// A tap that names its trip counter, with its card: one flat list per partition rather than a
/// list per card, so there is no per-card slack while the devices are read.
struct CardTapFact: Hashable, Sendable, BitwiseCopyable {
    var card: CardSerial
    var tap: CardTap
}

extension LedgerFactsBuilder {
    /// Bytes held in the lists that can be spilled (everything but the few open pendings).
    var plainBytes: Int {
        rides.count * MemoryLayout<Ride>.stride + purse.count * MemoryLayout<PurseMovement>.stride + taps.count * MemoryLayout<CardTapFact>.stride
            + counterTaps.count * MemoryLayout<CounterTap>.stride
    }

    /// The plain lists as one chunk (four counts, then each list's bytes), the lists emptied.
    mutating func takePlainFacts() -> [UInt8] {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(32 + plainBytes)
        for count in [rides.count, purse.count, taps.count, counterTaps.count] {
            withUnsafeBytes(of: UInt64(count).littleEndian) { chunk.append(contentsOf: $0) }
        }
        rides.withUnsafeBytes { chunk.append(contentsOf: $0) }
        purse.withUnsafeBytes { chunk.append(contentsOf: $0) }
        taps.withUnsafeBytes { chunk.append(contentsOf: $0) }
        counterTaps.withUnsafeBytes { chunk.append(contentsOf: $0) }
        rides.removeAll(keepingCapacity: true)
        purse.removeAll(keepingCapacity: true)
        taps.removeAll(keepingCapacity: true)
        counterTaps.removeAll(keepingCapacity: true)
        return chunk
    }

    /// Appends the lists of a chunk `takePlainFacts` made.
    mutating func appendPlainFacts(_ chunk: [UInt8]) {
        chunk.withUnsafeBytes { bytes in
            var offset = 0
            func count() -> Int {
                defer { offset += 8 }
                return Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            }
            let counts = (count(), count(), count(), count())
            func read<Fact: BitwiseCopyable>(_ count: Int, into list: inout [Fact]) {
                let length = count * MemoryLayout<Fact>.stride
                precondition(offset + length <= bytes.count, "a spilled chunk shorter than its counts")
                list.reserveCapacity(list.count + count)
                for index in 0..<count {
                    list.append(bytes.loadUnaligned(fromByteOffset: offset + index * MemoryLayout<Fact>.stride, as: Fact.self))
                }
                offset += length
            }
            read(counts.0, into: &rides)
            read(counts.1, into: &purse)
            read(counts.2, into: &taps)
            read(counts.3, into: &counterTaps)
            precondition(offset == bytes.count, "a spilled chunk longer than its counts")
        }
    }
}
