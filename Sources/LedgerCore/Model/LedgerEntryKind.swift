/// What a ledger entry records. The raw value is the kind byte of the canonical encoding.
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
        }
    }

    /// The stable name.
    public var description: String { name }
}
