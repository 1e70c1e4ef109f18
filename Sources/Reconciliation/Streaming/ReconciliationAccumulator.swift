import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// The reconciliation of one period fed one device at a time, so a month of millions of
/// entries never sits in memory at once.
///
/// Each device's entries are read as they are added: its chain rules (head, receipt coverage,
/// tamper alarms, late uploads, clock steps, late entries) run on them then, and only compact
/// facts are kept — a small record per ride, purse debit and counted tap, and the few pending
/// transactions the device did not settle itself. The entries themselves (canonical bytes,
/// decoded records) are dropped once the device is read; the facts go to their card's
/// partition (`CardPartitions`), in memory or spilled. `finish()` runs the rules that need
/// every device (a card's taps on many validators: transfers, limits, clones, pending
/// transactions settled by later taps) one partition of the cards at a time, then the
/// month-wide ones, and gives the report `reconcile(_:)` gives for the same input, byte for
/// byte: `reconcile(_:)` is this accumulator fed every device of its input.
///
/// Pure like the rest of the module: it reads nothing but what it is given.
public struct ReconciliationAccumulator: Sendable {
    private let reconciler: Reconciler
    private var lastDevice: DeviceID?
    private var facts: CardPartitions
    private var digest = LedgerDigest()

    /// Starts a period's reconciliation from its input; the input's devices (often none, when a
    /// loader streams them) are added first.
    ///
    /// The card rules judge the month's cards `cardPartitions` groups at a time (every card's
    /// facts in one group); with a `spill`, each group's facts wait there rather than in memory
    /// until their turn. The report is the same for any number of groups, with or without a
    /// spill (docs/reconciliation.md, "The card pass").
    public init(_ input: ReconciliationInput, cardPartitions: Int = 1, spill: (any FactSpill)? = nil) {
        self.init(input, cardPartitions: cardPartitions, spill: spill, spillThreshold: 256 * 1024)
    }

    /// As above, spilling a partition's facts once they pass `spillThreshold` bytes (tests spill
    /// small months by passing a few bytes).
    init(_ input: ReconciliationInput, cardPartitions: Int, spill: (any FactSpill)?, spillThreshold: Int) {
        var context = input
        context.devices = []
        reconciler = Reconciler(input: context)
        facts = CardPartitions(count: cardPartitions, spill: spill, spillThreshold: spillThreshold)
        for ledger in mergedByDevice(input.devices) { add(ledger) }
    }

    /// Distinct entries read so far (after the close, if the period is closed).
    public private(set) var entriesRead = 0

    /// Adds one device's ledger: all the entries of the device the period needs, with its head,
    /// coverage and evidence. Devices come in ascending order, each once (merge a device's
    /// parts with `DeviceLedger` values passed to `init` if they come apart).
    public mutating func add(_ ledger: DeviceLedger) {
        precondition(lastDevice.map { $0 < ledger.device } ?? true, "devices are added in ascending order, each once")
        lastDevice = ledger.device
        let own = distinctEntries([ledger], receivedBy: reconciler.input.close)
        entriesRead += own.count
        digest.add(reconciler.digest(of: ledger, own: own[...]))
        // Desks' entries are few (one per card action): their credits and issues are kept whole.
        var counterTaps: [CounterTap] = []
        if ledger.role == .desk {
            digest.desk.merge(deskActions(in: own, desks: [ledger.device]))
        } else {
            collectCounterTaps(own[...], into: &counterTaps)
        }
        facts.add(readDeviceFacts(own), counterTaps: counterTaps)
    }

    /// The report: the card rules, one partition of the cards at a time, then the rules over
    /// the whole month.
    public consuming func finish() -> ReconciliationReport {
        var pass = startCardPass()
        while let partition = pass.takeNext() { pass.add(pass.judge.judge(partition)) }
        return pass.report()
    }

    /// The card pass, for a caller that judges several partitions at once (`CardPass`); what
    /// `finish()` does one partition at a time.
    public consuming func startCardPass() -> CardPass {
        var gathered = LedgerDigest()
        swap(&gathered, &digest)
        let evidence = CardEvidence(
            desk: gathered.desk, purseCredits: reconciler.purseCreditIndex(gathered.desk),
            assignments: AssignmentIndex(reconciler.reference.deviceAssignments))
        let judge = CardJudge(reconciler: reconciler, evidence: evidence, wanted: gathered.referencesJudged)
        var partitions = CardPartitions(count: 1, spill: nil)
        swap(&partitions, &facts)
        return CardPass(judge: judge, partitions: partitions, digest: gathered)
    }
}

/// The second pass of a reconciliation: the month's cards judged partition by partition, then
/// the report. Partitions are independent, so a caller may judge several at once — take each
/// (`takeNext`, in turn), judge it anywhere (`judge`, a value that can cross threads), add what
/// was found (in any order) — and the report is the same as `finish()`'s.
public struct CardPass: Sendable {
    /// Judges one partition; holds nothing that changes.
    public let judge: CardJudge
    private var partitions: CardPartitions
    private var digest: LedgerDigest
    private var next = 0
    private var found = CardFindings()

    init(judge: CardJudge, partitions: CardPartitions, digest: LedgerDigest) {
        self.judge = judge
        self.partitions = partitions
        self.digest = digest
    }

    /// The next partition's facts (read back from the spill if they were spilled), or nil when
    /// every partition has been taken.
    public mutating func takeNext() -> CardPartition? {
        guard next < partitions.count else { return nil }
        defer { next += 1 }
        return CardPartition(facts: partitions.take(next))
    }

    /// Adds what one partition's judging found.
    public mutating func add(_ findings: CardFindings) {
        found.merge(findings)
    }

    /// The report, once every partition was judged and added.
    public mutating func report() -> ReconciliationReport {
        precondition(next == partitions.count, "every partition is judged before the report")
        var findings = CardFindings()
        swap(&findings, &found)
        var gathered = LedgerDigest()
        swap(&gathered, &digest)
        return judge.reconciler.report(cards: findings, digest: gathered, assignments: judge.evidence.assignments)
    }
}

/// One partition of the month's cards, waiting to be judged.
public struct CardPartition: Sendable {
    var facts: LedgerFactsBuilder
}

/// The card rules with what they consult besides the cards' own facts.
public struct CardJudge: Sendable {
    let reconciler: Reconciler
    let evidence: CardEvidence
    let wanted: Set<EntryReference>

    /// What the card rules find in one partition.
    public func judge(_ partition: consuming CardPartition) -> CardFindings {
        reconciler.judgeCards(partition.facts, evidence: evidence, keeping: wanted)
    }
}

/// What the device-by-device rules found, kept once the entries are gone.
struct LedgerDigest: Sendable {
    var devices: [DeviceDigest] = []
    /// Entries of the period received long after their device time, by device, in entry order.
    var delayed: [DeviceID: [TimedEntry]] = [:]
    /// Entries of the period stamped after they were received, by device, in entry order.
    var ahead: [DeviceID: [TimedEntry]] = [:]
    /// Clock steps (complete exceptions: nothing is at stake).
    var clockSteps: [IntegrityException] = []
    /// Entries of earlier periods received after the previous close.
    var late: [LateCandidate] = []
    /// What the desks' ledgers say: purse credits, balances moved, card issues.
    var desk = DeskActions()

    /// The entries whose compensation the month-wide rules ask for (uncovered, disputed,
    /// delayed, ahead of the clock, late): the card pass keeps these rides' assessments.
    var referencesJudged: Set<EntryReference> {
        var references = Set<EntryReference>()
        for device in devices {
            references.formUnion(device.uncovered)
            for list in device.disputed.values { references.formUnion(list) }
        }
        for list in delayed.values { references.formUnion(list.lazy.map(\.reference)) }
        for list in ahead.values { references.formUnion(list.lazy.map(\.reference)) }
        references.formUnion(late.lazy.map(\.reference))
        return references
    }

    mutating func add(_ device: DeviceDigest) {
        devices.append(device.trimmed)
        if !device.delayed.isEmpty { delayed[device.ledger.device] = device.delayed }
        if !device.ahead.isEmpty { ahead[device.ledger.device] = device.ahead }
        clockSteps += device.clockSteps
        late += device.late
    }
}

/// One device as the rules see it after its entries are read.
struct DeviceDigest: Sendable {
    /// The ledger without its entries: head, coverage, alarms, refused batches.
    var ledger: DeviceLedger
    /// Where the held chain ends for this report.
    var head: HeadView
    /// Distinct entries read.
    var entriesRead: Int
    /// Entries after the receipt, up to the head.
    var uncovered: [EntryReference]
    /// The entries each tamper alarm's refused batch disputes.
    var disputed: [TamperAlarmRecord: [EntryReference]]
    var delayed: [TimedEntry] = []
    var ahead: [TimedEntry] = []
    var clockSteps: [IntegrityException] = []
    var late: [LateCandidate] = []

    /// Without the per-entry findings the digest keeps elsewhere.
    var trimmed: DeviceDigest {
        var copy = self
        copy.delayed = []
        copy.ahead = []
        copy.clockSteps = []
        copy.late = []
        return copy
    }
}

/// An entry whose device time and received time differ by more than the options allow.
struct TimedEntry: Hashable, Sendable {
    var reference: EntryReference
    var deviceTime: UnixTime
    var receivedAt: UnixTime
    /// Received time less device time, in seconds.
    var difference: Int64
}

/// An entry of an earlier period received after the previous close, before it is assessed.
struct LateCandidate: Hashable, Sendable {
    var reference: EntryReference
    var kind: String
    var deviceTime: UnixTime
    var receivedAt: UnixTime
    var route: RouteNumber?
    var category: CategoryCode?
}

extension Reconciler {
    /// Runs the rules that need only this device's entries (`own`: distinct, in sequence order).
    func digest(of ledger: DeviceLedger, own: ArraySlice<HeldEntry>) -> DeviceDigest {
        let head = effectiveHead(of: ledger, own: own)
        let receipt = ledger.receiptSequence.map { min($0, head.head.sequence) } ?? 0
        let uncovered =
            head.head.sequence > receipt
            ? own.filter { $0.entry.sequence > receipt && $0.entry.sequence <= head.head.sequence }.map(\.reference) : []
        var disputed: [TamperAlarmRecord: [EntryReference]] = [:]
        for alarm in ledger.tamperAlarms {
            disputed[alarm] = own.filter { $0.entry.sequence >= alarm.batchFirstSequence && $0.entry.sequence <= alarm.batchLastSequence }.map(\.reference)
        }
        var metadata = ledger
        metadata.entries = []
        var digest = DeviceDigest(ledger: metadata, head: head, entriesRead: own.count, uncovered: uncovered, disputed: disputed)
        readEntryFindings(own, into: &digest)
        return digest
    }

    /// Late uploads, clocks ahead, clock steps and late entries among one device's entries.
    func readEntryFindings(_ own: ArraySlice<HeldEntry>, into digest: inout DeviceDigest) {
        let options = input.options
        // Fields are read where each entry lies, without copying the entry (`readDeviceFacts`).
        for index in own.indices {
            let deviceTime = own[index].entry.record.deviceTime
            let receivedAt = own[index].receivedAt
            let reference = EntryReference(device: own[index].entry.deviceID, sequence: own[index].entry.sequence)
            if isLate(deviceTime, receivedAt: receivedAt), let receivedAt {
                digest.late.append(
                    LateCandidate(
                        reference: reference, kind: own[index].entry.record.kind.name, deviceTime: deviceTime, receivedAt: receivedAt,
                        route: own[index].entry.record.route, category: own[index].entry.record.category))
            }
            guard period.contains(deviceTime) else { continue }
            let device = own[index].entry.deviceID
            if let receivedAt {
                let difference = receivedAt.seconds(since: deviceTime)
                let timed = TimedEntry(reference: reference, deviceTime: deviceTime, receivedAt: receivedAt, difference: difference)
                if difference > options.uploadDelaySeconds { digest.delayed.append(timed) }
                if -difference > options.clockSkewSeconds { digest.ahead.append(timed) }
            }
            if own[index].entry.record.kind == .clockAdjusted {
                let record = own[index].entry.record
                let correction = record.clockCorrectionSeconds ?? 0
                digest.clockSteps.append(
                    IntegrityException(
                        kind: .clockAdjusted, device: device, entries: [reference],
                        evidence: [.clockStep(newTime: record.deviceTime, correctionSeconds: correction, source: record.detail)], amountAtStakeKopecks: 0,
                        text: LocalizedText(
                            uk: "Пристрій \(device) переставив годинник на \(correction) с (запис \(reference)).",
                            en: "Device \(device) stepped its clock by \(correction) s (entry \(reference)).")))
            }
        }
    }
}
