import Entitlements
import Identifiers
import SocialCard
import Tariff

/// A replacement card: which card it replaces and the new card's serial.
public struct ReplacementOrder: Hashable, Sendable {
    /// The card replaced.
    public var oldSerial: CardSerial
    /// The new card's serial.
    public var newSerial: CardSerial

    /// Creates an order.
    public init(oldSerial: CardSerial, newSerial: CardSerial) {
        self.oldSerial = oldSerial
        self.newSerial = newSerial
    }
}

/// Replacing a card, in three steps, each restartable and each recognised as done by the next
/// run:
///
/// 1. the old card, when it is at the desk: read (its entitlements, balance, pseudonym: the
///    ``ReplacementSource``) and blocked on the card in the same visit. Blocking does not touch
///    the purse, so a re-run reads the same balance; a blocked card cannot be spent on a bus, so
///    the balance exists once even before the deny list reaches the validators. A lost card's
///    source is its last uploaded balance (``lostCardSource(_:entitlements:service:)``);
/// 2. the new card personalized from the source: the entitlements re-issued for the new serial
///    (same ids, categories, products, dates), the balance as its first credit, the pseudonym
///    kept. ``Personalization`` is itself restartable and credits exactly once;
/// 3. the old serial reported for the deny list as `replaced` (once: an existing report is found).
///
/// A crash between 2 and 3 is finished by running the replacement again: the new card reads as
/// issued to the new serial, and the report is made.
extension IssuanceDesk {
    /// Step 1: reads the old card on the reader and blocks it; returns what the new card gets.
    public func replacementSource(
        _ order: ReplacementOrder, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> (source: ReplacementSource, apduCount: Int) {
        let today = IssuancePolicy.timeZone.local(at: now).date
        let device = try deskDevice(now: now).device
        let report = try await update(serial: order.oldSerial, waiting: waiting, using: &generator) { contents in
            guard contents.slots.allSatisfy({ $0.entitlement != nil }) else {
                throw DeskError(.refused, ukrainian: "пільга на старій картці пошкоджена; перенесіть пільги вручну", english: "an entitlement slot of the old card is damaged; carry the benefits over by hand")
            }
            return try CardUpdatePlan.block(
                contents, layout: setup.layout, on: today, reason: Self.cardBlockReason(.replaced), at: now, deskDevice: device)
        }
        return (ReplacementSource(card: report.before), report.apduCount)
    }

    /// Step 1 for a lost card: `entitlements` as the desk knows them (the registry, or the
    /// clerk), the balance of the newest ledger entry of the card uploaded to the accounting
    /// service (0 if it never rode; the desk's own top-ups after its last ride are not in the
    /// validators' ledgers, which is why an old card at hand is read instead).
    public func lostCardSource(
        _ serial: CardSerial, entitlements: [EntitlementTerms], service: any DenyListService
    ) async throws -> ReplacementSource {
        let balances = try await service.purseBalances(of: serial)
        let newest = balances.max { $0.deviceTime < $1.deviceTime }
        return ReplacementSource(serial: serial, entitlements: entitlements, purseKopecks: newest?.balanceKopecks ?? 0, holderPseudonym: nil, balanceOrigin: .ledger)
    }

    /// Step 2: personalizes the new card on the reader from `source` (or finishes one whose
    /// personalization was interrupted; a card already issued to the new serial is left alone).
    public func issueReplacement(
        _ order: ReplacementOrder, from source: ReplacementSource, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        guard source.serial == order.oldSerial else {
            throw DeskError(.invalidRequest, ukrainian: "джерело заміни — інша картка", english: "the replacement source is card \(source.serial), not \(order.oldSerial)")
        }
        guard order.newSerial != order.oldSerial else {
            throw DeskError(.invalidRequest, ukrainian: "нова картка має мати інший номер", english: "the new card needs another serial")
        }
        guard let purse = Int32(exactly: source.purseKopecks), purse >= 0 else {
            throw DeskError(.invalidRequest, ukrainian: "залишок \(source.purseKopecks) неможливо перенести", english: "a balance of \(source.purseKopecks) cannot be moved")
        }
        let today = IssuancePolicy.timeZone.local(at: now).date
        let issuer = try deskDevice(now: now).key
        let entitlements = try source.reissuedTerms(for: order.newSerial, layoutVersion: layoutVersion, issuer: issuer.keyID)
            .map { try $0.signed(with: issuer.privateKey) }
        let expiry = max(today.adding(days: IssuancePolicy.minimumCardDays), entitlements.map(\.validUntil).max() ?? today)
        let request = IssuanceRequest(
            serial: order.newSerial, issueDate: today, expiryDate: expiry,
            holderPseudonym: source.holderPseudonym ?? IssuanceRequest.randomPseudonym(length: setup.layout.pseudonymLength, using: &generator),
            entitlements: entitlements, purseKopecks: purse, issuedAt: now, issuerDeviceID: issuer.keyID.rawValue)
        let plan = try PersonalizationPlan(layout: setup.layout, request: request)
        let personalization = Personalization(plan: plan, keyring: setup.keyring)
        let report = try await reader.withPlacedCard(waiting: waiting) { channel in
            try await personalization.run(on: channel, using: &generator)
        }
        var result = CardActionResult(
            action: .replace, serial: order.newSerial, at: now, wasAlreadyDone: report.wasAlreadyComplete, cardWritten: !report.wasAlreadyComplete)
        result.formerSerial = order.oldSerial
        result.entitlements = entitlements.map(\.terms)
        result.cardExpiry = expiry
        result.amountKopecks = source.purseKopecks
        result.purseAfterKopecks = Int(plan.expectedPurse)
        result.balanceOrigin = source.balanceOrigin.rawValue
        result.apduCount = report.apduCount
        return result
    }

    /// Step 3: reports the old card for the deny list as `replaced` (once).
    public func finishReplacement(_ result: CardActionResult, service: any DenyListService) async throws -> CardActionResult {
        guard let old = result.formerSerial else { return result }
        var result = result
        result.denyListReason = .replaced
        result.denyListReport = try await reportBlock(old, reason: .replaced, to: service)
        return result
    }
}
