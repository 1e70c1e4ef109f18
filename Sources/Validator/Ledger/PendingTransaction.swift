import Entitlements
import Identifiers
import LedgerCore
import Tariff

/// A card transaction recorded as pending in the ledger before its CommitTransaction was sent.
///
/// The pending entry carries everything needed to write the charge entries later, with no other
/// state: whoever resolves it (the same tap, the card's next tap, or a restarted daemon) turns it
/// into the same ledger entries. Its `detail` is `ride trip=D/S/T charges=a,b` or
/// `block trip=-`, parsed back by `init?(entry:)`.
public struct PendingTransaction: Hashable, Sendable {
    /// What the transaction does on the card.
    public enum Purpose: String, Hashable, Sendable {
        /// An accepted ride: counters, purse, trip record.
        case ride
        /// Setting the blocked flag of a deny-listed card.
        case block
    }

    /// The ledger sequence of the pending entry (0 until appended).
    public var sequence: UInt64
    /// What it does.
    public var purpose: Purpose
    /// The card.
    public var card: CardSerial
    /// The card's layout version.
    public var layout: LayoutVersion
    /// When the tap happened (the charges carry this time).
    public var time: UnixTime
    /// The trip record that proves the commit, for a ride.
    public var trip: TripIdentity?
    /// The ledger kinds the ride is charged as, in order (`benefit-use`/`ride-accepted`, then `purse-debit`).
    public var charges: [LedgerEntryKind]
    /// The entitlement used.
    public var entitlement: EntitlementID?
    /// Its category.
    public var category: CategoryCode?
    /// The fare paid.
    public var fareKopecks: Int64
    /// The full fare.
    public var fullFareKopecks: Int64
    /// The purse after the debit.
    public var purseBalanceAfterKopecks: Int64
    /// The route.
    public var route: RouteNumber
    /// The vehicle.
    public var vehicle: VehicleID

    /// Creates a pending transaction (sequence 0 until appended).
    public init(
        purpose: Purpose, card: CardSerial, layout: LayoutVersion, time: UnixTime, trip: TripIdentity?,
        charges: [LedgerEntryKind], entitlement: EntitlementID?, category: CategoryCode?, fareKopecks: Int64,
        fullFareKopecks: Int64, purseBalanceAfterKopecks: Int64, route: RouteNumber, vehicle: VehicleID, sequence: UInt64 = 0
    ) {
        self.sequence = sequence
        self.purpose = purpose
        self.card = card
        self.layout = layout
        self.time = time
        self.trip = trip
        self.charges = charges
        self.entitlement = entitlement
        self.category = category
        self.fareKopecks = fareKopecks
        self.fullFareKopecks = fullFareKopecks
        self.purseBalanceAfterKopecks = purseBalanceAfterKopecks
        self.route = route
        self.vehicle = vehicle
    }

    /// The pending transaction of an accepted ride.
    ///
    /// A benefit ride (free, counted or discounted under an entitlement) is a `benefit-use`, which
    /// the community compensates; a full-fare, stored-value or pass ride is a `ride-accepted`.
    /// Money taken from the purse is a `purse-debit` besides.
    public init(ride acceptance: Acceptance, trip: TripIdentity, card: CardSerial, layout: LayoutVersion, context: TapContext, time: UnixTime) {
        var charges: [LedgerEntryKind] = []
        charges.append(Self.isBenefit(acceptance) ? .benefitUse : .rideAccepted)
        if acceptance.purseDebitKopecks > 0 { charges.append(.purseDebit) }
        self.init(
            purpose: .ride, card: card, layout: layout, time: time, trip: trip, charges: charges,
            entitlement: acceptance.entitlement?.id, category: acceptance.entitlement?.category,
            fareKopecks: Int64(acceptance.fareKopecks), fullFareKopecks: Int64(acceptance.fullFareKopecks),
            purseBalanceAfterKopecks: Int64(acceptance.purseBalanceAfterKopecks), route: context.route,
            vehicle: context.vehicleID)
    }

    /// The pending transaction that sets a deny-listed card's blocked flag.
    public init(block card: CardSerial, layout: LayoutVersion, context: TapContext, time: UnixTime) {
        self.init(
            purpose: .block, card: card, layout: layout, time: time, trip: nil, charges: [], entitlement: nil,
            category: nil, fareKopecks: 0, fullFareKopecks: 0, purseBalanceAfterKopecks: 0, route: context.route,
            vehicle: context.vehicleID)
    }

    static func isBenefit(_ acceptance: Acceptance) -> Bool {
        guard let terms = acceptance.entitlement else { return false }
        switch terms.product {
        case .free, .rides, .discount: return true
        case .pass, .storedValue: return false
        }
    }

    /// The ledger record of the pending entry.
    public var record: LedgerRecord {
        var record = LedgerRecord.cardTransactionPending(
            at: time, card: card, layout: layout, entitlement: entitlement, category: category, fareKopecks: fareKopecks,
            route: route, vehicle: vehicle)
        record.fullFareKopecks = fullFareKopecks
        record.purseBalanceAfterKopecks = purseBalanceAfterKopecks
        record.detail = "\(purpose.rawValue) trip=\(trip?.description ?? "-") charges=\(charges.map(\.name).joined(separator: ","))"
        return record
    }

    /// Reads a pending transaction back from its ledger entry; `nil` if the entry is not one
    /// this code wrote.
    public init?(entry: LedgerEntry) {
        let record = entry.record
        guard record.kind == .cardTransactionPending, let card = record.cardSerial, let layout = record.layoutVersion,
            let route = record.route, let vehicle = record.vehicle
        else { return nil }
        var purpose: Purpose?
        var trip: TripIdentity?
        var charges: [LedgerEntryKind] = []
        for part in record.detail.split(separator: " ") {
            if let value = Purpose(rawValue: String(part)) {
                purpose = value
            } else if part.hasPrefix("trip=") {
                trip = TripIdentity(part.dropFirst(5))
            } else if part.hasPrefix("charges=") {
                for name in part.dropFirst(8).split(separator: ",") {
                    guard let kind = LedgerEntryKind.allCases.first(where: { $0.name == name }) else { return nil }
                    charges.append(kind)
                }
            }
        }
        guard let purpose, purpose == .block || trip != nil else { return nil }
        self.init(
            purpose: purpose, card: card, layout: layout, time: record.deviceTime, trip: trip, charges: charges,
            entitlement: record.entitlementID, category: record.category, fareKopecks: record.fareKopecks ?? 0,
            fullFareKopecks: record.fullFareKopecks ?? 0, purseBalanceAfterKopecks: record.purseBalanceAfterKopecks ?? 0,
            route: route, vehicle: vehicle, sequence: entry.sequence)
    }

    /// The charge entries of a committed transaction, each pointing back at the pending entry.
    ///
    /// A ride's charges carry the card's tap counter after the tap (the trip record's card
    /// sequence, format 2 bit 6, docs/ledger-format.md): the number only grows on one card, so a
    /// later tap with a lower one shows a copy of the card (reconciliation's counter rule). It is
    /// read from the pending entry's trip, so a charge written later from the pending entry alone
    /// carries the same counter.
    public var chargeRecords: [LedgerRecord] {
        charges.compactMap { kind -> LedgerRecord? in
            var record: LedgerRecord
            switch kind {
            case .benefitUse:
                guard let entitlement, let category else { return nil }
                record = .benefitUse(
                    at: time, card: card, layout: layout, entitlement: entitlement, category: category, fareKopecks: fareKopecks,
                    fullFareKopecks: fullFareKopecks, route: route, vehicle: vehicle)
            case .rideAccepted:
                record = .rideAccepted(
                    at: time, card: card, layout: layout, entitlement: entitlement, category: category, fareKopecks: fareKopecks,
                    route: route, vehicle: vehicle)
                record.fullFareKopecks = fullFareKopecks
            case .purseDebit:
                record = .purseDebit(
                    at: time, card: card, layout: layout, amountKopecks: fareKopecks, balanceAfterKopecks: purseBalanceAfterKopecks,
                    route: route, vehicle: vehicle)
            default:
                return nil
            }
            record.relatedSequence = sequence
            record.cardCounters = trip.map { CardCounters(tripSequence: UInt32($0.cardSequence)) }
            return record
        }
    }
}

/// What a card's contents say about a pending transaction of this validator.
public enum PendingResolution: Hashable, Sendable {
    /// The card holds the transaction's result: it was committed.
    case committed
    /// The card shows it was not committed; the reason says how that is known.
    case notCommitted(String)
    /// The card cannot tell (its trip log has moved past the record); reconciliation decides.
    case unknown
}

extension PendingTransaction {
    /// Whether `reading` shows this transaction committed.
    ///
    /// A ride is committed exactly when the trip log holds its trip record (same device, card
    /// sequence and time). The card's tap counter says more: a record with the same counter from
    /// another tap, or a newest record before it, proves the commit never happened. Only when the
    /// log has scrolled past the counter is the card silent.
    public func resolution(on reading: TapReading) -> PendingResolution {
        switch purpose {
        case .block:
            return reading.state.isBlocked ? .committed : .notCommitted("card-not-blocked")
        case .ride:
            guard let trip else { return .unknown }
            if let found = reading.trips.first(where: { $0.cardSequence == trip.cardSequence }) {
                return found == trip ? .committed : .notCommitted("card-sequence-used-by-another-tap")
            }
            guard let newest = reading.trips.last else { return .notCommitted("trip-log-empty") }
            let ahead = trip.cardSequence &- newest.cardSequence
            if ahead >= 1 && ahead < 0x8000 { return .notCommitted("trip-not-on-card") }
            return .unknown
        }
    }

    /// How far back from the newest record the trip log must be read to settle this ride, when
    /// `reading` does not reach it: the record with its card sequence is that many records
    /// behind the newest (every tap numbers its record one after the newest). `nil` when the
    /// reading settles it already, or when the log would not tell (a block, an empty log).
    public func recordsBehindNewest(on reading: TapReading) -> Int? {
        guard purpose == .ride, let trip, let newest = reading.trips.last, resolution(on: reading) == .unknown else { return nil }
        let behind = Int(newest.cardSequence &- trip.cardSequence)
        guard behind >= reading.trips.count, behind < 0x8000 else { return nil }
        return behind
    }
}
