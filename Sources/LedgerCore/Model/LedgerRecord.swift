import Entitlements
import Identifiers

/// What happened, as the validator reports it: the part of an entry that is not chain bookkeeping.
///
/// Fields that do not apply to a kind are `nil`. Records carry card serials and benefit category
/// codes, never names or document numbers (docs/architecture.md, decision 7). Amounts are in kopecks.
public struct LedgerRecord: Hashable, Sendable {
    /// What the entry records.
    public var kind: LedgerEntryKind
    /// The device clock when it happened (whole seconds, UTC).
    public var deviceTime: UnixTime
    /// The card involved.
    public var cardSerial: CardSerial?
    /// The layout version the card was personalized with.
    public var layoutVersion: LayoutVersion?
    /// The entitlement used.
    public var entitlementID: EntitlementID?
    /// The benefit category of the entitlement used.
    public var category: CategoryCode?
    /// The fare charged (0 for a free benefit ride).
    public var fareKopecks: Int64?
    /// The full fare the ride would have cost; the difference is what the community compensates.
    public var fullFareKopecks: Int64?
    /// The card's purse balance after a debit.
    public var purseBalanceAfterKopecks: Int64?
    /// The route the vehicle was serving.
    public var route: RouteNumber?
    /// The vehicle the validator is installed in.
    public var vehicle: VehicleID?
    /// The entry this one refers to (the pending transaction a confirmation or abandonment resolves).
    public var relatedSequence: UInt64?
    /// How far the clock was stepped: new time minus old time.
    public var clockCorrectionSeconds: Int64?
    /// Short text for people and tools: a denial code, a bundle name, a software version. At most 1024 UTF-8 bytes.
    public var detail: String

    // Format 2 fields (docs/ledger-format.md, "Format 2"): a record that sets any of them, or
    // has a desk kind, is encoded as format 2; every other record keeps its format 1 bytes.

    /// Money a desk credited or moved (a purse credit, the balance moved to a replacement card), kopecks.
    public var amountKopecks: Int64?
    /// The desk's receipt number for a purse credit, as printed for the citizen.
    public var receiptNumber: UInt64?
    /// The other card of a replacement: the new card, on the entry of the old one.
    public var otherCardSerial: CardSerial?
    /// What an entitlement a desk wrote gives (product, validity, limit).
    public var entitlementTerms: WrittenEntitlementTerms?
    /// The card's counters after the tap, as written on the card.
    public var cardCounters: CardCounters?

    /// Creates a record; prefer the named constructors, which set the fields each kind needs.
    public init(
        kind: LedgerEntryKind, deviceTime: UnixTime, cardSerial: CardSerial? = nil,
        layoutVersion: LayoutVersion? = nil, entitlementID: EntitlementID? = nil, category: CategoryCode? = nil,
        fareKopecks: Int64? = nil, fullFareKopecks: Int64? = nil, purseBalanceAfterKopecks: Int64? = nil,
        route: RouteNumber? = nil, vehicle: VehicleID? = nil, relatedSequence: UInt64? = nil,
        clockCorrectionSeconds: Int64? = nil, detail: String = "", amountKopecks: Int64? = nil,
        receiptNumber: UInt64? = nil, otherCardSerial: CardSerial? = nil, entitlementTerms: WrittenEntitlementTerms? = nil,
        cardCounters: CardCounters? = nil
    ) {
        self.kind = kind
        self.deviceTime = deviceTime
        self.cardSerial = cardSerial
        self.layoutVersion = layoutVersion
        self.entitlementID = entitlementID
        self.category = category
        self.fareKopecks = fareKopecks
        self.fullFareKopecks = fullFareKopecks
        self.purseBalanceAfterKopecks = purseBalanceAfterKopecks
        self.route = route
        self.vehicle = vehicle
        self.relatedSequence = relatedSequence
        self.clockCorrectionSeconds = clockCorrectionSeconds
        self.detail = detail
        self.amountKopecks = amountKopecks
        self.receiptNumber = receiptNumber
        self.otherCardSerial = otherCardSerial
        self.entitlementTerms = entitlementTerms
        self.cardCounters = cardCounters
    }

    /// The entry format this record is encoded in: 2 for a desk kind or any format 2 field, else 1.
    ///
    /// Decided by the record alone, so one record has exactly one encoding.
    public var format: UInt8 {
        if kind.minimumFormat >= 2 { return 2 }
        let usesExtension = amountKopecks != nil || receiptNumber != nil || otherCardSerial != nil
            || entitlementTerms != nil || cardCounters != nil
        return usesExtension ? 2 : 1
    }
}

extension LedgerRecord {
    /// The validator started.
    public static func startUp(at time: UnixTime, software: String) -> LedgerRecord {
        LedgerRecord(kind: .startUp, deviceTime: time, detail: software)
    }

    /// The validator is stopping cleanly.
    public static func shutdown(at time: UnixTime) -> LedgerRecord {
        LedgerRecord(kind: .shutdown, deviceTime: time)
    }

    /// A ride accepted without a benefit (full fare, or a pass), on a vehicle serving a route.
    public static func rideAccepted(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion, entitlement: EntitlementID? = nil,
        category: CategoryCode? = nil, fareKopecks: Int64, route: RouteNumber, vehicle: VehicleID
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .rideAccepted, deviceTime: time, cardSerial: card, layoutVersion: layout,
            entitlementID: entitlement, category: category, fareKopecks: fareKopecks, fullFareKopecks: fareKopecks,
            route: route, vehicle: vehicle)
    }

    /// A ride accepted under a benefit entitlement: the fare paid and the full fare it replaced.
    public static func benefitUse(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion, entitlement: EntitlementID,
        category: CategoryCode, fareKopecks: Int64, fullFareKopecks: Int64, route: RouteNumber, vehicle: VehicleID
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .benefitUse, deviceTime: time, cardSerial: card, layoutVersion: layout, entitlementID: entitlement,
            category: category, fareKopecks: fareKopecks, fullFareKopecks: fullFareKopecks, route: route,
            vehicle: vehicle)
    }

    /// Money taken from the card's purse, and the balance left.
    public static func purseDebit(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion, amountKopecks: Int64, balanceAfterKopecks: Int64,
        route: RouteNumber, vehicle: VehicleID
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .purseDebit, deviceTime: time, cardSerial: card, layoutVersion: layout, fareKopecks: amountKopecks,
            purseBalanceAfterKopecks: balanceAfterKopecks, route: route, vehicle: vehicle)
    }

    /// A refused tap, with the denial's stable code (`DenialReason.code`).
    public static func tapDeclined(
        at time: UnixTime, card: CardSerial?, layout: LayoutVersion?, reasonCode: String, route: RouteNumber,
        vehicle: VehicleID
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .tapDeclined, deviceTime: time, cardSerial: card, layoutVersion: layout, route: route,
            vehicle: vehicle, detail: reasonCode)
    }

    /// A card transaction about to be committed on the card.
    ///
    /// Written and made durable *before* the card's CommitTransaction, so that a crash or a pulled
    /// card leaves an explicit "pending" rather than a charge with no record (docs/architecture.md, decision 6).
    public static func cardTransactionPending(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion, entitlement: EntitlementID? = nil,
        category: CategoryCode? = nil, fareKopecks: Int64, route: RouteNumber, vehicle: VehicleID
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .cardTransactionPending, deviceTime: time, cardSerial: card, layoutVersion: layout,
            entitlementID: entitlement, category: category, fareKopecks: fareKopecks, route: route, vehicle: vehicle)
    }

    /// The pending transaction at `pending` was committed on the card.
    public static func cardTransactionConfirmed(at time: UnixTime, card: CardSerial, pending: UInt64) -> LedgerRecord {
        LedgerRecord(kind: .cardTransactionConfirmed, deviceTime: time, cardSerial: card, relatedSequence: pending)
    }

    /// The pending transaction at `pending` did not happen; `why` says how it is known (e.g. `card-removed`).
    public static func cardTransactionAbandoned(
        at time: UnixTime, card: CardSerial, pending: UInt64, why: String
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .cardTransactionAbandoned, deviceTime: time, cardSerial: card, relatedSequence: pending, detail: why)
    }

    /// A deny-listed card was seen; `listingReason` is the deny list's reason (`lost`, `stolen`, …).
    public static func denyListHit(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion?, listingReason: String, route: RouteNumber,
        vehicle: VehicleID
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .denyListHit, deviceTime: time, cardSerial: card, layoutVersion: layout, route: route,
            vehicle: vehicle, detail: listingReason)
    }

    /// A configuration or bundle was installed; `description` names it, e.g. `tariff v3 sha256:…`.
    public static func configurationChanged(at time: UnixTime, description: String) -> LedgerRecord {
        LedgerRecord(kind: .configurationChanged, deviceTime: time, detail: description)
    }

    /// The clock was stepped from `oldTime` to `newTime`.
    public static func clockAdjusted(from oldTime: UnixTime, to newTime: UnixTime, source: String) -> LedgerRecord {
        LedgerRecord(
            kind: .clockAdjusted, deviceTime: newTime, clockCorrectionSeconds: newTime.seconds(since: oldTime),
            detail: source)
    }
}

// MARK: Desk actions (kinds 13–18, format 2)

extension LedgerRecord {
    /// A desk personalized `card` with `layout` (a factory card or a returned one); `detail` says
    /// which (`new`, `reissued`). The card's starting trip counter, when known, lets reconciliation
    /// accept a counter that starts again from it.
    public static func cardIssued(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion, how: String = "new", counters: CardCounters? = nil
    ) -> LedgerRecord {
        LedgerRecord(kind: .cardIssued, deviceTime: time, cardSerial: card, layoutVersion: layout, detail: how, cardCounters: counters)
    }

    /// A desk credited `amountKopecks` to `card`'s purse under receipt `receipt`; `balanceAfter`
    /// when the desk read it back from the card.
    public static func purseCredit(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion? = nil, amountKopecks: Int64, receipt: UInt64,
        balanceAfterKopecks: Int64? = nil
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .purseCredit, deviceTime: time, cardSerial: card, layoutVersion: layout,
            purseBalanceAfterKopecks: balanceAfterKopecks, amountKopecks: amountKopecks, receiptNumber: receipt)
    }

    /// A desk wrote (`added`, `renewed`) or ended (`ended`) entitlement `entitlement` on `card`.
    public static func entitlementWritten(
        at time: UnixTime, card: CardSerial, layout: LayoutVersion, entitlement: EntitlementID, category: CategoryCode,
        terms: WrittenEntitlementTerms, action: String = "added"
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .entitlementWritten, deviceTime: time, cardSerial: card, layoutVersion: layout,
            entitlementID: entitlement, category: category, detail: action, entitlementTerms: terms)
    }

    /// A desk blocked `card`; `reason` is the deny-list reason (`lost`, `stolen`, `fraud`, `replaced`, `other`).
    public static func cardBlocked(at time: UnixTime, card: CardSerial, reason: String) -> LedgerRecord {
        LedgerRecord(kind: .cardBlocked, deviceTime: time, cardSerial: card, detail: reason)
    }

    /// A desk replaced `old` with `new`, moving `balanceMovedKopecks` (the old card's last known balance).
    public static func cardReplaced(
        at time: UnixTime, old: CardSerial, new: CardSerial, balanceMovedKopecks: Int64
    ) -> LedgerRecord {
        LedgerRecord(
            kind: .cardReplaced, deviceTime: time, cardSerial: old, amountKopecks: balanceMovedKopecks, otherCardSerial: new)
    }

    /// A desk took `card` back; `reason` says why (`moved-away`, `death`, `returned`).
    public static func cardReturned(at time: UnixTime, card: CardSerial, reason: String) -> LedgerRecord {
        LedgerRecord(kind: .cardReturned, deviceTime: time, cardSerial: card, detail: reason)
    }
}
