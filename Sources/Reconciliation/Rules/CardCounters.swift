import Entitlements
import Identifiers
import LedgerCore

/// A committed tap of a card with the tap counter the card held after it (format 2 card counters).
struct CounterTap: Hashable, Sendable, BitwiseCopyable {
    var reference: EntryReference
    var card: CardSerial
    var time: UnixTime
    var receivedAt: UnixTime?
    var counter: UInt32

    var device: DeviceID { reference.device }
}

/// Two taps of one card, in time order, where the later one's counter is not ahead of the earlier
/// one's: one physical card only counts up, so two cards answer to this serial.
struct CounterRegression: Hashable, Sendable {
    var earlier: CounterTap
    var later: CounterTap
}

/// The charge entries (3, 4, 5) that carry the card's counter, one per tap, by card in (device
/// time, device, sequence) order. A tap's charges (a ride and a purse debit) carry the same
/// counter on the same device: they are one tap.
func counterTapsByCard(_ entries: [HeldEntry]) -> [CardSerial: [CounterTap]] {
    var collected: [CounterTap] = []
    collectCounterTaps(entries[...], into: &collected)
    var taps: [CardSerial: [CounterTap]] = [:]
    for tap in collected { taps[tap.card, default: []].append(tap) }
    return orderedCounterTaps(taps)
}

/// Appends the counter-carrying charges among `entries`, unordered: the streaming
/// reconciliation collects them device by device and orders each card's once at the end.
func collectCounterTaps(_ entries: ArraySlice<HeldEntry>, into taps: inout [CounterTap]) {
    // Fields read where each entry lies, without copying the entry (`readDeviceFacts`).
    for index in entries.indices {
        guard entries[index].entry.record.kind.isCharge, let card = entries[index].entry.record.cardSerial,
            let counter = entries[index].entry.record.cardCounters?.tripSequence
        else { continue }
        taps.append(
            CounterTap(
                reference: EntryReference(device: entries[index].entry.deviceID, sequence: entries[index].entry.sequence), card: card,
                time: entries[index].entry.record.deviceTime, receivedAt: entries[index].receivedAt, counter: counter))
    }
}

/// Each card's taps in (device time, entry) order, a tap's second charge on the same device
/// folded into the first.
func orderedCounterTaps(_ collected: [CardSerial: [CounterTap]]) -> [CardSerial: [CounterTap]] {
    var taps = collected
    orderCounterTaps(&taps)
    return taps
}

/// `orderedCounterTaps` in place: each card's list is sorted and folded where it lies, so a
/// month's taps are never held twice.
func orderCounterTaps(_ taps: inout [CardSerial: [CounterTap]]) {
    // By index, not over `values.indices`, which would hold the table and make each write a copy.
    var index = taps.values.startIndex
    while index != taps.values.endIndex {
        taps.values[index].sort { ($0.time, $0.reference) < ($1.time, $1.reference) }
        taps.values[index].foldRepeatedCharges()
        taps.values.formIndex(after: &index)
    }
}

extension [CounterTap] {
    /// Drops each tap that repeats the last kept one's device and counter (a tap's second
    /// charge), keeping the order.
    mutating func foldRepeatedCharges() {
        var kept = 0
        for index in indices {
            let tap = self[index]
            if kept > 0, self[kept - 1].device == tap.device, self[kept - 1].counter == tap.counter { continue }
            self[kept] = tap
            kept += 1
        }
        removeLast(count - kept)
    }
}

/// The counter regressions in one card's taps: consecutive taps whose counters, read modulo
/// 65536 as the card keeps them, do not move forward by 1 to 32767, unless the card was issued
/// (again) at a desk between the two (`issues`: the desk's `card-issued` times for the card).
func counterRegressions(ofCardTaps taps: [CounterTap], issues: [UnixTime]) -> [CounterRegression] {
    zip(taps, taps.dropFirst()).compactMap { earlier, later in
        let forward = UInt16(truncatingIfNeeded: later.counter) &- UInt16(truncatingIfNeeded: earlier.counter)
        guard forward == 0 || forward >= 0x8000 else { return nil }
        guard !issues.contains(where: { $0 > earlier.time && $0 <= later.time }) else { return nil }
        return CounterRegression(earlier: earlier, later: later)
    }
}

extension Reconciler {
    /// `clone-counter-backwards`: a card's tap counter went backwards or repeated between two taps
    /// with no desk issue between them (docs/reconciliation.md, "Clone suspects").
    ///
    /// The counter regressions of every card's taps in order (`orderCounterTaps`) that this
    /// report shows, by card: found before the rides are judged, so the taps can be dropped.
    func counterFindings(_ tapsByCard: [CardSerial: [CounterTap]], desk: DeskActions) -> [(card: CardSerial, regression: CounterRegression)] {
        var findings: [(card: CardSerial, regression: CounterRegression)] = []
        for card in tapsByCard.keys.sorted() {
            for regression in counterRegressions(ofCardTaps: tapsByCard[card]!, issues: desk.issues[card] ?? [])
            where isReportable(regression.later.time, receivedAt: regression.later.receivedAt) {
                findings.append((card, regression))
            }
        }
        return findings
    }

    /// Clone suspects from counters going backwards (`counterFindings`), each with the
    /// compensation of the later tap at stake.
    func counterExceptions(_ findings: [(card: CardSerial, regression: CounterRegression)], compensationOf: (EntryReference) -> Int64) -> [IntegrityException] {
        findings.map { card, regression in
            let earlier = regression.earlier, later = regression.later
            return IntegrityException(
                kind: .cloneCounterBackwards, device: later.device, card: card, entries: [earlier.reference, later.reference],
                evidence: [.tripCounter(previous: earlier.reference, previousCounter: earlier.counter, counter: later.counter)],
                amountAtStakeKopecks: compensationOf(later.reference),
                text: LocalizedText(
                    uk: "Картка \(card.printed): лічильник поїздок \(later.counter) після \(earlier.counter) без видачі картки в касі між ними: можливий клон.",
                    en: "Card \(card.printed): tap counter \(later.counter) after \(earlier.counter) with no desk issue between: a clone suspect."))
        }
    }
}
