import CardLayout
import DESFire
import Entitlements
import Identifiers
import SmartCard

/// Everything an upgrade from one layout to another writes, computed from what the card holds
/// in its former layout before the new application is touched. Pure.
///
/// The new application gets the same card info (serial, dates, pseudonym), the card's
/// entitlements re-signed for the new layout version (the caller signs: the desk holds the
/// issuer key), the purse's balance as its first credit, and the former trip log, record for
/// record (same times, devices and card sequences, so a validator's pending tap still finds its
/// record), each carrying the card's state in a layout that keeps it in its trip records.
public struct LayoutUpgradePlan: Hashable, Sendable {
    /// The layout the card has now.
    public let from: SocialCardLayout
    /// What the new application is personalized with.
    public let personalization: PersonalizationPlan
    /// What the card held in its former layout when the plan was made.
    public let source: SocialCardContents

    /// The layout the card gets.
    public var to: SocialCardLayout { personalization.layout }

    /// Builds the plan. `entitlements` are the card's entitlements in slot order, re-signed for
    /// `to` (same ids, serial and terms but the layout version). Throws `invalid-request` when
    /// the card cannot be carried over: a malformed slot, more counted entitlements than `to`
    /// counts, a trip `to`'s records cannot hold.
    public init(from: SocialCardLayout, to: SocialCardLayout, source: SocialCardContents, entitlements: [Entitlement]) throws(SocialCardError) {
        guard from.applicationID != to.applicationID else {
            throw SocialCardError(.invalidRequest, "an upgrade creates the new layout's application beside the old one; \(to.layout.id) has the same AID")
        }
        guard source.info.layoutVersion == from.layout.version else {
            throw SocialCardError(.invalidRequest, "the card is of layout v\(source.info.layoutVersion), not \(from.layout.id)")
        }
        guard source.slots.allSatisfy({ $0.entitlement != nil }),
              entitlements.map(\.id) == source.entitlements.map(\.id) else {
            throw SocialCardError(.invalidRequest, "every slot must hold a readable entitlement, re-signed in the same order (the desk rewrites a damaged one first)")
        }
        // A layout with a shorter pseudonym (v3: 8 bytes, v1 and v2: 16) keeps its first bytes:
        // still random, and the desk registry finds the holder by them.
        guard source.info.holderPseudonym.count >= to.pseudonymLength else {
            throw SocialCardError(.invalidRequest, "\(to.layout.id) keeps a \(to.pseudonymLength)-byte pseudonym; the card has \(source.info.holderPseudonym.count) bytes")
        }
        let request = IssuanceRequest(
            serial: source.info.serial, issueDate: source.info.issueDate, expiryDate: source.info.expiryDate,
            holderPseudonym: Array(source.info.holderPseudonym.prefix(to.pseudonymLength)), entitlements: entitlements, purseKopecks: Int32(clamping: source.purseKopecks),
            issuedAt: source.trips.last?.time ?? UnixTime(0), issuerDeviceID: source.trips.last?.deviceID ?? 0)

        // The state each carried record holds: the card's now.
        var records: [[UInt8]] = []
        if to.keepsStateInTripRecords {
            let counted = to.countedSlot(source.slots)
            var state = TripRecordState(balanceKopecks: source.purseKopecks, counterPeriodStart: CivilDate(cardEpochDays: 0), counterRides: 0)
            if let counted, counted < source.counters.count, source.counters[counted].entitlementID == source.slots[counted].entitlement?.id {
                state.counterPeriodStart = source.counters[counted].periodStart
                state.counterRides = source.counters[counted].ridesUsed
            }
            let countedSlots = source.slots.filter { if case .rides? = $0.entitlement?.product { true } else { false } }.count
            guard countedSlots <= to.counterCount else {
                throw SocialCardError(.invalidRequest, "\(to.layout.id) counts rides of \(to.counterCount) entitlement; the card has \(countedSlots)")
            }
            for var trip in source.trips.suffix(SocialCardLayout.readableRecords(to.tripLog)) {
                trip.state = state
                if source.status.isBlocked { trip.flags.insert("cardBlocked") }
                records.append(try to.encode(trip))
            }
        } else {
            for trip in source.trips.suffix(SocialCardLayout.readableRecords(to.tripLog)) { records.append(try to.encode(trip)) }
        }
        guard !records.isEmpty else {
            throw SocialCardError(.invalidRequest, "the card's trip log is empty; nothing says its state")
        }
        self.from = from
        self.source = source
        personalization = try PersonalizationPlan(layout: to, request: request, tripRecords: records)
    }
}

/// Moves a card from its former layout to a new one in one visit, restartably, so that at every
/// instant exactly one application is the card for every validator, whichever layout it tries
/// first.
///
/// 1. The new application is personalized beside the former one (``Personalization``:
///    application, keys, files, entitlements, then one transaction of the purse's credit and the
///    first carried record, one transaction per further record), all but its card info. Without
///    card info it is not complete: validators pass it over and read the card by the former
///    application, and the next run resumes the new one where it stopped.
/// 2. The former application is marked: its card info's layout version is rewritten to the new
///    layout's (one WriteData of that field with the former's issue key). A validator reading
///    the former layout sees the mark in the card info it reads anyway and tries the new layout;
///    while that one is not complete, the former is still the card (``SocialCardSession``).
/// 3. The new application's card info is written: from this WriteData on it is the card, for a
///    validator trying either layout first (the former's mark sends it on to the new one).
/// 4. The former application is deleted at the card level. A tear before the deletion: the next
///    run finds the new application complete and only deletes.
///
/// Why a mark and not the deletion alone: two applications cannot change in one atomic step,
/// and a validator learns nothing about an application it does not select. Deleting the former
/// application last left a window (complete new application beside an unmarked former one) in
/// which a validator trying the older layout first rode on the former's balance and counters,
/// which the re-run then deleted. With the mark first, the window left is the other one (marked
/// former beside an incomplete new one), which a validator resolves by trying the new layout,
/// an APDU cost paid only by a card torn there.
///
/// DESFire EV1 gives no memory back on DeleteApplication (only FormatPICC does), so the card
/// must hold both applications once: the Nemishaieve v1 and v2 together take 1984 of a 2 KB
/// card's 2048 bytes, v1 and v3 (smaller than v2) less. A card already upgraded once still
/// carries its first application's memory, so it may not have room for a second upgrade.
public struct LayoutUpgrade: Sendable {
    /// What the card holds, seen by the desk before the upgrade.
    public enum Progress: Hashable, Sendable {
        /// The former layout is the card (the new application absent or not complete).
        case former(SocialCardContents)
        /// The new application is complete; the former one is still there, to delete.
        case completeBesideFormer(SocialCardContents)
        /// Upgraded: the new application alone.
        case upgraded(SocialCardContents)
    }

    /// The layout the card has now.
    public let from: SocialCardLayout
    /// The layout the card gets.
    public let to: SocialCardLayout
    /// The community's card master keys (all roles).
    public let keyring: CardKeyring

    /// An upgrade from `from` to `to` with keys from `keyring`.
    public init(from: SocialCardLayout, to: SocialCardLayout, keyring: CardKeyring) {
        self.from = from
        self.to = to
        self.keyring = keyring
    }

    /// Reads where the card stands. Throws the reader's errors: a card with neither application
    /// is `no-application`.
    public func progress<Channel: CardChannel>(
        of channel: Channel, using generator: inout some RandomNumberGenerator
    ) async throws -> Progress {
        let newContents: SocialCardContents?
        do {
            newContents = try await SocialCardReader(layout: to, keyring: keyring).read(from: channel, purpose: .desk, trips: .all, using: &generator)
        } catch let error as SocialCardError where [.noApplication, .personalizationIncomplete, .notOurCard].contains(error.code) {
            // Absent, or torn before its keys or card info were written: the former layout is the card.
            newContents = nil
        }
        do {
            // Marked or not: a run torn after the mark still reads the former application.
            let former = try await SocialCardReader(layout: from, keyring: keyring).read(
                from: channel, purpose: .desk, trips: .all, readingSuperseded: true, using: &generator)
            if let newContents { return .completeBesideFormer(newContents) }
            return .former(former)
        } catch let error as SocialCardError where error.code == .noApplication {
            guard let newContents else { throw error }
            return .upgraded(newContents)
        }
    }

    /// Runs (or resumes) the upgrade `plan` made from ``Progress/former(_:)``, or, with `plan`
    /// nil, only deletes the former application of a card whose new one is complete.
    public func run<Channel: CardChannel>(
        _ plan: LayoutUpgradePlan?, on channel: Channel, using generator: inout some RandomNumberGenerator
    ) async throws -> PersonalizationReport {
        var report = PersonalizationReport()
        if let plan {
            // The desk's reads left a session in the former application; the personalization
            // starts at the card level, as on a card just placed.
            var fresh = DESFireCard(channel: channel)
            try await fresh.selectApplication(.picc)
            let personalization = Personalization(plan: plan.personalization, keyring: keyring)
            let pending: Bool
            (report, pending) = try await personalization.run(on: channel, leavingCardInfo: true, using: &generator)
            report.apduCount += fresh.apduCount
            if pending {
                if plan.source.supersededBy != to.layout.version {
                    report.apduCount += try await markFormer(plan, on: channel, uid: report.uid, using: &generator)
                    report.steps.append(.markedFormerApplication)
                }
                report.apduCount += try await personalization.writeCardInfo(
                    on: channel, uid: report.uid, keyVersion: report.keyVersion, using: &generator)
                report.steps.append(.wroteCardInfo)
            }
        }
        var card = DESFireCard(channel: channel)
        let uid = try await channel.readUID()
        // The card level, which also ends whatever session the reads or the personalization left.
        try await card.selectApplication(.picc)
        let piccVersion = try await card.getKeyVersion(keyNumber: 0)
        guard keyring.holds(version: piccVersion) else {
            throw SocialCardError(.notOurCard, "the card-level key has version \(piccVersion), which is not one of this community's")
        }
        let piccKey = try keyring.cardKeys(uid: uid, application: to.applicationID, version: piccVersion).piccMaster()
        do {
            try await card.authenticateAES(keyNumber: 0, key: piccKey, using: &generator)
        } catch let error as DESFireError where error.code == .authenticationError || error.code == .integrityError {
            throw SocialCardError(.notOurCard, "the community's card-level key v\(piccVersion) does not open this card (\(error.code))")
        }
        if try await card.getApplicationIDs().contains(from.applicationID) {
            try await card.deleteApplication(from.applicationID)
            report.steps.append(.deletedFormerApplication)
        }
        report.uid = uid
        report.apduCount += card.apduCount + 1
        return report
    }

    /// Writes the new layout's version into the former application's card info (its
    /// `layoutVersion` field alone, with the former's issue key). Returns the APDUs sent.
    private func markFormer<Channel: CardChannel>(
        _ plan: LayoutUpgradePlan, on channel: Channel, uid: [UInt8], using generator: inout some RandomNumberGenerator
    ) async throws -> Int {
        guard let field = from.format(from.cardInfo).fields.first(where: { $0.name == "layoutVersion" }) else {
            throw SocialCardError(.layoutUnsupported, "\(from.layout.id): card info has no layoutVersion field")
        }
        // The field's bytes as the layout encodes them, from the card info with the new version.
        var marked = plan.source.info
        marked.layoutVersion = to.layout.version
        let bytes = Array(try from.encode(marked)[field.offset..<(field.offset + field.width)])
        var card = DESFireCard(channel: channel)
        try await card.selectApplication(from.applicationID)
        let key = try keyring.cardKeys(uid: uid, application: from.applicationID, version: plan.source.keyVersion).applicationKey(.issue)
        do {
            try await card.authenticateAES(keyNumber: from.keyNumber(.issue), key: key, using: &generator)
        } catch let error as DESFireError where error.code == .authenticationError || error.code == .integrityError {
            throw SocialCardError(.notOurCard, "the former application's issue key v\(plan.source.keyVersion) does not open it (\(error.code))")
        }
        try await card.writeData(
            file: SocialCardLayout.fileNumber(from.cardInfo), offset: from.cardInfo.offset + field.offset, data: bytes,
            mode: SocialCardLayout.communicationMode(from.cardInfo))
        return card.apduCount
    }
}
