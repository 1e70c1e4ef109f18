import Entitlements
import Identifiers
import LedgerCore

/// An accepted ride as the ledgers show it: a charge entry (`benefit-use`, `ride-accepted`), or
/// a pending entry that the card's later taps show committed.
///
/// A month holds millions of these (docs/reconciliation.md, "Input shape and scale"), so the
/// fields are stored packed: the reference's device and sequence apart (an `EntryReference`
/// pads its device to eight bytes), the optionals as raw values with their presence in one
/// flags byte (each optional of eight bytes took sixteen in the array). 80 bytes a ride rather
/// than 96; the properties read as before.
struct Ride: Hashable, Sendable, BitwiseCopyable {
    private let sequence: UInt64
    private let cardRaw: UInt64
    private let timeRaw: Int64
    private let receivedAtRaw: Int64
    /// The fare paid, in kopecks.
    let fare: Int64
    /// The full fare the validator recorded (the fare when it recorded none).
    let recordedFullFare: Int64
    private let pendingSequenceRaw: UInt64
    private let deviceRaw: UInt32
    private let vehicleRaw: UInt32
    private let entitlementRaw: UInt32
    private let categoryRaw: UInt16
    private let routeRaw: UInt16
    private let flags: UInt8

    private static let benefit: UInt8 = 1
    private static let fromLaterTaps: UInt8 = 2
    private static let hasReceivedAt: UInt8 = 4
    private static let hasEntitlement: UInt8 = 8
    private static let hasCategory: UInt8 = 16
    private static let hasPendingSequence: UInt8 = 32

    init(
        reference: EntryReference, card: CardSerial, time: UnixTime, receivedAt: UnixTime?, isBenefit: Bool, entitlement: EntitlementID?,
        category: CategoryCode?, fare: Int64, recordedFullFare: Int64, route: RouteNumber, vehicle: VehicleID, pendingSequence: UInt64?,
        resolvedFromLaterTaps: Bool
    ) {
        sequence = reference.sequence
        deviceRaw = reference.device.rawValue
        cardRaw = card.rawValue
        timeRaw = time.rawValue
        receivedAtRaw = receivedAt?.rawValue ?? 0
        self.fare = fare
        self.recordedFullFare = recordedFullFare
        pendingSequenceRaw = pendingSequence ?? 0
        vehicleRaw = vehicle.rawValue
        entitlementRaw = entitlement?.rawValue ?? 0
        categoryRaw = category?.rawValue ?? 0
        routeRaw = route.rawValue
        var flags: UInt8 = 0
        if isBenefit { flags |= Self.benefit }
        if resolvedFromLaterTaps { flags |= Self.fromLaterTaps }
        if receivedAt != nil { flags |= Self.hasReceivedAt }
        if entitlement != nil { flags |= Self.hasEntitlement }
        if category != nil { flags |= Self.hasCategory }
        if pendingSequence != nil { flags |= Self.hasPendingSequence }
        self.flags = flags
    }

    /// The charge entry, or the pending entry when later evidence settled it.
    var reference: EntryReference { EntryReference(device: device, sequence: sequence) }
    var device: DeviceID { DeviceID(rawValue: deviceRaw) }
    var card: CardSerial { CardSerial(rawValue: cardRaw) }
    var time: UnixTime { UnixTime(rawValue: timeRaw) }
    var receivedAt: UnixTime? { flags & Self.hasReceivedAt != 0 ? UnixTime(rawValue: receivedAtRaw) : nil }
    /// A `benefit-use`: the community compensates it.
    var isBenefit: Bool { flags & Self.benefit != 0 }
    var entitlement: EntitlementID? { flags & Self.hasEntitlement != 0 ? EntitlementID(rawValue: entitlementRaw) : nil }
    var category: CategoryCode? { flags & Self.hasCategory != 0 ? CategoryCode(rawValue: categoryRaw) : nil }
    var route: RouteNumber { RouteNumber(rawValue: routeRaw) }
    var vehicle: VehicleID { VehicleID(rawValue: vehicleRaw) }
    /// The pending entry the charge came from (bit 9), if any.
    var pendingSequence: UInt64? { flags & Self.hasPendingSequence != 0 ? pendingSequenceRaw : nil }
    /// Whether it was settled from later evidence rather than charged by its own validator.
    var resolvedFromLaterTaps: Bool { flags & Self.fromLaterTaps != 0 }
}

extension LedgerEntryKind {
    /// A charge entry: a benefit ride, a paid ride or a purse debit.
    var isCharge: Bool {
        switch self {
        case .benefitUse, .rideAccepted, .purseDebit: true
        default: false
        }
    }
}

/// Money taken from a purse, with the balance left.
struct PurseMovement: Hashable, Sendable, BitwiseCopyable {
    var reference: EntryReference
    var card: CardSerial
    var time: UnixTime
    var amount: Int64
    var balanceAfter: Int64
}

/// A pending entry with neither confirmation nor abandonment held on its device, and what the
/// card's later taps say about it.
struct OpenPending: Hashable, Sendable {
    var entry: HeldEntry
    var detail: PendingDetail?
    var outcome: PendingOutcome
    var evidence: CardTap?

    var reference: EntryReference { entry.reference }
    var record: LedgerRecord { entry.entry.record }
    /// Whether the pending tap would be compensated if committed.
    var isBenefit: Bool { detail?.charges.contains(.benefitUse) ?? (record.category != nil && record.entitlementID != nil) }
}

/// Everything the rules read from the ledgers, once, in a fixed order.
struct LedgerFacts: Sendable {
    var rides: [Ride]
    var purseMovements: [PurseMovement]
    var openPendings: [OpenPending]
    /// The gaps in cards' trip numbers (`tripNumberGaps`), found from every card's taps that
    /// name their trip counter before those were dropped.
    var tripGaps: [TripNumberGap]
}

/// Keeps one copy of each held entry (batches may overlap), sorted by device and sequence.
///
/// The same entry given twice keeps its earliest received time. Two different entries at one
/// place cannot both be held by the service; if an input has them, the one with the lower hash
/// is kept, so the choice does not depend on input order. Entries received after `receivedBy`
/// are left out (a closed period). Sorting (skipped when the input is already in order, as a
/// loader reading by device and sequence gives it) and merging neighbours in place keeps a
/// month of millions of entries in one array, out of any hash table.
func distinctEntries(_ devices: [DeviceLedger], receivedBy close: UnixTime? = nil) -> [HeldEntry] {
    // One device's entries read in order, each once and none after the close (what a loader
    // reading by device and sequence gives): they are the answer, without a copy. Checked by
    // index, field by field: iterating the entries (a `zip`, `allSatisfy`) copied each whole
    // entry, counting a reference on each of its buffers, twice per entry.
    if devices.count == 1, isDistinctInOrder(devices[0].entries, receivedBy: close) {
        return devices[0].entries
    }
    var all: [HeldEntry] = []
    all.reserveCapacity(devices.reduce(0) { $0 + $1.entries.count })
    for device in devices {
        if let close {
            all.append(contentsOf: device.entries.lazy.filter { held in held.receivedAt.map { $0 <= close } ?? true })
        } else {
            all.append(contentsOf: device.entries)
        }
    }
    if !isDistinctInOrder(all, receivedBy: nil) { all.sort { $0.reference < $1.reference } }
    // Kept entries are moved to the front by swapping through the buffer (which moves them;
    // the array's own `swapAt` copies); what is left behind the kept ones is removed at the end.
    let kept = all.withUnsafeMutableBufferPointer { all in
        var kept = 0
        for index in all.indices {
            guard kept > 0, all[kept - 1].entry.deviceID == all[index].entry.deviceID, all[kept - 1].entry.sequence == all[index].entry.sequence
            else {
                all.swapAt(kept, index)
                kept += 1
                continue
            }
            if all[kept - 1].entry.hash == all[index].entry.hash {
                if let time = all[index].receivedAt, all[kept - 1].receivedAt.map({ time < $0 }) ?? true {
                    all.swapAt(kept - 1, index)
                }
            } else if all[index].entry.hash.precedes(all[kept - 1].entry.hash) {
                all.swapAt(kept - 1, index)
            }
        }
        return kept
    }
    all.removeLast(all.count - kept)
    return all
}

/// Whether `entries` are in strictly ascending order of device and sequence (so each once) and,
/// given a close, none was received after it.
private func isDistinctInOrder(_ entries: [HeldEntry], receivedBy close: UnixTime?) -> Bool {
    for index in entries.indices {
        if let close, let received = entries[index].receivedAt, received > close { return false }
        guard index > entries.startIndex else { continue }
        let (device, sequence) = (entries[index].entry.deviceID, entries[index].entry.sequence)
        let (previousDevice, previousSequence) = (entries[index - 1].entry.deviceID, entries[index - 1].entry.sequence)
        guard (previousDevice, previousSequence) < (device, sequence) else { return false }
    }
    return true
}

/// What the entries of one device say before other devices are read: its rides and purse
/// debits, its pending transactions not settled on the device itself, and the card taps it saw.
///
/// A charge, confirmation or abandonment names a pending entry of its own device, so whether a
/// pending transaction is open is decided device by device; what the card's later taps say
/// about it needs every device and waits for `settle(_:)`.
struct DeviceFacts: Sendable {
    var rides: [Ride] = []
    var purseMovements: [PurseMovement] = []
    var pendings: [(entry: HeldEntry, detail: PendingDetail?)] = []
    /// Taps that name their trip counter, in entry order.
    var taps: [(card: CardSerial, tap: CardTap)] = []
}

/// Reads the facts of one device's distinct entries (or of several devices', in entry order).
func readDeviceFacts<Entries: Collection<HeldEntry>>(_ entries: Entries) -> DeviceFacts {
    var facts = DeviceFacts()
    var resolved = Set<EntryReference>()
    // Pending entries by position: most are settled on their own device, and only the open ones
    // are copied out at the end (a copy counts a reference on each of the entry's buffers).
    var pendings: [(index: Entries.Index, detail: PendingDetail?)] = []
    // Fields are read where each entry lies (`entries[index].entry.record.…`): copying a whole
    // entry (its bytes, hashes and texts, each counted) cost more than the rest of the loop.
    for index in entries.indices {
        let kind = entries[index].entry.record.kind
        let reference = EntryReference(device: entries[index].entry.deviceID, sequence: entries[index].entry.sequence)
        let relatedSequence = entries[index].entry.record.relatedSequence
        if kind.isCharge, let related = relatedSequence {
            // A charge entry proves its pending transaction committed, even when the
            // confirmation after it is beyond the held head.
            resolved.insert(EntryReference(device: reference.device, sequence: related))
        }
        switch kind {
        case .benefitUse, .rideAccepted:
            guard let card = entries[index].entry.record.cardSerial, let route = entries[index].entry.record.route,
                let vehicle = entries[index].entry.record.vehicle
            else { continue }
            let fare = entries[index].entry.record.fareKopecks ?? 0
            facts.rides.append(
                Ride(
                    reference: reference, card: card, time: entries[index].entry.record.deviceTime, receivedAt: entries[index].receivedAt,
                    isBenefit: kind == .benefitUse, entitlement: entries[index].entry.record.entitlementID, category: entries[index].entry.record.category,
                    fare: fare, recordedFullFare: entries[index].entry.record.fullFareKopecks ?? fare, route: route, vehicle: vehicle,
                    pendingSequence: relatedSequence, resolvedFromLaterTaps: false))
        case .purseDebit:
            guard let card = entries[index].entry.record.cardSerial else { continue }
            facts.purseMovements.append(
                PurseMovement(
                    reference: reference, card: card, time: entries[index].entry.record.deviceTime, amount: entries[index].entry.record.fareKopecks ?? 0,
                    balanceAfter: entries[index].entry.record.purseBalanceAfterKopecks ?? 0))
        case .cardTransactionPending:
            let detail = PendingDetail(entries[index].entry.record.detail)
            pendings.append((index, detail))
            if let card = entries[index].entry.record.cardSerial, let trip = detail?.trip {
                facts.taps.append((card, CardTap(reference: reference, stamp: trip)))
            }
        case .cardTransactionConfirmed, .cardTransactionAbandoned:
            if let related = relatedSequence {
                resolved.insert(EntryReference(device: reference.device, sequence: related))
            }
        default:
            continue
        }
    }
    for (index, detail) in pendings where !resolved.contains(EntryReference(device: entries[index].entry.deviceID, sequence: entries[index].entry.sequence)) {
        facts.pendings.append((entries[index], detail))
    }
    return facts
}

/// Gathers the facts of devices read one after another (in device order) and settles the open
/// pending transactions from every card's taps once all are read. One builder holds one
/// partition of the month's cards (`CardPartitions`); its lists stay in the order read.
struct LedgerFactsBuilder: Sendable {
    var rides: [Ride] = []
    var purse: [PurseMovement] = []
    var pendings: [(entry: HeldEntry, detail: PendingDetail?)] = []
    /// Taps that name their trip counter, with their cards.
    var taps: [CardTapFact] = []
    /// Charges that carry the card's tap counter (`collectCounterTaps`).
    var counterTaps: [CounterTap] = []

    mutating func add(_ facts: DeviceFacts) {
        rides += facts.rides
        purse += facts.purseMovements
        pendings += facts.pendings
        taps += facts.taps.map { CardTapFact(card: $0.card, tap: $0.tap) }
    }

    /// Each card's counter-carrying taps in order (`orderCounterTaps`), taken out of the builder.
    mutating func takeCounterTapsByCard() -> [CardSerial: [CounterTap]] {
        var byCard: [CardSerial: [CounterTap]] = [:]
        for tap in counterTaps { byCard[tap.card, default: []].append(tap) }
        counterTaps = []
        orderCounterTaps(&byCard)
        return byCard
    }

    /// Settles each open pending transaction from the card's later taps (`resolvePending`); a
    /// committed one becomes the ride or purse debit it would have charged.
    consuming func settle() -> LedgerFacts {
        var tapsByCard: [CardSerial: [CardTap]] = [:]
        for fact in taps { tapsByCard[fact.card, default: []].append(fact.tap) }
        taps = []
        // Sorted where they lie: iterating the keys (or the values' indices, which hold the
        // table) while writing would copy every card's list.
        var index = tapsByCard.values.startIndex
        while index != tapsByCard.values.endIndex {
            tapsByCard.values[index].sort { tapOrder($1, after: $0) }
            tapsByCard.values.formIndex(after: &index)
        }
        var open: [OpenPending] = []
        for (held, detail) in pendings {
            let record = held.entry.record
            var outcome = PendingOutcome.unknown
            var evidence: CardTap?
            if detail?.purpose == "ride", let card = record.cardSerial, let trip = detail?.trip {
                (outcome, evidence) = resolvePending(CardTap(reference: held.reference, stamp: trip), laterTapsOfCard: tapsByCard[card] ?? [])
            }
            open.append(OpenPending(entry: held, detail: detail, outcome: outcome, evidence: evidence))
            guard outcome == .committed, let detail, let card = record.cardSerial, let route = record.route, let vehicle = record.vehicle else {
                continue
            }
            let fare = record.fareKopecks ?? 0
            for charge in detail.charges {
                switch charge {
                case .benefitUse, .rideAccepted:
                    rides.append(
                        Ride(
                            reference: held.reference, card: card, time: record.deviceTime, receivedAt: held.receivedAt,
                            isBenefit: charge == .benefitUse, entitlement: record.entitlementID, category: record.category, fare: fare,
                            recordedFullFare: record.fullFareKopecks ?? fare, route: route, vehicle: vehicle,
                            pendingSequence: held.entry.sequence, resolvedFromLaterTaps: true))
                case .purseDebit:
                    purse.append(
                        PurseMovement(
                            reference: held.reference, card: card, time: record.deviceTime, amount: fare,
                            balanceAfter: record.purseBalanceAfterKopecks ?? 0))
                default:
                    continue
                }
            }
        }
        // The taps are needed only for the trip number gaps: found now, the taps are dropped
        // before the rides are sorted, so the two are never held at once with a sort's buffer.
        let tripGaps = tripNumberGaps(tapsByCard)
        tapsByCard = [:]
        rides.sort { ($0.time, $0.reference, $0.isBenefit ? 1 : 0) < ($1.time, $1.reference, $1.isBenefit ? 1 : 0) }
        purse.sort { ($0.time, $0.reference) < ($1.time, $1.reference) }
        open.sort { $0.reference < $1.reference }
        return LedgerFacts(rides: rides, purseMovements: purse, openPendings: open, tripGaps: tripGaps)
    }
}

/// Reads rides, purse movements and open pending transactions from the entries, settling each
/// open pending transaction from the card's later taps (`resolvePending`).
func readLedgerFacts(_ entries: [HeldEntry]) -> LedgerFacts {
    var builder = LedgerFactsBuilder()
    builder.add(readDeviceFacts(entries))
    return builder.settle()
}
