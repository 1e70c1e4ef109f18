import Desk
import Entitlements
import Identifiers
import LedgerCore
import SocialCard

/// The desk-ledger entries of each action (docs/ledger-format.md, "Desk entries"): card serials,
/// categories, amounts, dates and receipt numbers, never a person.
extension DeskOffice {
    /// Appends `records` to the desk ledger (those an earlier run appended are skipped), durably,
    /// after the card was written and before the action is reported done. A failure here leaves
    /// the card ahead of the ledger: `record-incomplete`, run the action again.
    func appendToLedger(_ records: [LedgerRecord], card serial: CardSerial) async throws -> [LedgerEntry] {
        guard let ledger, !records.isEmpty else { return [] }
        do {
            return try await ledger.append(records)
        } catch {
            throw Self.recordIncomplete(serial, error)
        }
    }

    var layoutVersion: LayoutVersion { LayoutVersion(UInt16(desk.setup.layout.layout.version)) }

    /// One `entitlement-written` entry per entitlement in `terms` (the ledger keeps only those
    /// whose terms differ from the latest written for that card and id).
    func entitlementRecords(_ terms: [EntitlementTerms], card: CardSerial, action: String, at time: UnixTime) -> [LedgerRecord] {
        terms.map { terms in
            LedgerRecord.entitlementWritten(
                at: time, card: card, layout: terms.layoutVersion, entitlement: terms.id, category: terms.category,
                terms: WrittenEntitlementTerms(product: terms.product.kind, validFrom: terms.validFrom, validUntil: terms.validUntil, rideLimit: Self.rideLimit(terms.product).0,
                    ridePeriod: Self.rideLimit(terms.product).1, discountPercent: Self.discount(terms.product)),
                action: action)
        }
    }

    static func rideLimit(_ product: Product) -> (UInt16?, RidePeriod?) {
        if case .rides(let count, let period) = product { return (count, period) }
        return (nil, nil)
    }

    static func discount(_ product: Product) -> UInt8? {
        if case .discount(let percent) = product { return percent }
        return nil
    }
}
