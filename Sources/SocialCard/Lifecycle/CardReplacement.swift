import Entitlements
import Identifiers

/// What a replacement card carries over from the card it replaces, as the desk knows it: read
/// from the old card on the reader, or, when the old card is lost, from what the desk and the
/// accounting service hold. Pure.
public struct ReplacementSource: Hashable, Sendable {
    /// The old card's serial.
    public var serial: CardSerial
    /// The old card's entitlements, slot order (their terms are re-issued for the new card).
    public var entitlements: [EntitlementTerms]
    /// The balance moved to the new card, kopecks.
    public var purseKopecks: Int
    /// The holder pseudonym to keep (`nil`: the desk draws a new one).
    public var holderPseudonym: [UInt8]?
    /// Where the balance came from.
    public var balanceOrigin: BalanceOrigin

    /// Where a replacement's balance came from.
    public enum BalanceOrigin: String, Hashable, Sendable {
        /// Read from the old card at the desk.
        case card
        /// The newest balance in the old card's ledger entries uploaded to the accounting service.
        case ledger
    }

    /// Creates a source.
    public init(serial: CardSerial, entitlements: [EntitlementTerms], purseKopecks: Int, holderPseudonym: [UInt8]?, balanceOrigin: BalanceOrigin) {
        self.serial = serial
        self.entitlements = entitlements
        self.purseKopecks = purseKopecks
        self.holderPseudonym = holderPseudonym
        self.balanceOrigin = balanceOrigin
    }

    /// The source an old card read at the desk gives: every readable entitlement, the purse, the pseudonym.
    public init(card: SocialCardContents) {
        self.init(
            serial: card.info.serial, entitlements: card.entitlements.map(\.terms), purseKopecks: card.purseKopecks,
            holderPseudonym: card.info.holderPseudonym, balanceOrigin: .card)
    }

    /// The old card's entitlement terms re-issued for `newSerial` and `layoutVersion` by
    /// `issuer` (same ids, categories, products and dates), to sign.
    public func reissuedTerms(for newSerial: CardSerial, layoutVersion: LayoutVersion, issuer: KeyID) -> [EntitlementTerms] {
        entitlements.map { terms in
            var terms = terms
            terms.cardSerial = newSerial
            terms.layoutVersion = layoutVersion
            terms.issuerKeyID = issuer
            return terms
        }
    }
}
