import Reconciliation

/// The month reconciled while its devices are read, one device at a time: each device's ledger
/// goes into the accumulator, and only its description (head, coverage, alarms; the entries
/// emptied) stays for the manifest. The database and the export directory both read through
/// it, so the two inputs cannot drift apart in how they feed the rules.
struct StreamedReconciliation {
    private var accumulator: ReconciliationAccumulator?
    private var described: [DeviceLedger] = []
    private var entriesRead = 0

    /// Begins with the period's context, read before the first device.
    mutating func start(_ context: ReconciliationInput) {
        accumulator = ReconciliationAccumulator(context)
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
    mutating func finish(_ loaded: LoadedInput) -> (report: ReconciliationReport, loaded: LoadedInput) {
        var loaded = loaded
        loaded.input.devices = described
        loaded.entriesRead = entriesRead
        // Taken out of the optional before finishing: a copy left behind would share the month's
        // rides and taps, and sorting them would then copy every one.
        let finishing = accumulator.take()!
        return ((consume finishing).finish(), loaded)
    }
}
