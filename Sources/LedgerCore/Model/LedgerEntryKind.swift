/// What a ledger entry records, on a validator's or an issuance desk's chain. The raw value is the kind byte of the canonical encoding.
///
/// Codes are never reused: a retired kind keeps its number so that old ledgers still verify.
public enum LedgerEntryKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The validator started; `detail` names the software version.
    case startUp = 1
    /// The validator is stopping cleanly; a checkpoint follows it.
    case shutdown = 2
    /// A ride was accepted at the full fare or with a pass (no benefit category compensated).
    case rideAccepted = 3
    /// A ride was accepted under a benefit entitlement (free, discounted or counted).
    case benefitUse = 4
    /// Money was taken from the card's purse.
    case purseDebit = 5
    /// A tap was refused; `detail` holds the denial code (e.g. `ride-limit-reached`).
    case tapDeclined = 6
    /// A card transaction is about to be committed; written before the card's CommitTransaction.
    case cardTransactionPending = 7
    /// The pending card transaction at `relatedSequence` was committed on the card.
    case cardTransactionConfirmed = 8
    /// The pending card transaction at `relatedSequence` did not happen (card pulled, rolled back).
    case cardTransactionAbandoned = 9
    /// A card on the deny list was seen; `detail` holds the listing reason.
    case denyListHit = 10
    /// A configuration or signed bundle was installed; `detail` names it (kind, version, hash).
    case configurationChanged = 11
    /// The device clock was set; `deviceTime` is the new time, `clockCorrectionSeconds` the step.
    case clockAdjusted = 12
    /// A desk personalized a card (new, or a returned one issued again). Format 2 and desks only.
    case cardIssued = 13
    /// A desk credited money to a card's purse; `amountKopecks`, `receiptNumber`, the balance after when known.
    case purseCredit = 14
    /// A desk wrote, renewed or ended an entitlement on a card; `detail` says which, `entitlementTerms` what.
    case entitlementWritten = 15
    /// A desk blocked a card (and asked for its deny listing); `detail` holds the reason.
    case cardBlocked = 16
    /// A desk replaced a card: `cardSerial` the old one, `otherCardSerial` the new one, `amountKopecks` the balance moved.
    case cardReplaced = 17
    /// A desk took a card back (moved away, death, returned); `detail` holds why.
    case cardReturned = 18

    /// The stable name used in exports: `ride-accepted`, `tap-declined`, ….
    public var name: String {
        switch self {
        case .startUp: "start-up"
        case .shutdown: "shutdown"
        case .rideAccepted: "ride-accepted"
        case .benefitUse: "benefit-use"
        case .purseDebit: "purse-debit"
        case .tapDeclined: "tap-declined"
        case .cardTransactionPending: "card-transaction-pending"
        case .cardTransactionConfirmed: "card-transaction-confirmed"
        case .cardTransactionAbandoned: "card-transaction-abandoned"
        case .denyListHit: "deny-list-hit"
        case .configurationChanged: "configuration-changed"
        case .clockAdjusted: "clock-adjusted"
        case .cardIssued: "card-issued"
        case .purseCredit: "purse-credit"
        case .entitlementWritten: "entitlement-written"
        case .cardBlocked: "card-blocked"
        case .cardReplaced: "card-replaced"
        case .cardReturned: "card-returned"
        }
    }

    /// Whether only an issuance desk writes this kind (kinds 13–18, docs/ledger-format.md, "Desk entries").
    ///
    /// The accounting service accepts these only from a device registered as a desk, and refuses
    /// ride kinds from a desk, so a validator's key cannot vouch for a purse credit.
    public var isDeskAction: Bool { rawValue >= LedgerEntryKind.cardIssued.rawValue }

    /// Whether only a validator writes this kind: rides, charges, refusals and card transactions.
    public var isValidatorAction: Bool {
        switch self {
        case .rideAccepted, .benefitUse, .purseDebit, .tapDeclined, .cardTransactionPending, .cardTransactionConfirmed,
            .cardTransactionAbandoned, .denyListHit:
            true
        case .startUp, .shutdown, .configurationChanged, .clockAdjusted, .cardIssued, .purseCredit, .entitlementWritten,
            .cardBlocked, .cardReplaced, .cardReturned:
            false
        }
    }

    /// The lowest entry format that can carry this kind: desk kinds need format 2.
    public var minimumFormat: UInt8 { isDeskAction ? 2 : 1 }

    /// The stable name.
    public var description: String { name }
}
