import Dispatch
import Foundation
import Reconciliation
import Synchronization

/// The month reconciled while its devices are read, one device at a time: each device's ledger
/// goes into the accumulator, and only its description (head, coverage, alarms; the entries
/// emptied) stays for the manifest. The database and the export directory both read through
/// it, so the two inputs cannot drift apart in how they feed the rules.
///
/// The month's card facts wait for the card pass in scratch files (`ScratchSpill`), split into
/// `cardPartitions` groups by card, so memory holds one group while the cards are judged.
struct StreamedReconciliation {
    private var accumulator: ReconciliationAccumulator?
    private var described: [DeviceLedger] = []
    private var entriesRead = 0
    private let spill: ScratchSpill
    /// Groups of cards judged one at a time: enough that a group of a ten-million-entry month
    /// is about ten megabytes, few enough that a small month's overhead is nothing.
    static let cardPartitions = 64

    /// Makes the scratch directory under `scratch` (`ScratchSpill.defaultParent` if nil).
    init(scratch: String?) throws {
        spill = try ScratchSpill(under: scratch ?? ScratchSpill.defaultParent)
    }

    /// Begins with the period's context, read before the first device.
    mutating func start(_ context: ReconciliationInput) {
        accumulator = ReconciliationAccumulator(context, cardPartitions: Self.cardPartitions, spill: spill)
    }

    /// Judges one device's ledger and keeps only its description.
    mutating func add(_ ledger: DeviceLedger) {
        precondition(accumulator != nil, "a device read before the period's context")
        entriesRead += ledger.entries.count
        var description = ledger
        description.entries = []
        described.append(description)
        accumulator!.add(ledger)
    }

    /// Runs the month-wide rules, and completes `loaded` with what was read.
    ///
    /// Mutating, not consuming: the readers hold this value in a variable their device closure
    /// captures, and consuming it there copies it out of the closure's box, so the accumulator
    /// taken from the copy shared the month's rides and taps with the one left in the box and
    /// every sort copied them (10M: 1,399 MiB against 988 MiB before). Taken in place, the
    /// box is left empty and the accumulator has one owner.
    ///
    /// Throws if the scratch files failed (the report would miss facts).
    mutating func finish(_ loaded: LoadedInput) throws -> (report: ReconciliationReport, loaded: LoadedInput) {
        var loaded = loaded
        loaded.input.devices = described
        loaded.entriesRead = entriesRead
        // Taken out of the optional before finishing: a copy left behind would share the month's
        // rides and taps, and sorting them would then copy every one.
        let finishing = accumulator.take()!
        let report = Self.judgeCards((consume finishing).startCardPass())
        try spill.check()
        spill.remove()
        return (report, loaded)
    }

    /// Judges the card partitions on every core (each lane takes the next partition, judges it,
    /// adds what it found; the order does not change the report), then makes the report.
    static func judgeCards(_ pass: consuming CardPass) -> ReconciliationReport {
        let judge = pass.judge
        let shared = Mutex(pass)
        DispatchQueue.concurrentPerform(iterations: max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))) { _ in
            while let partition = shared.withLock({ $0.takeNext() }) {
                let found = judge.judge(partition)
                shared.withLock { $0.add(found) }
            }
        }
        return shared.withLock { $0.report() }
    }
}
