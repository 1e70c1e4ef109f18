import Desk
import DeskRecords
import DeskRegistry
import Entitlements
import Identifiers
import LedgerCore
import SocialCard
import Tariff

/// What the desk tells the clerk between the two cards of a replacement.
public struct ReplacementPrompts {
    /// Place the old card (it is read and blocked).
    public var placeOld: () -> Void
    /// Take the old card away.
    public var takeOldAway: () -> Void
    /// Place the new card.
    public var placeNew: () -> Void

    /// Creates the prompts.
    public init(placeOld: @escaping () -> Void, takeOldAway: @escaping () -> Void, placeNew: @escaping () -> Void) {
        self.placeOld = placeOld
        self.takeOldAway = takeOldAway
        self.placeNew = placeNew
    }
}

/// Replacing a card: the old card read and blocked (or, lost, its balance taken from its uploaded
/// ledger entries and its entitlements from the registry), the new card personalized, the
/// replacement recorded, the old card reported for the deny list as `replaced`. Each step is
/// restartable (``IssuanceDesk`` documents the card side); the record is made from the new card
/// as read back, so a re-run after a tear records the card that really was made.
extension DeskOffice {
    /// Step 1 with the old card on the reader: read and blocked on the card (no record yet: the
    /// registry marks it `replaced` when the new card exists).
    public func replacementSource(
        _ order: ReplacementOrder, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> (source: ReplacementSource, apduCount: Int) {
        try await requireRecordedCard(order.oldSerial)
        return try await desk.replacementSource(order, now: now, waiting: waiting, using: &generator)
    }

    /// Step 1 for a lost card: `entitlements` (nil: the latest of each entitlement the registry
    /// recorded written on the old card) and the balance of its newest uploaded ledger entry.
    public func lostCardSource(_ order: ReplacementOrder, entitlements: [EntitlementTerms]?, now: UnixTime) async throws -> ReplacementSource {
        guard let denyList else {
            throw DeskOfficeError(
                .refused, ukrainian: "залишок втраченої картки береться із сервісу обліку; він не під'єднаний",
                english: "a lost card's balance comes from the accounting service, which is not connected")
        }
        try await requireRecordedCard(order.oldSerial)
        var terms = entitlements ?? []
        if entitlements == nil, let registry, let card = try await registry.card(order.oldSerial) {
            let issuer = try desk.setup.directory.issuerKey(nil, now: now)
            var latest: [EntitlementID: WrittenEntitlement] = [:]
            for written in card.entitlements { latest[written.id] = written }
            terms = try latest.values.sorted { $0.id.rawValue < $1.id.rawValue }.map { written in
                EntitlementTerms(
                    id: written.id, cardSerial: order.oldSerial, layoutVersion: LayoutVersion(UInt16(desk.setup.layout.layout.version)),
                    category: written.category, product: try ProductText.parse(written.product), validFrom: written.validFrom,
                    validUntil: written.validUntil, issuerKeyID: issuer.keyID)
            }
        }
        guard !terms.isEmpty else {
            throw DeskOfficeError(
                .refused, ukrainian: "невідомо, які пільги мала втрачена картка \(order.oldSerial.printed); вкажіть пільгу",
                english: "the lost card \(order.oldSerial.printed)'s entitlements are unknown; give the benefit")
        }
        return try await desk.lostCardSource(order.oldSerial, entitlements: terms, service: denyList)
    }

    /// Steps 2 and 3 with the new card on `reader` (default: the desk's): personalized from
    /// `source`, read back and recorded as replacing the old card, the old card reported for the
    /// deny list (when the desk is connected to the accounting service).
    public func issueReplacement(
        _ order: ReplacementOrder, from source: ReplacementSource, reader: PlacedCardReader? = nil, clerk: String, now: UnixTime,
        waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        let office = reader.map { DeskOffice(desk: IssuanceDesk(setup: desk.setup, reader: $0), registry: registry, denyList: denyList, ledger: ledger, recorder: recorder) } ?? self
        let result = try await office.desk.issueReplacement(order, from: source, now: now, waiting: waiting, using: &generator)
        return try await office.finishReplacement(result, clerk: clerk, now: now, waiting: waiting, using: &generator)
    }

    /// Reads the new card on the reader, records the replacement and reports the old card.
    func finishReplacement(
        _ result: CardActionResult, clerk: String, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        guard let old = result.formerSerial else { return DeskOfficeOutcome(card: result) }
        var result = result
        var recorded: [RegistryRecord] = []
        var entries: [LedgerEntry] = []
        if recorder != nil || ledger != nil {
            // The new card as it really is: a re-run after a tear records the card that was made.
            let contents = try await readCard(on: desk.reader, waiting: waiting, using: &generator)
            guard contents.info.serial == result.serial else {
                throw DeskError(.refused, ukrainian: "на зчитувачі картка \(contents.info.serial), а не нова \(result.serial)", english: "card \(contents.info.serial) is on the reader, not the new card \(result.serial)")
            }
            result.apduCount += contents.apduCount
            let terms = contents.entitlements.map(\.terms)
            let moved = Int64(result.amountKopecks ?? contents.purseKopecks)
            var records: [LedgerRecord] = [
                .cardReplaced(at: now, old: old, new: result.serial, balanceMovedKopecks: moved),
                .cardIssued(at: now, card: result.serial, layout: LayoutVersion(UInt16(contents.info.layoutVersion)), how: "replacement"),
            ]
            records += entitlementRecords(terms, card: result.serial, action: "added", at: now)
            entries = try await appendToLedger(records, card: result.serial)
            let card = Self.issuedCard(contents)
            recorded = try await record(.replacement(of: old), of: result.serial) {
                try await $0.recordReplacement(of: old, by: card, clerk: clerk, at: now)
            }
        }
        if let denyList {
            result = try await desk.finishReplacement(result, service: denyList)
        }
        return DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries)
    }

    /// The whole replacement at one reader, the clerk told when to swap the cards: with the old
    /// card at the desk (`lostCardEntitlements` nil and `oldCardLost` false) it is placed first;
    /// a lost card's source is ``lostCardSource(_:entitlements:now:)``. Running it again after
    /// any interruption finishes it; placing the new card first when it is already issued only
    /// completes the record and the report.
    public func replace(
        _ order: ReplacementOrder, oldCardLost: Bool, lostCardEntitlements: [EntitlementTerms]? = nil, prompts: ReplacementPrompts,
        clerk: String, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        let source: ReplacementSource
        var apdus = 0
        if oldCardLost {
            source = try await lostCardSource(order, entitlements: lostCardEntitlements, now: now)
        } else {
            prompts.placeOld()
            do {
                (source, apdus) = try await replacementSource(order, now: now, waiting: waiting, using: &generator)
            } catch let error as SocialCardError where error.code == .invalidRequest && error.reason.contains("\(order.newSerial)") {
                // The new card is on the reader, already issued: only the record and the report are left.
                var result = CardActionResult(action: .replace, serial: order.newSerial, at: now, wasAlreadyDone: true, cardWritten: false)
                result.formerSerial = order.oldSerial
                return try await finishReplacement(result, clerk: clerk, now: now, waiting: waiting, using: &generator)
            }
            try await desk.reader.waitForRemoval(waiting: prompts.takeOldAway)
            prompts.placeNew()
        }
        // The new card is placed after the old one is taken away: wait for it a while.
        let swapped = PlacedCardReader(name: desk.reader.name, wait: max(desk.reader.wait, .seconds(60)))
        var outcome = try await issueReplacement(order, from: source, reader: swapped, clerk: clerk, now: now, waiting: waiting, using: &generator)
        outcome.card.apduCount += apdus
        return outcome
    }
}
