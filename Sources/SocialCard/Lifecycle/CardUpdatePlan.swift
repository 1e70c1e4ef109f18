import CardLayout
import Entitlements
import Identifiers

/// Everything one desk action writes to a card already issued, computed from what the card
/// holds before anything is written. Pure; tests check it without a card.
///
/// A plan has up to three parts, written in this order (``CardUpdate``):
///
/// 1. entitlement slots (a standard file, written directly): only slots whose bytes differ;
/// 2. one card transaction — a purse credit, the status record (layouts with a status file) and
///    one trip record that says what happened (`topUp`, `blocked`) — then CommitTransaction. The
///    trip record is the proof the transaction committed: a re-run that finds it does nothing
///    again, so money moves exactly once;
/// 3. the card info (new expiry, slots used), last, so a reader never sees a slot count that
///    points at a slot not yet written.
///
/// Plans are made by the factories below (``topUp(_:layout:amountKopecks:receipt:at:deskDevice:)``,
/// ``entitlements(_:layout:entitlements:expiryDate:)``, ``block(_:layout:on:reason:at:deskDevice:)``);
/// each recognises on a re-run what an earlier run already did, so the plan of a finished action
/// is empty.
public struct CardUpdatePlan: Hashable, Sendable {
    /// The transaction part of a plan.
    public struct Transaction: Hashable, Sendable {
        /// Kopecks credited to the purse (0: none).
        public var creditKopecks: Int32
        /// The status record's bytes (layouts with a status file; `nil`: unchanged).
        public var statusBytes: [UInt8]?
        /// The trip record that proves the transaction committed.
        public var record: TripLogRecord
        /// The record's bytes.
        public var recordBytes: [UInt8]
    }

    /// The card's layout.
    public let layout: SocialCardLayout
    /// The card the plan was made for (a run refuses any other).
    public let serial: CardSerial
    /// Entitlement slots to write: slot number and its bytes, in slot order.
    public let slotWrites: [SlotWrite]
    /// The transaction, if any.
    public let transaction: Transaction?
    /// The new card info's bytes, if it changes.
    public let cardInfoBytes: [UInt8]?
    /// The card info the card has once the plan is run.
    public let cardInfo: CardInfo
    /// The purse balance once the plan is run.
    public let purseAfterKopecks: Int

    /// One entitlement slot to write.
    public struct SlotWrite: Hashable, Sendable {
        /// The slot number, from 0.
        public var slot: Int
        /// The slot's bytes.
        public var bytes: [UInt8]
    }

    /// Whether there is nothing left to write (an action already done).
    public var isEmpty: Bool { slotWrites.isEmpty && transaction == nil && cardInfoBytes == nil }

    init(
        layout: SocialCardLayout, card: SocialCardContents, slotWrites: [SlotWrite] = [], transaction: Transaction? = nil,
        cardInfo: CardInfo? = nil
    ) throws(SocialCardError) {
        self.layout = layout
        serial = card.info.serial
        self.slotWrites = slotWrites
        self.transaction = transaction
        let info = cardInfo ?? card.info
        self.cardInfo = info
        cardInfoBytes = info == card.info ? nil : try layout.encode(info)
        purseAfterKopecks = card.purseKopecks + Int(transaction?.creditKopecks ?? 0)
    }

    // MARK: Top-up

    /// A purse top-up of `amountKopecks` under the desk's receipt number `receipt`: one
    /// transaction of the Credit and a `topUp` trip record by `deskDevice` carrying the receipt
    /// number (in its route and vehicle fields, 16 bits each) and, where the layout keeps it, the
    /// balance after the credit. The plan is empty when the card's trip log already holds that
    /// receipt's record (an earlier run committed). Refused: a blocked card, a non-positive amount,
    /// a balance over the purse's limit.
    public static func topUp(
        _ card: SocialCardContents, layout: SocialCardLayout, amountKopecks: Int32, receipt: UInt32, at time: UnixTime, deskDevice: UInt32
    ) throws(SocialCardError) -> CardUpdatePlan {
        if card.trips.contains(where: { isTopUp($0, receipt: receipt, deskDevice: deskDevice) }) {
            return try CardUpdatePlan(layout: layout, card: card)
        }
        guard amountKopecks > 0 else { throw SocialCardError(.invalidRequest, "a top-up must credit at least one kopeck") }
        guard !card.status.isBlocked else { throw SocialCardError(.invalidRequest, "the card is blocked; a blocked card is not topped up") }
        guard case .value(let purse) = layout.purse.kind else { throw SocialCardError(.layoutUnsupported, "purse is not a value file") }
        let after = card.purseKopecks + Int(amountKopecks)
        guard after <= Int(purse.upperLimit) else {
            throw SocialCardError(.invalidRequest, "the purse holds at most \(purse.upperLimit) kopecks; \(card.purseKopecks) + \(amountKopecks) is more")
        }
        var record = newRecord(after: card, layout: layout, kind: "topUp", at: time, deskDevice: deskDevice)
        record.route = Int(receipt >> 16)
        record.vehicle = Int(receipt & 0xFFFF)
        // The amount where the fare field holds it; a layout with the balance in its records
        // shows the amount as the difference anyway.
        record.fareKopecks = Int(amountKopecks) <= layout.maximumFare ? Int(amountKopecks) : 0
        record.state?.balanceKopecks = after
        let transaction = Transaction(creditKopecks: amountKopecks, statusBytes: nil, record: record, recordBytes: try layout.encode(record))
        return try CardUpdatePlan(layout: layout, card: card, transaction: transaction)
    }

    /// Whether `trip` is the `topUp` record of receipt `receipt` written by `deskDevice`.
    public static func isTopUp(_ trip: TripLogRecord, receipt: UInt32, deskDevice: UInt32) -> Bool {
        trip.kind == "topUp" && trip.deviceID == deskDevice && receiptNumber(of: trip) == receipt
    }

    /// The receipt number a `topUp` record carries.
    public static func receiptNumber(of trip: TripLogRecord) -> UInt32 {
        UInt32(truncatingIfNeeded: trip.route) << 16 | UInt32(truncatingIfNeeded: trip.vehicle) & 0xFFFF
    }

    // MARK: Entitlements and validity

    /// The card's entitlements made `entitlements` (slot order; a renewal, an added or an ended
    /// entitlement) and its expiry `expiryDate` (`nil`: unchanged): only slots whose bytes
    /// differ are written, then the card info if its expiry or slot count changes. Entitlements
    /// are kept in their slots (never moved), so a slot's usage counter stays with it.
    public static func entitlements(
        _ card: SocialCardContents, layout: SocialCardLayout, entitlements: [Entitlement], expiryDate: CivilDate?
    ) throws(SocialCardError) -> CardUpdatePlan {
        guard entitlements.count <= layout.entitlementSlotCount, entitlements.count >= card.slots.count else {
            throw SocialCardError(.invalidRequest, "the card has \(layout.entitlementSlotCount) slots, \(card.slots.count) used; \(entitlements.count) entitlements given (slots are never given back)")
        }
        guard Set(entitlements.map(\.id)).count == entitlements.count else {
            throw SocialCardError(.invalidRequest, "two entitlements share an id; usage counters could not tell them apart")
        }
        for (slot, entitlement) in entitlements.enumerated() {
            guard entitlement.cardSerial == card.info.serial else {
                throw SocialCardError(.invalidRequest, "entitlement \(entitlement.id) is bound to card \(entitlement.cardSerial), not \(card.info.serial)")
            }
            guard entitlement.layoutVersion.rawValue == UInt16(layout.layout.version) else {
                throw SocialCardError(.invalidRequest, "entitlement \(entitlement.id) is for layout \(entitlement.layoutVersion), the card is v\(layout.layout.version)")
            }
            if slot < card.slots.count, let old = card.slots[slot].entitlement, old.id != entitlement.id {
                throw SocialCardError(.invalidRequest, "slot \(slot) holds entitlement \(old.id); entitlement \(entitlement.id) does not replace it")
            }
        }
        if layout.keepsStateInTripRecords {
            let counted = entitlements.filter { if case .rides = $0.product { true } else { false } }
            guard counted.count <= layout.counterCount,
                  layout.countedSlot(entitlements.map { .entitlement($0) }) == layout.countedSlot(card.slots) || layout.countedSlot(card.slots) == nil else {
                throw SocialCardError(.invalidRequest, "\(layout.layout.id) counts rides of one entitlement, which keeps its slot")
            }
        }
        var writes: [SlotWrite] = []
        for (slot, entitlement) in entitlements.enumerated() {
            let bytes = try layout.encodeSlot(entitlement)
            if slot < card.slots.count, card.slots[slot].entitlement.map({ (try? layout.encodeSlot($0)) == bytes }) == true { continue }
            writes.append(SlotWrite(slot: slot, bytes: bytes))
        }
        var info = card.info
        info.entitlementSlotsUsed = entitlements.count
        if let expiryDate {
            guard expiryDate >= info.issueDate else {
                throw SocialCardError(.invalidRequest, "the card would expire (\(expiryDate)) before it was issued (\(info.issueDate))")
            }
            info.expiryDate = expiryDate
        }
        return try CardUpdatePlan(layout: layout, card: card, slotWrites: writes, cardInfo: info)
    }

    // MARK: Block

    /// Blocks the card as a validator's deny-list block does, on `day`: one transaction of the
    /// status record (flag, day, `reason` — a name of the layout's block reasons, such as
    /// `lostOrStolen` or `holderRequest`) where the layout has a status file, and a `blocked` trip
    /// record by `deskDevice` (carrying the card's state and the `cardBlocked` flag where the
    /// layout keeps the state in its records). Empty for a card already blocked.
    public static func block(
        _ card: SocialCardContents, layout: SocialCardLayout, on day: CivilDate, reason: String, at time: UnixTime, deskDevice: UInt32
    ) throws(SocialCardError) -> CardUpdatePlan {
        if card.status.isBlocked { return try CardUpdatePlan(layout: layout, card: card) }
        var record = newRecord(after: card, layout: layout, kind: "blocked", at: time, deskDevice: deskDevice)
        if layout.keepsStateInTripRecords { record.flags.insert("cardBlocked") }
        let status = layout.status == nil ? nil : try layout.encode(CardStatus(isBlocked: true, blockedOn: day, blockReason: reason))
        let transaction = Transaction(creditKopecks: 0, statusBytes: status, record: record, recordBytes: try layout.encode(record))
        return try CardUpdatePlan(layout: layout, card: card, transaction: transaction)
    }

    /// A desk record following the card's newest one: the next card sequence and, where the
    /// layout keeps it, the card's state now (balance, counter, blocked flag).
    static func newRecord(after card: SocialCardContents, layout: SocialCardLayout, kind: String, at time: UnixTime, deskDevice: UInt32) -> TripLogRecord {
        let newest = card.trips.last
        var record = TripLogRecord(
            time: time, deviceID: deskDevice, sequence: Int(UInt16(truncatingIfNeeded: newest?.sequence ?? 0) &+ 1), route: 0, vehicle: 0,
            fareKopecks: 0, category: 0, entitlementSlot: nil, kind: kind, flags: [], zone: 0)
        if layout.keepsStateInTripRecords {
            record.state = newest?.state ?? TripRecordState(balanceKopecks: card.purseKopecks, counterPeriodStart: CivilDate(cardEpochDays: 0), counterRides: 0)
            record.state?.balanceKopecks = card.purseKopecks
            if newest?.flags.contains("cardBlocked") == true { record.flags.insert("cardBlocked") }
        }
        return record
    }
}

extension SocialCardLayout {
    /// The largest amount the trip record's fare field holds.
    var maximumFare: Int {
        let width = format(tripLog).fields.first { $0.name == "fare" }?.width ?? 2
        return width >= 8 ? Int.max : (1 << (width * 8)) - 1
    }
}
