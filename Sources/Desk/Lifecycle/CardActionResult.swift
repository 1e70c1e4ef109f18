import Entitlements
import Identifiers
import Tariff

/// What one desk action did to a card, as plain values: what a registry records and what the
/// operator is shown (``CardActionText``). No personal data: the card is named by its serial.
public struct CardActionResult: Hashable, Sendable {
    /// The action.
    public enum Action: String, Hashable, Sendable, CaseIterable {
        /// A card personalized for a registered holder (through the desk office).
        case issue
        /// New validity and entitlement dates.
        case renew
        /// An entitlement added.
        case entitlementAdded = "entitlement-added"
        /// An entitlement ended.
        case entitlementEnded = "entitlement-ended"
        /// The purse credited.
        case topUp = "top-up"
        /// The card blocked (on the card and/or reported for the deny list).
        case block
        /// A new card issued in place of an old one.
        case replace
        /// The card handed back: blocked on the card, ready to be wiped and issued again.
        case `return`
        /// A returned card wiped and issued to another serial.
        case reissue
    }

    /// The action.
    public var action: Action
    /// The card the action was for (for `replace` and `reissue`: the new card).
    public var serial: CardSerial
    /// When the desk did it.
    public var at: UnixTime
    /// Whether an earlier run had already done everything (this run wrote nothing).
    public var wasAlreadyDone: Bool
    /// Whether the card was written to in this run (false for a block reported without the card).
    public var cardWritten: Bool
    /// The entitlements on the card afterwards, in slot order (empty when the card was not read).
    public var entitlements: [EntitlementTerms] = []
    /// The entitlement ids this action added, re-signed or ended.
    public var changedEntitlements: [EntitlementID] = []
    /// The card's last valid day afterwards.
    public var cardExpiry: CivilDate?
    /// The purse before and after, kopecks (nil when not known).
    public var purseBeforeKopecks: Int?
    /// The purse afterwards.
    public var purseAfterKopecks: Int?
    /// Kopecks credited (top-up) or moved (replace).
    public var amountKopecks: Int?
    /// The top-up's receipt number.
    public var receiptNumber: UInt32?
    /// The deny-list reason reported, if one was.
    public var denyListReason: DenyList.Reason?
    /// The accounting service's report of the card for the deny list, when it was made or found.
    public var denyListReport: DenyListReport?
    /// For `replace`: the old card. For `reissue`: the serial the returned card had.
    public var formerSerial: CardSerial?
    /// For `replace`: where the moved balance came from.
    public var balanceOrigin: String?
    /// APDUs this run exchanged with the card(s).
    public var apduCount: Int = 0

    /// Creates a result.
    public init(action: Action, serial: CardSerial, at: UnixTime, wasAlreadyDone: Bool, cardWritten: Bool) {
        self.action = action
        self.serial = serial
        self.at = at
        self.wasAlreadyDone = wasAlreadyDone
        self.cardWritten = cardWritten
    }
}
