import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// Where a device's held chain ends, as this report sees it, and the device time there.
struct HeadView: Hashable {
    var head: ChainHead
    var time: UnixTime?
}

/// A card's tap counter jumps between two of its taps: taps in between are in no held ledger.
struct TripNumberGap: Hashable {
    var card: CardSerial
    var earlier: CardTap
    var later: CardTap
    /// The first counter missing.
    var firstMissing: UInt16
    /// How many counters are missing.
    var missingCount: Int
}

/// Finds counter jumps in each card's taps (in tap order). A jump of 2 or more (modulo 65536,
/// less than half the range) means a tap whose pending entry no held ledger has.
func tripNumberGaps(_ tapsByCard: [CardSerial: [CardTap]]) -> [TripNumberGap] {
    var gaps: [TripNumberGap] = []
    for card in tapsByCard.keys.sorted() {
        let taps = tapsByCard[card]!
        for (earlier, later) in zip(taps, taps.dropFirst()) {
            let step = later.stamp.cardSequence &- earlier.stamp.cardSequence
            guard step >= 2, step < 0x8000 else { continue }
            gaps.append(
                TripNumberGap(card: card, earlier: earlier, later: later, firstMissing: earlier.stamp.cardSequence &+ 1, missingCount: Int(step) - 1))
        }
    }
    return gaps
}

/// Which device a missing tap is charged to: the device of the card's tap before the gap if
/// its held chain ends before the tap after the gap (the bus went on without us holding it);
/// otherwise the only device whose held chain ends before that tap; otherwise none.
func attributeTripGap(_ gap: TripNumberGap, heads: [DeviceID: HeadView]) -> DeviceID? {
    let candidates = heads.filter { _, view in view.time.map { $0 < gap.later.stamp.time } ?? false }.keys
    if candidates.contains(gap.earlier.stamp.device) || candidates.contains(gap.earlier.reference.device) {
        return gap.earlier.reference.device
    }
    return candidates.count == 1 ? candidates.first : nil
}

extension Reconciler {
    /// The held head, or, for a closed period, the last entry received by the close.
    func effectiveHead(of device: DeviceLedger, own: ArraySlice<HeldEntry>) -> HeadView {
        if let close = input.close, device.entries.contains(where: { $0.receivedAt.map { $0 > close } ?? false }) {
            if let last = own.max(by: { $0.entry.sequence < $1.entry.sequence }) {
                return HeadView(head: ChainHead(after: last.entry), time: last.entry.record.deviceTime)
            }
            if let first = device.entries.min(by: { $0.entry.sequence < $1.entry.sequence }) {
                return HeadView(
                    head: ChainHead(deviceID: device.device, sequence: first.entry.sequence - 1, hash: first.entry.previousHash), time: nil)
            }
        }
        let time =
            device.heldHeadDeviceTime
            ?? own.first { $0.entry.sequence == device.heldHead.sequence }?.entry.record.deviceTime
            ?? own.map(\.entry.record.deviceTime).max()
        return HeadView(head: device.heldHead, time: time)
    }

    /// Gaps, entries without a receipt, silent devices and tamper alarms.
    func deviceExceptions(_ digests: [DeviceDigest], tripGaps: [TripNumberGap], assignments: AssignmentIndex, compensationOf: (EntryReference) -> Int64)
        -> [IntegrityException]
    {
        let options = input.options
        // Silence is judged where the record ends: the period's end, or now if that comes first.
        let observedUntil = min(period.end, options.asOf ?? period.end)
        let quietSince = observedUntil.adding(seconds: -Int64(options.silentDeviceDays) * 86_400)
        var heads: [DeviceID: HeadView] = [:]
        var ledgers: [DeviceID: DeviceDigest] = [:]
        for digest in digests {
            heads[digest.ledger.device] = digest.head
            ledgers[digest.ledger.device] = digest
        }

        var tripEvidence: [DeviceID: [TripNumberGap]] = [:]
        var unattributed: [TripNumberGap] = []
        for gap in tripGaps where gap.later.stamp.time >= period.start && gap.earlier.stamp.time < period.end {
            if let device = attributeTripGap(gap, heads: heads) {
                tripEvidence[device, default: []].append(gap)
            } else {
                unattributed.append(gap)
            }
        }

        var exceptions: [IntegrityException] = []
        let devices = Set(ledgers.keys).union(assignments.devices.filter { assignments.isAssigned($0, from: period.start, until: period.end) })
        for device in devices.sorted() {
            let view = heads[device] ?? HeadView(head: .genesis(for: device), time: nil)
            let digest = ledgers[device]
            let ledger = digest?.ledger
            let silent = assignments.isAssigned(device, from: quietSince, until: observedUntil) && (view.time.map { $0 < quietSince } ?? true)
            let silence = Evidence.silence(lastEntryTime: view.time, days: options.silentDeviceDays)

            let refused = (ledger?.refusedBatches ?? []).filter { batch in
                batch.lastSequence > view.head.sequence && (input.close.map { close in batch.offeredAt.map { $0 <= close } ?? true } ?? true)
            }
            .sorted { ($0.firstSequence, $0.lastSequence) < ($1.firstSequence, $1.lastSequence) }
            let trips = tripEvidence[device] ?? []
            if !refused.isEmpty || !trips.isEmpty {
                var evidence = refused.map { Evidence.refusedBatch(firstSequence: $0.firstSequence, lastSequence: $0.lastSequence, offeredAt: $0.offeredAt) }
                evidence += trips.map { Evidence.cardTripNumbers(card: $0.card, missingCardSequence: $0.firstMissing, seenAfter: $0.later.reference) }
                if silent { evidence.append(silence) }
                var references = trips.map(\.later.reference)
                if view.head.sequence > 0 { references.append(EntryReference(device: device, sequence: view.head.sequence)) }
                let sources = [refused.isEmpty ? nil : "refused later batches", trips.isEmpty ? nil : "trip numbers of cards it served", silent ? "silence" : nil]
                    .compactMap { $0 }
                let sourcesUK = [refused.isEmpty ? nil : "відхилені пізніші пакети", trips.isEmpty ? nil : "номери поїздок обслужених ним карток", silent ? "мовчання" : nil]
                    .compactMap { $0 }
                exceptions.append(
                    IntegrityException(
                        kind: .sequenceGap, device: device, entries: Array(Set(references)), evidence: evidence, amountAtStakeKopecks: 0,
                        text: LocalizedText(
                            uk: "Пристрій \(device) працював після запису \(view.head.sequence), але ці записи не отримано (докази: \(sourcesUK.joined(separator: ", "))).",
                            en: "Device \(device) went on after entry \(view.head.sequence), but those entries are not held (evidence: \(sources.joined(separator: ", "))).")))
            }
            if silent {
                let since = view.time.map { "\($0)" }
                exceptions.append(
                    IntegrityException(
                        kind: .deviceSilent, device: device,
                        entries: view.head.sequence > 0 ? [EntryReference(device: device, sequence: view.head.sequence)] : [], evidence: [silence],
                        amountAtStakeKopecks: 0,
                        text: LocalizedText(
                            uk: "Пристрій \(device) закріплено за транспортом, але від нього немає записів понад \(options.silentDeviceDays) дн."
                                + (since.map { " (останній: \($0))" } ?? " (жодного запису)"),
                            en: "Device \(device) is assigned to a vehicle but nothing was received from it for more than \(options.silentDeviceDays) days"
                                + (since.map { " (last: \($0))." } ?? " (no entries at all)."))))
            }
            guard let digest, let ledger else { continue }

            let receipt = ledger.receiptSequence.map { min($0, view.head.sequence) } ?? 0
            if view.head.sequence > receipt {
                let references = digest.uncovered
                exceptions.append(
                    IntegrityException(
                        kind: .notReceipted, device: device, entries: references,
                        evidence: [
                            .coverage(
                                receiptSequence: ledger.receiptSequence.map { min($0, view.head.sequence) },
                                checkpointSequence: ledger.checkpointSequence.map { min($0, view.head.sequence) })
                        ],
                        amountAtStakeKopecks: references.reduce(0) { $0 + compensationOf($1) },
                        text: LocalizedText(
                            uk: "Записи \(receipt + 1)–\(view.head.sequence) пристрою \(device) не підтверджено квитанцією сервісу.",
                            en: "Entries \(receipt + 1)-\(view.head.sequence) of device \(device) are not covered by a service receipt.")))
            }

            let alarms = ledger.tamperAlarms.sorted {
                ($0.sequence, $0.raisedAt, $0.batchFirstSequence, $0.batchLastSequence, $0.offeredHash) < ($1.sequence, $1.raisedAt, $1.batchFirstSequence, $1.batchLastSequence, $1.offeredHash)
            }
            for alarm in alarms where alarm.raisedAt < period.end && (input.close.map { alarm.raisedAt <= $0 } ?? true) {
                let disputed = digest.disputed[alarm] ?? []
                exceptions.append(
                    IntegrityException(
                        kind: .tamperAlarm, device: device, entries: [EntryReference(device: device, sequence: alarm.sequence)],
                        evidence: [
                            .tamperAlarm(
                                sequence: alarm.sequence, heldHash: alarm.heldHash, offeredHash: alarm.offeredHash, batchFirst: alarm.batchFirstSequence,
                                batchLast: alarm.batchLastSequence, raisedAt: alarm.raisedAt)
                        ],
                        amountAtStakeKopecks: disputed.reduce(0) { $0 + compensationOf($1) },
                        text: LocalizedText(
                            uk: "Пристрій \(device) надіслав іншу історію для запису \(alarm.sequence) (пакет \(alarm.batchFirstSequence)–\(alarm.batchLastSequence)): ключ пристрою підписав дві різні історії.",
                            en: "Device \(device) offered a different history for entry \(alarm.sequence) (batch \(alarm.batchFirstSequence)-\(alarm.batchLastSequence)): the device key signed two different histories.")))
            }
        }

        for gap in unattributed {
            exceptions.append(
                IntegrityException(
                    kind: .sequenceGap, device: nil, card: gap.card, entries: [gap.earlier.reference, gap.later.reference],
                    evidence: [.cardTripNumbers(card: gap.card, missingCardSequence: gap.firstMissing, seenAfter: gap.later.reference)],
                    amountAtStakeKopecks: 0,
                    text: LocalizedText(
                        uk: "Картка \(gap.card.printed): \(gap.missingCount) поїздк. між \(gap.earlier.reference) і \(gap.later.reference) немає в жодному отриманому журналі.",
                        en: "Card \(gap.card.printed): \(gap.missingCount) tap(s) between \(gap.earlier.reference) and \(gap.later.reference) are in no held ledger.")))
        }
        return exceptions
    }

    /// Late uploads, clocks ahead, clock steps, and entries received after a close.
    func entryExceptions(_ digest: LedgerDigest, compensationOf: (EntryReference) -> Int64, late: [LateEntry]) -> [IntegrityException] {
        let options = input.options
        var exceptions = digest.clockSteps
        func group(_ kind: ExceptionKind, _ found: [DeviceID: [TimedEntry]]) {
            for device in found.keys.sorted() {
                let list = found[device]!
                let worst = list.max { (abs($0.difference), $1.reference) < (abs($1.difference), $0.reference) }!
                let references = list.map(\.reference)
                let amount = references.reduce(0) { $0 + compensationOf($1) }
                let evidence = Evidence.timeDifference(deviceTime: worst.deviceTime, receivedAt: worst.receivedAt, seconds: worst.difference)
                let text =
                    kind == .uploadDelayed
                    ? LocalizedText(
                        uk: "Пристрій \(device): \(list.count) записів отримано пізніше ніж через \(options.uploadDelaySeconds) с (найбільше: \(worst.difference) с).",
                        en: "Device \(device): \(list.count) entries received more than \(options.uploadDelaySeconds) s after their device time (at most \(worst.difference) s).")
                    : LocalizedText(
                        uk: "Пристрій \(device): час \(list.count) записів пізніший за час отримання (до \(-worst.difference) с): годинник поспішає.",
                        en: "Device \(device): \(list.count) entries are stamped after they were received (by up to \(-worst.difference) s): the clock runs ahead.")
                exceptions.append(
                    IntegrityException(kind: kind, device: device, entries: references, evidence: [evidence], amountAtStakeKopecks: amount, text: text))
            }
        }
        group(.uploadDelayed, digest.delayed)
        group(.clockAhead, digest.ahead)

        if let previousClose = input.previousClose {
            for (device, list) in Dictionary(grouping: late, by: \.entry.device).sorted(by: { $0.key < $1.key }) {
                let latest = list.map(\.receivedAt).max()!
                exceptions.append(
                    IntegrityException(
                        kind: .receivedAfterClose, device: device, entries: list.map(\.entry),
                        evidence: [.receivedAfterClose(receivedAt: latest, closedAt: previousClose)],
                        amountAtStakeKopecks: list.reduce(0) { $0 + $1.compensationKopecks },
                        text: LocalizedText(
                            uk: "Пристрій \(device): \(list.count) записів попереднього періоду отримано після його закриття (\(previousClose)).",
                            en: "Device \(device): \(list.count) entries of an earlier period received after it was closed (\(previousClose)).")))
            }
        }
        return exceptions
    }
}
