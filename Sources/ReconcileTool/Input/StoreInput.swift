import AccountingCore
import AccountingStore
import Bundles
import Entitlements
import Identifiers
import LedgerCore
import Reconciliation

/// Reads one period's reconciliation input from the accounting store (SQLite or PostgreSQL).
///
/// Each device's entries are read by keyset pages of the device-time index (`entries(of:sequences:in:limit:)`),
/// a page at a time; only the period's window (and, after a close, the late entries) is read.
/// A closed month is read up to the heads frozen in its closing record, so its report never
/// changes; what arrived after the previous month's close and belongs to earlier days is this
/// period's late section.
public enum StoreInput {
    /// Entries read per query, unless a caller asks for other pages.
    public static let pageSize = 5_000

    /// Devices read at once, ahead of the one the rules are judging: each holds at most one
    /// device's entries in memory, a few MB in a month of 500 buses.
    static let readAhead = 4

    /// The input of `period` from `storage`, every entry in memory (`reconcile(from:period:)`
    /// streams instead).
    public static func load(
        from storage: any AccountingStorage, period: ReportingPeriod, options: ReconciliationOptions = ReconciliationOptions(),
        claims: [ClaimLine] = [], pageSize: Int = pageSize
    ) async throws -> LoadedInput {
        var devices: [DeviceLedger] = []
        var loaded = try await read(from: storage, period: period, options: options, claims: claims, close: nil, pageSize: pageSize) {
            devices.append($0)
        }
        loaded.input.devices = devices
        loaded.entriesRead = devices.reduce(0) { $0 + $1.entries.count }
        return loaded
    }

    /// Reconciles `period` straight from `storage`, one device at a time
    /// (`ReconciliationAccumulator`): the report equals `reconcile(load(…).input)`, while memory
    /// holds one device's entries and the month's compact facts, not the month's entries.
    ///
    /// The loaded input returned names what was read (heads, bundles, reference data, each
    /// device's coverage and evidence) without the entries; `entriesRead` counts them. `close`,
    /// when given, judges the period as closed at that moment (the month being closed now).
    public static func reconcile(
        from storage: any AccountingStorage, period: ReportingPeriod, options: ReconciliationOptions = ReconciliationOptions(),
        claims: [ClaimLine] = [], close: UnixTime? = nil, scratch: String? = nil, pageSize: Int = pageSize
    ) async throws -> (report: ReconciliationReport, loaded: LoadedInput) {
        var streamed = try StreamedReconciliation(scratch: scratch)
        let loaded = try await read(from: storage, period: period, options: options, claims: claims, close: close, pageSize: pageSize) { ledger in
            streamed.add(ledger)
        } starting: { context in
            streamed.start(context)
        }
        return try streamed.finish(loaded)
    }

    /// Reads the period's context (closings, reference data, bundles, opening balances), hands
    /// it to `starting`, then reads each device in ascending order and hands its ledger to
    /// `device`, which may keep or drop it.
    private static func read(
        from storage: any AccountingStorage, period: ReportingPeriod, options: ReconciliationOptions, claims: [ClaimLine], close: UnixTime?,
        pageSize: Int, device consume: (DeviceLedger) throws -> Void, starting: (ReconciliationInput) -> Void = { _ in }
    ) async throws -> LoadedInput {
        let closes = try await storage.periodCloses()
        let (thisClose, previousClose) = InputAssembly.closings(closes, period: period)
        let frozen = try thisClose.map { try ClosingRecord(decoding: $0.record) }
        let previous = try previousClose.map { try ClosingRecord(decoding: $0.record) }
        let window = DeviceTimeWindow(from: period.start, to: period.end, marginSeconds: options.contextSeconds)
        let alarms = InputAssembly.alarms(try await storage.alarms(), until: thisClose?.closedAt)
        let refused = InputAssembly.refusedBatches(try await storage.refusedBatches(), until: thisClose?.closedAt)
        let roles = Dictionary(uniqueKeysWithValues: try await storage.registrations().map { ($0.deviceID, $0.role) })

        let snapshot = try await storage.referenceData(for: period.start..<period.end, dates: period.firstDay...period.lastDay, cards: nil)
        let tariffBundles = try await (storage as? any BundleHistoryStorage)?.bundles(.tariff) ?? []
        let (tariffs, tariffReferences) = try InputAssembly.tariffs(bundles: tariffBundles, periods: snapshot.tariffPeriods)
        let bundles = tariffReferences + InputAssembly.references(try await (storage as? any BundleHistoryStorage)?.bundles(.denyList) ?? [], kind: "denylist")
        let paidBefore = try await storage.carrierPayments(from: nil, through: period.firstDay.adding(days: -1))
        let input = ReconciliationInput(
            period: period, devices: [], reference: InputAssembly.referenceSet(snapshot, tariffs: tariffs, year: period.firstDay.year),
            previousClose: previousClose?.closedAt, close: close ?? thisClose?.closedAt, claims: claims,
            opening: InputAssembly.opening(period: period, closings: closes, paymentsBefore: paidBefore), options: options)
        starting(input)

        // The next devices are read (queries and the decoding of their entries) while the rules
        // run on this one, so both cores work and a database server has several queries to
        // answer at once rather than one after another; devices are still handed over one at a
        // time, in ascending order, so the report is the same as reading them one after another.
        let states = try await storage.deviceLedgerStates().sorted(by: { $0.device < $1.device })
        let reading = DeviceReading(
            storage: storage, pageSize: max(1, pageSize), frozen: frozen, previous: previous, window: window, alarms: alarms, refused: refused,
            roles: roles)
        var ahead: [Task<DeviceLedger, any Error>] = []
        var started = 0
        defer { for task in ahead { task.cancel() } }
        var heads: [ClosingRecord.DeviceHead] = []
        for _ in states.indices {
            while started < states.count, ahead.count < readAhead {
                ahead.append(Task { [state = states[started]] in try await reading.ledger(of: state) })
                started += 1
            }
            let ledger = try await ahead.removeFirst().value
            let head = ledger.heldHead
            let receipt = ledger.receiptSequence
            try consume(ledger)
            heads.append(ClosingRecord.DeviceHead(device: ledger.device.rawValue, sequence: head.sequence, hash: head.hash.hex, receiptSequence: receipt))
        }
        return LoadedInput(input: input, heads: heads, bundles: bundles, closing: thisClose)
    }

    /// What reading one device's ledger needs, so it can be read in a task of its own.
    private struct DeviceReading: Sendable {
        let storage: any AccountingStorage
        let pageSize: Int
        let frozen: ClosingRecord?
        let previous: ClosingRecord?
        let window: DeviceTimeWindow
        let alarms: [DeviceID: [TamperAlarmRecord]]
        let refused: [DeviceID: [RefusedBatch]]
        let roles: [DeviceID: DeviceRole]

        /// The device's entries of the window (and, after a close, its late ones), up to the head
        /// the report sees, with its coverage and evidence.
        func ledger(of state: DeviceLedgerState) async throws -> DeviceLedger {
            let device = state.device
            let head: ChainHead
            if let frozen {
                head = frozen.head(of: device) ?? .genesis(for: device)
            } else {
                head = state.head
            }
            var entries: [HeldEntry] = []
            var headTime: UnixTime?
            if head.sequence > 0 {
                // Read by sequence, page after page: in order as read.
                try await StoreInput.read(storage, device: device, sequences: 1...head.sequence, window: window, pageSize: pageSize, into: &entries)
                // Entries of days before the window that arrived after the previous close: late.
                let previousHead = previous?.head(of: device)?.sequence ?? 0
                if previous != nil, previousHead < head.sequence, window.lowerBound > 0 {
                    let before = DeviceTimeWindow(from: UnixTime(0), to: UnixTime(window.lowerBound))
                    let windowCount = entries.count
                    try await StoreInput.read(
                        storage, device: device, sequences: (previousHead + 1)...head.sequence, window: before, pageSize: pageSize, into: &entries)
                    // Sorted only when late entries came, interleaved with the window's by sequence.
                    if entries.count > windowCount { entries.sort { $0.entry.sequence < $1.entry.sequence } }
                }
                if let last = entries.last?.entry, last.sequence == head.sequence {
                    // Most devices' heads are inside the window, read already.
                    headTime = last.record.deviceTime
                } else {
                    let wide = DeviceTimeWindow(from: UnixTime(Int64.min / 4), to: UnixTime(Int64.max / 4))
                    headTime = try await storage.entries(of: device, sequences: head.sequence...head.sequence, in: wide, limit: 1).first?.entry.record
                        .deviceTime
                }
            }
            let receipt = state.latestReceipt.map { min($0.sequence, head.sequence) }
            return DeviceLedger(
                device: device, entries: entries, heldHead: head, heldHeadDeviceTime: headTime, receiptSequence: receipt,
                checkpointSequence: receipt, tamperAlarms: alarms[device] ?? [],
                refusedBatches: (refused[device] ?? []).filter { $0.lastSequence > head.sequence }, role: roles[device] ?? .validator)
        }
    }

    private static func read(
        _ storage: any AccountingStorage, device: DeviceID, sequences: ClosedRange<UInt64>, window: DeviceTimeWindow, pageSize: Int,
        into entries: inout [HeldEntry]
    ) async throws {
        var next = sequences.lowerBound
        while next <= sequences.upperBound {
            var page = try await storage.entries(of: device, sequences: next...sequences.upperBound, in: window, limit: pageSize)
            guard let last = page.last?.entry.sequence else { break }
            let full = page.count == pageSize
            // Each entry is moved out of the page (`popLast`), not copied: a copy counted a
            // reference on each of its buffers, and freeing the page dropped it again, for every
            // entry of the month. Popped last first, the page's entries land reversed and are
            // turned round where they lie.
            let start = entries.count
            // Room for the page at once (doubling, as appending would, for a device of many pages).
            if entries.capacity < start + page.count { entries.reserveCapacity(Swift.max(start + page.count, 2 * entries.capacity)) }
            while let stored = page.popLast() { entries.append(HeldEntry(stored.entry, receivedAt: stored.receivedAt)) }
            // Swapped through the buffer, which moves the entries: the array's own `swapAt` (and
            // reversing `entries[start...]`, which copied the slice out) copied them.
            entries.withUnsafeMutableBufferPointer { buffer in
                var (low, high) = (start, buffer.count - 1)
                while low < high {
                    buffer.swapAt(low, high)
                    low += 1
                    high -= 1
                }
            }
            guard full else { break }
            next = last + 1
        }
    }
}
