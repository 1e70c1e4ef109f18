import AccountingCore
import Entitlements
import Identifiers
import LedgerCore

/// Where the purse credits a card's balance is checked against come from (docs/reconciliation.md, "Desk ledgers").
public enum PurseCreditEvidence: String, Hashable, Sendable, Codable {
    /// The desks' own signed chains: `purse-credit` and `card-replaced` entries of devices registered as desks.
    case deskLedger = "desk-ledger"
    /// The finance officer's import of the desk's credits, for a community whose desks keep no ledger.
    case imported = "import"
}

/// What the desks' ledgers say happened to cards: the money put on them and when they were
/// (re)issued. Only entries of devices registered as desks count: the service refuses desk kinds
/// from validators, and an input that holds one anyway (an export put together by hand) does
/// not get to vouch for money.
struct DeskActions: Sendable {
    /// Purse credits and balances moved to a replacement card, as credits on the card that got them.
    var credits: [PurseCredit] = []
    /// When each card was issued (or issued again after a return): its tap counter may start over.
    var issues: [CardSerial: [UnixTime]] = [:]
    /// The earliest device time of any desk entry, if a desk wrote any.
    var firstDeskEntry: UnixTime?
    /// The devices registered as desks, whether or not they wrote in the period.
    var desks: Set<DeviceID> = []

    /// Adds what another desk's entries say (devices are read one at a time).
    mutating func merge(_ other: DeskActions) {
        credits += other.credits
        issues.merge(other.issues) { $0 + $1 }
        if let first = other.firstDeskEntry { firstDeskEntry = min(firstDeskEntry ?? first, first) }
        desks.formUnion(other.desks)
    }
}

/// The desk actions in `entries`, reading only the devices in `desks`.
func deskActions(in entries: [HeldEntry], desks: Set<DeviceID>) -> DeskActions {
    var out = DeskActions()
    out.desks = desks
    guard !desks.isEmpty else { return out }
    for held in entries where desks.contains(held.entry.deviceID) {
        let record = held.entry.record
        out.firstDeskEntry = min(out.firstDeskEntry ?? record.deviceTime, record.deviceTime)
        let at = "\(held.entry.deviceID.rawValue):\(held.entry.sequence)"
        switch record.kind {
        case .purseCredit:
            guard let card = record.cardSerial, let amount = record.amountKopecks, amount > 0 else { continue }
            out.credits.append(
                PurseCredit(
                    card: card, amountKopecks: amount, creditedAt: record.deviceTime, source: PurseCreditEvidence.deskLedger.rawValue,
                    reference: "\(at) receipt \(record.receiptNumber.map(String.init) ?? "-")"))
        case .cardReplaced:
            // The balance moved is money on the new card, as a credit would be.
            guard let new = record.otherCardSerial, let amount = record.amountKopecks, amount > 0 else { continue }
            out.credits.append(
                PurseCredit(
                    card: new, amountKopecks: amount, creditedAt: record.deviceTime, source: PurseCreditEvidence.deskLedger.rawValue,
                    reference: "\(at) replacement of \(record.cardSerial?.printed ?? "-")"))
        case .cardIssued:
            guard let card = record.cardSerial else { continue }
            out.issues[card, default: []].append(record.deviceTime)
        default:
            continue
        }
    }
    return out
}

extension Reconciler {
    /// The credits purses are checked against, and which evidence they are.
    ///
    /// With a desk registered, the desks' ledgers are the evidence; imported credits dated before
    /// the first desk entry still count (the month a community starts its desk ledger). Without
    /// one, the import is all there is.
    func purseCredits(_ desk: DeskActions) -> (credits: [PurseCredit], evidence: PurseCreditEvidence) {
        guard !desk.desks.isEmpty else { return (reference.purseCredits, .imported) }
        let before = desk.firstDeskEntry.map { start in reference.purseCredits.filter { $0.creditedAt < start } } ?? reference.purseCredits
        return (desk.credits + before, .deskLedger)
    }

    /// `purseCredits` by card, made once for every partition of the cards.
    func purseCreditIndex(_ desk: DeskActions) -> PurseCreditIndex {
        let (credits, evidence) = purseCredits(desk)
        return PurseCreditIndex(byCard: Dictionary(grouping: credits, by: \.card), evidence: evidence)
    }

    /// Purse balances that rose between two debits beyond the credits between: with desk ledgers,
    /// a `forged-credit` (no desk recorded the money); with imported credits, a `clone-purse-rose`.
    func purseExceptions(_ purse: [PurseMovement], credits: PurseCreditIndex) -> [IntegrityException] {
        let evidence = credits.evidence
        let movementsByCard = Dictionary(grouping: purse, by: \.card)
        let creditsByCard = credits.byCard
        var exceptions: [IntegrityException] = []
        for card in movementsByCard.keys.sorted() {
            for rise in purseRises(ofCardMovements: movementsByCard[card]!, credits: creditsByCard[card] ?? [])
            where period.contains(rise.current.time) {
                let balances = Evidence.purseBalance(
                    previousAfterKopecks: rise.previous.balanceAfter, debitKopecks: rise.current.amount, balanceAfterKopecks: rise.current.balanceAfter,
                    creditsKopecks: rise.credits)
                let text: LocalizedText
                switch evidence {
                case .deskLedger:
                    text = LocalizedText(
                        uk: "Картка \(card.printed): баланс гаманця зріс на \(Money.uk(rise.excess)), а жодна каса не записала поповнення: підроблене поповнення або копія картки.",
                        en: "Card \(card.printed): the purse balance rose by \(Money.en(rise.excess)) and no desk's ledger records a credit: a forged credit or a copied card.")
                case .imported:
                    text = LocalizedText(
                        uk: "Картка \(card.printed): баланс гаманця зріс на \(Money.uk(rise.excess)) без поповнення в касі: можливий клон.",
                        en: "Card \(card.printed): the purse balance rose by \(Money.en(rise.excess)) without a desk credit: a clone suspect.")
                }
                exceptions.append(
                    IntegrityException(
                        kind: evidence == .deskLedger ? .forgedCredit : .clonePurseRose, device: rise.current.reference.device, card: card,
                        // The kind already says which credits were used; a forged credit names its evidence too.
                        entries: [rise.previous.reference, rise.current.reference],
                        evidence: evidence == .deskLedger ? [balances, .creditEvidence(evidence.rawValue)] : [balances],
                        amountAtStakeKopecks: rise.excess, text: text))
            }
        }
        return exceptions
    }
}

/// The credits purses are checked against, by card, and which evidence they are.
struct PurseCreditIndex: Sendable {
    var byCard: [CardSerial: [PurseCredit]]
    var evidence: PurseCreditEvidence
}
