import Desk
import DeskRecords
import DeskRegistry
import Entitlements
import Identifiers
import LedgerCore
import SocialCard
import Tariff

/// A card to issue to a registered holder.
public struct HolderIssueOrder: Hashable, Sendable {
    /// The holder in the registry.
    public var holder: HolderID
    /// The new card's serial.
    public var serial: CardSerial
    /// What every entitlement grants (the community's benefit for the categories, e.g. `free`).
    public var product: Product
    /// Kopecks to credit to the purse at issue.
    public var purseKopecks: Int32
    /// The serial a returned card had, when a returned card is wiped and issued (nil: a factory card).
    public var returned: CardSerial?

    /// Creates an order.
    public init(holder: HolderID, serial: CardSerial, product: Product = .free, purseKopecks: Int32 = 0, returned: CardSerial? = nil) {
        self.holder = holder
        self.serial = serial
        self.product = product
        self.purseKopecks = purseKopecks
        self.returned = returned
    }
}

extension DeskOffice {
    /// The benefits a holder's card gets on `today`: one per category of their eligibilities that
    /// cover `today` (the earliest-starting eligibility of a category wins), each valid until
    /// the eligibility ends or the issuance policy's default, whichever is first. Pure.
    public static func entitlementOrders(
        for eligibilities: [HeldEligibility], product: Product, today: CivilDate
    ) -> [EntitlementOrder] {
        var seen: Set<CategoryCode> = []
        let policyEnd = today.adding(days: IssuancePolicy.defaultEntitlementDays)
        return eligibilities
            .filter { $0.terms.covers(today) }
            .sorted { ($0.terms.validFrom, $0.id) < ($1.terms.validFrom, $1.id) }
            .compactMap { eligibility in
                guard seen.insert(eligibility.terms.category).inserted else { return nil }
                return EntitlementOrder(
                    category: String(eligibility.terms.category.rawValue), product: product,
                    validUntil: min(eligibility.terms.validUntil ?? policyEnd, policyEnd))
            }
    }

    /// Issues a card to a registered holder: a factory card (or a returned one, wiped) is
    /// personalized with an entitlement for each of their current eligibilities
    /// (``entitlementOrders(for:product:today:)``), then recorded as issued to them with the
    /// UID, pseudonym and entitlements read back from the card.
    ///
    /// A holder with no eligibility covering today is refused before the card is touched: that
    /// is a renewal for the worklist, not a card without benefits.
    public func issue(
        _ order: HolderIssueOrder, clerk: String, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        guard let registry else {
            throw DeskOfficeError(.refused, ukrainian: "видача особі потребує реєстру", english: "issuing to a holder needs the registry")
        }
        guard let holder = try await registry.holder(order.holder), holder.details != nil else {
            throw RegistryError(.notFound, ukrainian: "особи \(order.holder) немає в реєстрі", english: "holder \(order.holder) is not in the registry")
        }
        let today = IssuancePolicy.timeZone.local(at: now).date
        let orders = Self.entitlementOrders(for: holder.eligibilities, product: order.product, today: today)
        guard let first = orders.first else {
            throw DeskOfficeError(
                .refused, ukrainian: "в особи \(order.holder) немає чинної пільги на сьогодні; поновіть підставу (перелік на поновлення)",
                english: "holder \(order.holder) has no eligibility covering today; renew the evidence first (the renewal worklist)")
        }
        for entitlement in orders { _ = try IssuancePolicy.category(entitlement.category, in: categories) }
        if let card = try await registry.card(order.serial), card.holder != order.holder {
            throw DeskOfficeError(
                .refused, ukrainian: "картку \(order.serial.printed) вже видано іншій особі", english: "card \(order.serial.printed) is issued to another holder")
        }

        let issueOrder = IssueOrder(
            serial: order.serial, category: first.category, product: first.product, validUntil: first.validUntil, purseKopecks: order.purseKopecks, issuer: nil)
        var written = false
        var apdus = 0
        if let returned = order.returned {
            let reissued = try await desk.reissue(issueOrder, returned: returned, now: now, waiting: waiting, using: &generator)
            written = reissued.cardWritten
            apdus += reissued.apduCount
        } else {
            let (report, _) = try await desk.issueReport(issueOrder, now: now, waiting: waiting, using: &generator)
            written = !report.wasAlreadyComplete
            apdus += report.apduCount
        }
        // The other categories go in the next slots; a re-run finds them there and adds nothing.
        for more in orders.dropFirst() {
            let added = try await desk.addEntitlement(more, serial: order.serial, now: now, waiting: waiting, using: &generator)
            written = written || added.cardWritten
            apdus += added.apduCount
        }
        let contents = try await readCard(on: desk.reader, waiting: waiting, using: &generator)
        apdus += contents.apduCount
        var result = CardActionResult(action: .issue, serial: order.serial, at: now, wasAlreadyDone: !written, cardWritten: written)
        result.entitlements = contents.entitlements.map(\.terms)
        result.changedEntitlements = result.entitlements.map(\.id)
        result.cardExpiry = contents.info.expiryDate
        result.purseAfterKopecks = contents.purseKopecks
        result.formerSerial = order.returned
        result.apduCount = apdus
        var records: [LedgerRecord] = [.cardIssued(at: now, card: order.serial, layout: LayoutVersion(UInt16(contents.info.layoutVersion)), how: order.returned == nil ? "new" : "reissued")]
        records += entitlementRecords(result.entitlements, card: order.serial, action: "added", at: now)
        if order.purseKopecks > 0 {
            // The purse given at issue has no receipt of its own: receipt 0 (docs/desk.md).
            records.append(.purseCredit(at: now, card: order.serial, layout: LayoutVersion(UInt16(contents.info.layoutVersion)), amountKopecks: Int64(order.purseKopecks), receipt: 0))
        }
        let entries = try await appendToLedger(records, card: order.serial)
        let issued = Self.issuedCard(contents)
        let recorded = try await record(.issued(holder: order.holder), of: order.serial) {
            try await $0.recordIssued(issued, holder: order.holder, clerk: clerk, at: now)
        }
        return DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries)
    }
}
