import CardLayout
import DESFire
import Identifiers
import SmartCard

/// What one run of a ``CardUpdate`` found and did.
public struct CardUpdateReport: Hashable, Sendable {
    /// One thing written.
    public enum Step: Hashable, Sendable, CustomStringConvertible {
        /// An entitlement slot written.
        case wroteEntitlementSlot(Int)
        /// The transaction committed (credit, status, record).
        case committedTransaction(creditKopecks: Int32, recordKind: String)
        /// The card info written.
        case wroteCardInfo

        public var description: String {
            switch self {
            case .wroteEntitlementSlot(let slot): "entitlement slot \(slot) written"
            case .committedTransaction(let credit, let kind): "\(kind) recorded\(credit > 0 ? ", purse credited with \(credit)" : "")"
            case .wroteCardInfo: "card info written"
            }
        }
    }

    /// The card as read before anything was written.
    public var before: SocialCardContents
    /// The plan the run carried out (empty when an earlier run finished it).
    public var plan: CardUpdatePlan
    /// What this run wrote, in order; empty when the action was already done.
    public var steps: [Step]
    /// APDUs sent, the read included.
    public var apduCount: Int

    /// Whether the action was already done and this run wrote nothing.
    public var wasAlreadyDone: Bool { steps.isEmpty }
}

/// Carries out a desk action on an issued card, restartably: one read of everything (the desk's
/// `issue` and `read` keys, every trip record), the plan made from what was read by the caller's
/// pure `plan` function, then the writes with the `issue` key in the order ``CardUpdatePlan``
/// describes.
///
/// A run torn at any APDU leaves a card a re-run recognises: slots already written compare equal
/// and are skipped, a committed transaction has left its trip record (or the blocked status) and
/// is not repeated, the card info is rewritten only if it differs. A torn slot reads as
/// `.malformed` and is simply written again. A card pulled away throws the channel's `CardError`.
public struct CardUpdate: Sendable {
    /// The card's layout.
    public let layout: SocialCardLayout
    /// The community's card master keys (the `issue` and `read` roles at least).
    public let keyring: CardKeyring

    /// An update of cards of `layout` with keys from `keyring`.
    public init(layout: SocialCardLayout, keyring: CardKeyring) {
        self.layout = layout
        self.keyring = keyring
    }

    /// Reads the card, asks `plan` what to write, and writes it. `serial`, when given, is the
    /// card the desk means: any other is refused (`invalid-request`) before anything is written.
    public func run<Channel: CardChannel>(
        on channel: Channel, expecting serial: CardSerial? = nil, using generator: inout some RandomNumberGenerator,
        plan makePlan: (SocialCardContents) throws -> CardUpdatePlan
    ) async throws -> CardUpdateReport {
        let reader = SocialCardReader(layout: layout, keyring: keyring)
        var (contents, card) = try await reader.readKeepingSession(from: channel, purpose: .desk, trips: .all, using: &generator)
        let handedOver = card.apduCount
        if let serial, contents.info.serial != serial {
            throw SocialCardError(.invalidRequest, "the card on the reader is \(contents.info.serial), not \(serial)")
        }
        let plan = try makePlan(contents)
        guard plan.serial == contents.info.serial, plan.layout == layout else {
            throw SocialCardError(.invalidRequest, "the plan is for card \(plan.serial), the card is \(contents.info.serial)")
        }
        var report = CardUpdateReport(before: contents, plan: plan, steps: [], apduCount: contents.apduCount)
        guard !plan.isEmpty else { return report }

        let keys = try keyring.cardKeys(uid: contents.uid, application: layout.applicationID, version: contents.keyVersion)
        try await card.authenticateAES(keyNumber: layout.keyNumber(.issue), key: try keys.applicationKey(.issue), using: &generator)

        let slotsFile = SocialCardLayout.fileNumber(layout.entitlements)
        let slotsMode = SocialCardLayout.communicationMode(layout.entitlements)
        for write in plan.slotWrites {
            try await card.writeData(file: slotsFile, offset: write.slot * layout.entitlementSlotSize, data: write.bytes, mode: slotsMode)
            report.steps.append(.wroteEntitlementSlot(write.slot))
        }
        if let transaction = plan.transaction {
            if transaction.creditKopecks > 0 {
                try await card.credit(
                    file: SocialCardLayout.fileNumber(layout.purse), amount: transaction.creditKopecks,
                    mode: SocialCardLayout.communicationMode(layout.purse))
            }
            if let statusBytes = transaction.statusBytes, let status = layout.status {
                try await card.writeData(
                    file: SocialCardLayout.fileNumber(status), data: statusBytes, mode: SocialCardLayout.communicationMode(status))
            }
            try await card.writeRecord(
                file: SocialCardLayout.fileNumber(layout.tripLog), data: transaction.recordBytes,
                mode: SocialCardLayout.communicationMode(layout.tripLog))
            try await card.commitTransaction()
            report.steps.append(.committedTransaction(creditKopecks: transaction.creditKopecks, recordKind: transaction.record.kind))
        }
        if let info = plan.cardInfoBytes {
            try await card.writeData(
                file: SocialCardLayout.fileNumber(layout.cardInfo), data: info, mode: SocialCardLayout.communicationMode(layout.cardInfo))
            report.steps.append(.wroteCardInfo)
        }
        report.apduCount += card.apduCount - handedOver
        return report
    }
}

/// Wipes a card handed back to the desk so it can be personalized for someone else: FormatPICC
/// at the card level with the community's PICC key, which deletes every application and gives
/// its memory back (DeleteApplication does not, on DESFire EV1), keeping the PICC key.
///
/// Restartable: FormatPICC is one command; a card whose application is gone has nothing to wipe
/// (``wipe(_:expecting:on:using:)`` then does nothing), and ``Personalization`` then issues it as
/// it would a blank card (it authenticates with the community's PICC key by its version).
public struct CardWipe: Sendable {
    /// The layout whose application is wiped.
    public let layout: SocialCardLayout
    /// The community's card master keys.
    public let keyring: CardKeyring

    /// A wipe of `layout`'s cards with `keyring`.
    public init(layout: SocialCardLayout, keyring: CardKeyring) {
        self.layout = layout
        self.keyring = keyring
    }

    /// Formats the card if it holds `layout`'s application and that application is `serial`'s
    /// blocked card (a card is wiped only after it was returned and blocked). Returns whether it
    /// formatted. A card already without the application, or already issued as `newSerial` (a
    /// re-run after the new personalization), is left alone.
    public func wipe<Channel: CardChannel>(
        expecting serial: CardSerial, reissuingAs newSerial: CardSerial, on channel: Channel, using generator: inout some RandomNumberGenerator
    ) async throws -> (formatted: Bool, apduCount: Int) {
        var apdus = 0
        // Every way out leaves the card at the card level, unauthenticated, as a personalization
        // that follows on the same connection expects (it starts as on a card just placed).
        func leave() async throws -> Int {
            var fresh = DESFireCard(channel: channel)
            try await fresh.selectApplication(.picc)
            return 1
        }
        do {
            let contents = try await SocialCardReader(layout: layout, keyring: keyring).read(from: channel, purpose: .desk, trips: .newest(1), using: &generator)
            apdus += contents.apduCount
            if contents.info.serial == newSerial { return (false, apdus + (try await leave())) }
            guard contents.info.serial == serial else {
                throw SocialCardError(.invalidRequest, "the card on the reader is \(contents.info.serial), not \(serial)")
            }
            guard contents.status.isBlocked else {
                throw SocialCardError(.invalidRequest, "card \(serial) is not blocked; a card is wiped only once it was returned (and blocked)")
            }
        } catch let error as SocialCardError where [.noApplication, .personalizationIncomplete].contains(error.code) {
            // Already wiped, or a half-made card: the personalization carries on from here.
            return (false, apdus + 1 + (try await leave()))
        }
        var card = DESFireCard(channel: channel)
        let uid = try await channel.readUID()
        try await card.selectApplication(.picc)
        let version = try await card.getKeyVersion(keyNumber: 0)
        guard keyring.holds(version: version) else {
            throw SocialCardError(.notOurCard, "the card-level key has version \(version), which is not one of this community's")
        }
        let piccKey = try keyring.cardKeys(uid: uid, application: layout.applicationID, version: version).piccMaster()
        try await card.authenticateAES(keyNumber: 0, key: piccKey, using: &generator)
        try await card.formatPICC()
        // End the card-level session, so a personalization that follows on the same connection
        // starts as on a card just placed (it sends its first command unauthenticated).
        try await card.selectApplication(.picc)
        return (true, apdus + card.apduCount + 1)
    }
}
