import Bundles
import CommunityKeys
import Entitlements
import Identifiers
import SocialCard
import Tariff

/// A benefit to add to an issued card.
public struct EntitlementOrder: Hashable, Sendable {
    /// The category: its code or id.
    public var category: String
    /// The product.
    public var product: Product
    /// The last valid day (default: the issuance policy's).
    public var validUntil: CivilDate?

    /// Creates an order.
    public init(category: String, product: Product, validUntil: CivilDate?) {
        self.category = category
        self.product = product
        self.validUntil = validUntil
    }
}

/// The desk's actions on issued cards (renew, add or end a benefit, top up, block, return,
/// reissue, replace), each one visit of one card, each restartable: a plan made from what the
/// card holds (``CardUpdatePlan``), the writes in an order a re-run recognises, a plain
/// ``CardActionResult`` back. The clock and the randomness are parameters.
extension IssuanceDesk {
    /// The number the desk's trip records (`topUp`, `blocked`) carry as their device: the issuer
    /// key's id, as the `issued` record does.
    func deskDevice(now: UnixTime) throws -> (key: CommunitySigningKey, device: UInt32) {
        let key = try setup.directory.issuerKey(nil, now: now)
        return (key, key.keyID.rawValue)
    }

    var layoutVersion: LayoutVersion { LayoutVersion(UInt16(setup.layout.layout.version)) }

    /// Runs `plan` on the card on the reader (the card `serial`, when given).
    func update(
        serial: CardSerial?, waiting: () -> Void, using generator: inout some RandomNumberGenerator,
        plan: (SocialCardContents) throws -> CardUpdatePlan
    ) async throws -> CardUpdateReport {
        let update = CardUpdate(layout: setup.layout, keyring: setup.keyring)
        return try await reader.withPlacedCard(waiting: waiting) { channel in
            try await update.run(on: channel, expecting: serial, using: &generator, plan: plan)
        }
    }

    func result(_ action: CardActionResult.Action, _ report: CardUpdateReport, now: UnixTime) -> CardActionResult {
        var result = CardActionResult(
            action: action, serial: report.before.info.serial, at: now, wasAlreadyDone: report.wasAlreadyDone, cardWritten: !report.wasAlreadyDone)
        let slots = report.before.slots.map(\.entitlement)
        var after = slots
        for write in report.plan.slotWrites {
            let decoded = try? setup.layout.decodeSlot(write.bytes)
            if write.slot < after.count { after[write.slot] = decoded } else { after.append(decoded) }
        }
        result.entitlements = after.compactMap { $0?.terms }
        result.cardExpiry = report.plan.cardInfo.expiryDate
        result.purseBeforeKopecks = report.before.purseKopecks
        result.purseAfterKopecks = report.plan.purseAfterKopecks
        result.apduCount = report.apduCount
        return result
    }

    // MARK: Renew, add, end

    /// Renews the card: every entitlement (passes keep their own dates) re-signed to end on
    /// `validUntil` (default: the issuance policy's year from today), keeping its id, category,
    /// product and start; the card's validity extended to the policy's (never shortened).
    public func renew(
        serial: CardSerial?, validUntil: CivilDate?, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        let today = IssuancePolicy.timeZone.local(at: now).date
        let issuer = try deskDevice(now: now).key
        var changed: [EntitlementID] = []
        let report = try await update(serial: serial, waiting: waiting, using: &generator) { contents in
            changed = []
            var expiry = contents.info.expiryDate
            let renewed = try contents.slots.enumerated().map { slot, content -> Entitlement in
                guard let entitlement = content.entitlement else {
                    throw DeskError(.refused, ukrainian: "пільга \(slot + 1) на картці пошкоджена; її треба видати заново", english: "entitlement slot \(slot + 1) is damaged; issue it again")
                }
                var terms = entitlement.terms
                if case .pass = terms.product { return entitlement }
                let dates = IssuancePolicy.dates(for: terms.product, requestedUntil: validUntil, today: today)
                terms.validUntil = dates.validUntil
                terms.validFrom = min(terms.validFrom, dates.validUntil)
                terms.issuerKeyID = issuer.keyID
                expiry = max(expiry, dates.cardExpiry)
                if terms == entitlement.terms { return entitlement }
                changed.append(terms.id)
                return try terms.signed(with: issuer.privateKey)
            }
            return try CardUpdatePlan.entitlements(contents, layout: setup.layout, entitlements: renewed, expiryDate: expiry)
        }
        var result = result(.renew, report, now: now)
        result.changedEntitlements = changed
        return result
    }

    /// Adds the benefit `order` in the next free slot, with the next entitlement id; a card that
    /// already holds the same benefit with the same dates (a re-run) is left as it is.
    public func addEntitlement(
        _ order: EntitlementOrder, serial: CardSerial?, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        let today = IssuancePolicy.timeZone.local(at: now).date
        let issuer = try deskDevice(now: now).key
        let category = try IssuancePolicy.category(order.category, in: setup.categories)
        let dates = IssuancePolicy.dates(for: order.product, requestedUntil: order.validUntil, today: today)
        var added: EntitlementID?
        let report = try await update(serial: serial, waiting: waiting, using: &generator) { contents in
            let held = contents.entitlements
            if let same = held.first(where: {
                $0.category == category.code && $0.product == order.product && $0.validFrom == dates.validFrom && $0.validUntil == dates.validUntil
            }) {
                added = same.id
                return try CardUpdatePlan.entitlements(contents, layout: setup.layout, entitlements: held, expiryDate: nil)
            }
            guard held.count == contents.slots.count else {
                throw DeskError(.refused, ukrainian: "на картці є пошкоджена пільга; спершу видайте її заново", english: "the card has a damaged entitlement slot; rewrite it first")
            }
            let id = EntitlementID((held.map(\.id.rawValue).max() ?? 0) + 1)
            added = id
            let terms = EntitlementTerms(
                id: id, cardSerial: contents.info.serial, layoutVersion: layoutVersion, category: category.code, product: order.product,
                validFrom: dates.validFrom, validUntil: dates.validUntil, issuerKeyID: issuer.keyID)
            return try CardUpdatePlan.entitlements(
                contents, layout: setup.layout, entitlements: held + [try terms.signed(with: issuer.privateKey)],
                expiryDate: max(contents.info.expiryDate, dates.cardExpiry))
        }
        var result = result(.entitlementAdded, report, now: now)
        result.changedEntitlements = added.map { [$0] } ?? []
        return result
    }

    /// Ends entitlement `id` from `endDate` (default today): the slot is rewritten with the
    /// entitlement re-signed to end the day before, so validators refuse it from `endDate` on. The
    /// slot is kept (not cleared): the card's history stays readable in a dispute, and the slots
    /// after it and their usage counters do not move. An entitlement that had not started by
    /// then is made to start and end on that last day, which is past by the time it matters.
    public func endEntitlement(
        _ id: EntitlementID, from endDate: CivilDate?, serial: CardSerial?, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        let today = IssuancePolicy.timeZone.local(at: now).date
        let lastDay = (endDate ?? today).adding(days: -1)
        let issuer = try deskDevice(now: now).key
        let report = try await update(serial: serial, waiting: waiting, using: &generator) { contents in
            guard contents.entitlements.contains(where: { $0.id == id }) else {
                throw DeskError(.invalidRequest, ukrainian: "на картці немає пільги №\(id)", english: "the card has no entitlement #\(id)")
            }
            let ended = try contents.entitlements.map { entitlement -> Entitlement in
                guard entitlement.id == id, entitlement.validUntil > lastDay else { return entitlement }
                var terms = entitlement.terms
                terms.validUntil = lastDay
                terms.validFrom = min(terms.validFrom, lastDay)
                terms.issuerKeyID = issuer.keyID
                return try terms.signed(with: issuer.privateKey)
            }
            return try CardUpdatePlan.entitlements(contents, layout: setup.layout, entitlements: ended, expiryDate: nil)
        }
        var result = result(.entitlementEnded, report, now: now)
        result.changedEntitlements = [id]
        return result
    }

    // MARK: Top-up

    /// Credits `amountKopecks` to the purse under receipt `receipt`, exactly once: a re-run with
    /// the same receipt number finds the card's `topUp` record of it and credits nothing.
    public func topUp(
        amountKopecks: Int32, receipt: UInt32, serial: CardSerial?, now: UnixTime, waiting: () -> Void,
        using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        let device = try deskDevice(now: now).device
        let report = try await update(serial: serial, waiting: waiting, using: &generator) { contents in
            if contents.status.isBlocked, !contents.trips.contains(where: { CardUpdatePlan.isTopUp($0, receipt: receipt, deskDevice: device) }) {
                throw DeskError(.refused, ukrainian: "картка \(contents.info.serial) заблокована; заблоковану картку не поповнюють", english: "card \(contents.info.serial) is blocked; a blocked card is not topped up")
            }
            return try CardUpdatePlan.topUp(contents, layout: setup.layout, amountKopecks: amountKopecks, receipt: receipt, at: now, deskDevice: device)
        }
        var result = result(.topUp, report, now: now)
        result.amountKopecks = Int(amountKopecks)
        result.receiptNumber = receipt
        if report.wasAlreadyDone {
            // The credit was made by an earlier run: the balance before it is not this read's.
            result.purseBeforeKopecks = report.before.purseKopecks - Int(amountKopecks)
            if let record = report.before.trips.last(where: { CardUpdatePlan.isTopUp($0, receipt: receipt, deskDevice: device) }) {
                result.at = record.time
            }
        }
        return result
    }

    // MARK: Block, return, reissue

    /// The layout's block reason for a deny-list reason (layouts with a status file keep one).
    static func cardBlockReason(_ reason: DenyList.Reason) -> String {
        switch reason {
        case .lost, .stolen: "lostOrStolen"
        case .fraud: "tampered"
        case .replaced, .other: "holderRequest"
        }
    }

    /// Blocks the card on the reader, as a validator's deny-list block does (a card already
    /// blocked is left as it is). The deny-list report is ``reportBlock(_:reason:to:)``.
    public func blockOnCard(
        reason: DenyList.Reason, serial: CardSerial?, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        let today = IssuancePolicy.timeZone.local(at: now).date
        let device = try deskDevice(now: now).device
        let report = try await update(serial: serial, waiting: waiting, using: &generator) { contents in
            try CardUpdatePlan.block(contents, layout: setup.layout, on: today, reason: Self.cardBlockReason(reason), at: now, deskDevice: device)
        }
        var result = result(.block, report, now: now)
        result.denyListReason = reason
        return result
    }

    /// Reports `serial` to the accounting service for the next deny-list bundle, once: a card
    /// already reported (by an earlier run, or another desk) is not reported again.
    public func reportBlock(_ serial: CardSerial, reason: DenyList.Reason, to service: any DenyListService) async throws -> DenyListReport {
        if let existing = try await service.reportedEntries().first(where: { $0.cardSerial == serial.printed }) { return existing }
        return try await service.report(serial, reason: reason)
    }

    /// Whether the block of `serial` has reached the validators: reported, and listed by the
    /// newest published deny-list bundle that verifies under the community root.
    public func blockPropagation(of serial: CardSerial, service: any DenyListService, now: UnixTime) async throws -> BlockPropagation {
        let root = try setup.directory.root()
        let acceptance = BundleAcceptance(community: setup.layout.layout.community, rootKeyID: root.keyID, rootPublicKey: root.publicKey)
        return BlockPropagation.evaluate(
            serial: serial, reports: try await service.reportedEntries(), bundle: try await service.newestDenyListBundle(), acceptance: acceptance, now: now)
    }

    /// Takes back a card handed in (moved away, death, no longer needed): blocked on the card
    /// (reason `holderRequest` where the layout keeps one), so it can later be wiped and issued
    /// to someone else (``reissue(_:returned:now:waiting:using:)``).
    public func returnCard(
        serial: CardSerial?, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        var result = try await blockOnCard(reason: .other, serial: serial, now: now, waiting: waiting, using: &generator)
        result.action = .return
        result.denyListReason = nil
        return result
    }

    /// Issues a returned (blocked) card `returned` to `order`'s serial: the card is wiped
    /// (FormatPICC, which gives the memory back) and personalized as a blank one. A re-run
    /// finds the card wiped or already issued to the new serial and carries on.
    public func reissue(
        _ order: IssueOrder, returned: CardSerial, now: UnixTime, waiting: () -> Void, using generator: inout some RandomNumberGenerator
    ) async throws -> CardActionResult {
        let wipe = CardWipe(layout: setup.layout, keyring: setup.keyring)
        let (wiped, apdus) = try await reader.withPlacedCard(waiting: waiting) { channel in
            try await wipe.wipe(expecting: returned, reissuingAs: order.serial, on: channel, using: &generator)
        }
        let (report, plan) = try await issueReport(order, now: now, waiting: waiting, using: &generator)
        var result = CardActionResult(action: .reissue, serial: order.serial, at: now, wasAlreadyDone: !wiped && report.wasAlreadyComplete, cardWritten: wiped || !report.wasAlreadyComplete)
        result.formerSerial = returned
        result.entitlements = plan.request.entitlements.map(\.terms)
        result.cardExpiry = plan.request.expiryDate
        result.purseAfterKopecks = Int(plan.expectedPurse)
        result.apduCount = apdus + report.apduCount
        return result
    }
}
