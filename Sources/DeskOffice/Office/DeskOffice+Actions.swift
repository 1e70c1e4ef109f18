import Desk
import DeskRecords
import DeskRegistry
import Entitlements
import Identifiers
import SocialCard
import Tariff

/// The lifecycle of an issued card: each action on the card first, then its record. See
/// ``DeskOffice`` for the recovery rule.
extension DeskOffice {
    // MARK: Renew, add, end

    /// Renews the card (``IssuanceDesk/renew(serial:validUntil:now:waiting:using:)``) and records
    /// its entitlements.
    public func renew(
        serial: CardSerial?, validUntil: CivilDate?, clerk: String, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        try await requireRecordedCard(serial)
        let result = try await desk.renew(serial: serial, validUntil: validUntil, now: now, waiting: waiting, using: &generator)
        return try await recordEntitlements(result, action: "renewed", clerk: clerk)
    }

    /// Adds a benefit (``IssuanceDesk/addEntitlement(_:serial:now:waiting:using:)``) and records it.
    public func addEntitlement(
        _ order: EntitlementOrder, serial: CardSerial?, clerk: String, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        try await requireRecordedCard(serial)
        let result = try await desk.addEntitlement(order, serial: serial, now: now, waiting: waiting, using: &generator)
        return try await recordEntitlements(result, action: "added", clerk: clerk)
    }

    /// Ends a benefit (``IssuanceDesk/endEntitlement(_:from:serial:now:waiting:using:)``) and records it.
    public func endEntitlement(
        _ id: EntitlementID, from endDate: CivilDate?, serial: CardSerial?, clerk: String, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        try await requireRecordedCard(serial)
        let result = try await desk.endEntitlement(id, from: endDate, serial: serial, now: now, waiting: waiting, using: &generator)
        return try await recordEntitlements(result, action: "ended", clerk: clerk)
    }

    /// Records every entitlement the card holds after `result` (the registry adds a row only for
    /// those that changed).
    func recordEntitlements(_ result: CardActionResult, action: String, clerk: String) async throws -> DeskOfficeOutcome {
        let entries = try await appendToLedger(entitlementRecords(result.entitlements, card: result.serial, action: action, at: result.at), card: result.serial)
        let written = Self.written(result.entitlements)
        let recorded = try await record(.entitlements, of: result.serial) {
            try await $0.recordEntitlements(written, on: result.serial, clerk: clerk, at: result.at)
        }
        return DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries)
    }

    // MARK: Top-up

    /// Credits the purse under `receipt` (``IssuanceDesk/topUp(amountKopecks:receipt:serial:now:waiting:using:)``,
    /// once per receipt) and records the credit under the same receipt number.
    public func topUp(
        amountKopecks: Int32, receipt: UInt32, serial: CardSerial?, clerk: String, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        try await requireRecordedCard(serial)
        let result = try await desk.topUp(amountKopecks: amountKopecks, receipt: receipt, serial: serial, now: now, waiting: waiting, using: &generator)
        let number = String(receipt)
        let entries = try await appendToLedger(
            [
                .purseCredit(
                    at: result.at, card: result.serial, layout: layoutVersion, amountKopecks: Int64(amountKopecks), receipt: UInt64(receipt),
                    balanceAfterKopecks: result.purseAfterKopecks.map(Int64.init))
            ], card: result.serial)
        let recorded = try await record(.credit(receipt: number), of: result.serial) {
            try await $0.recordCredit(kopecks: Int64(amountKopecks), on: result.serial, receipt: number, clerk: clerk, at: result.at)
        }
        return DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries)
    }

    // MARK: Block, return

    /// Blocks `serial`: on the card when it is at the desk, recorded as blocked, then reported
    /// for the deny list (once; the report is kept by the accounting service and found on a
    /// re-run). `replaced` is not a reason here: ``replace(_:lostCardEntitlements:prompts:clerk:now:using:)`` blocks that way.
    ///
    /// The registry is written before the deny-list report so that an accounting service that is
    /// down does not leave the desk without its record; the clerk runs the block again to report.
    public func block(
        _ serial: CardSerial, reason: DenyList.Reason, cardAtDesk: Bool, clerk: String, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        guard let blockReason = BlockReason(rawValue: reason.rawValue) else {
            throw DeskError(.invalidRequest, ukrainian: "замінену картку блокує заміна", english: "a replaced card is blocked by the replacement")
        }
        try await requireRecordedCard(serial)
        var result = CardActionResult(action: .block, serial: serial, at: now, wasAlreadyDone: false, cardWritten: false)
        if cardAtDesk {
            result = try await desk.blockOnCard(reason: reason, serial: serial, now: now, waiting: waiting, using: &generator)
        }
        result.denyListReason = reason
        let entries = try await appendToLedger([.cardBlocked(at: now, card: serial, reason: reason.rawValue)], card: serial)
        let recorded = try await record(.status(.blocked(blockReason)), of: serial) {
            try await $0.recordStatus(.blocked(blockReason), of: serial, clerk: clerk, at: now)
        }
        if let denyList {
            result.denyListReport = try await desk.reportBlock(serial, reason: reason, to: denyList)
        }
        return DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries)
    }

    /// Takes back a card handed in (moved away, death): blocked on the card and recorded as
    /// returned; it can then be wiped and issued to someone else.
    public func returnCard(
        serial: CardSerial?, clerk: String, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> DeskOfficeOutcome {
        try await requireRecordedCard(serial)
        let result = try await desk.returnCard(serial: serial, now: now, waiting: waiting, using: &generator)
        let entries = try await appendToLedger([.cardReturned(at: now, card: result.serial, reason: "returned")], card: result.serial)
        let recorded = try await record(.status(.returned), of: result.serial) {
            try await $0.recordStatus(.returned, of: result.serial, clerk: clerk, at: now)
        }
        return DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries)
    }

    /// Deregisters a holder who moved away or died: every live card of theirs the registry knows
    /// is recorded as returned and reported for the deny list (`other`), without the card (it is
    /// usually not brought back). A card that is at the desk is better taken back with
    /// ``returnCard(serial:clerk:now:waiting:using:)`` first, which also blocks it on the card.
    /// Erasing the person's data is the registry's separate, supervisor-only step. `reason` goes
    /// into the desk ledger (`moved-away`, `death`).
    public func deregister(_ holder: HolderID, reason: String, clerk: String, now: UnixTime) async throws -> [DeskOfficeOutcome] {
        guard let registry else {
            throw DeskOfficeError(.refused, ukrainian: "без реєстру зняти з обліку неможливо", english: "deregistration needs the registry")
        }
        guard let held = try await registry.holder(holder) else {
            throw RegistryError(.notFound, ukrainian: "особи \(holder) немає в реєстрі", english: "holder \(holder) is not in the registry")
        }
        var outcomes: [DeskOfficeOutcome] = []
        for card in held.cards where card.status?.isLive ?? false {
            var result = CardActionResult(action: .return, serial: card.serial, at: now, wasAlreadyDone: false, cardWritten: false)
            let entries = try await appendToLedger([.cardReturned(at: now, card: card.serial, reason: reason)], card: card.serial)
            let recorded = try await record(.status(.returned), of: card.serial) {
                try await $0.recordStatus(.returned, of: card.serial, clerk: clerk, at: now)
            }
            if let denyList {
                result.denyListReason = .other
                result.denyListReport = try await desk.reportBlock(card.serial, reason: .other, to: denyList)
            }
            outcomes.append(DeskOfficeOutcome(card: result, recorded: recorded, ledgerEntries: entries))
        }
        return outcomes
    }

    // MARK: Dispute

    /// Reads the card for a dispute: the printable statement (entitlements, balance, counters,
    /// the whole trip log) and, when `serial` is given and the registry knows it, its record.
    public func readForDispute(
        serial: CardSerial?, deskName: String, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> DisputeReading {
        let statement = try await desk.read(now: now, dispute: deskName, waiting: waiting, using: &generator)
        var record: CardRecord?
        if let serial, let registry { record = try await registry.card(serial) }
        return DisputeReading(statement: statement, record: record)
    }
}
