import CardLayout
import DESFire
import Entitlements
import SmartCard

/// Reads a personalized social card with as few APDUs as the layout allows.
///
/// One pass: select the application, the UID (a reader-side GET DATA, no radio traffic on a real
/// reader), authenticate, then card info (which says how many entitlement slots are used; in a
/// layout whose slots follow it in the same file, with the first slot in the same read), only
/// the used slots, the purse, only the used counters, the status and the newest trip records. A
/// layout keeping the card's state in its trip records (v2) skips the purse (for a validator:
/// the desk reads the authority), the counters and the status: the newest record says them.
/// A key version query is sent only when more than one version of the keys is held.
///
/// Which key opens which file comes from the layout's access rights: a validator's `validate`
/// key reads everything in one session; the desk's `issue` key reads card info, entitlements and
/// purse, and its `read` key the rest (one more authentication).
public struct SocialCardReader: Sendable {
    /// Who is reading, which decides the keys tried, in order.
    public enum Purpose: Hashable, Sendable {
        /// A bus validator: the `validate` key only.
        case validator
        /// The issuance desk: the `issue` key, then the `read` key for what it cannot read.
        case desk

        var roles: [CardKeyRole] {
            switch self {
            case .validator: [.validate]
            case .desk: [.issue, .read]
            }
        }
    }

    /// How much of the trip log to read.
    public enum TripLogRead: Hashable, Sendable {
        /// Every record (up to ten on the Nemishaieve card: several frames).
        case all
        /// The newest `count` records (one frame for one or two records).
        case newest(Int)
    }

    /// The layout the card must have.
    public let layout: SocialCardLayout
    /// The card master keys held.
    public let keyring: CardKeyring

    /// A reader for cards of `layout` with keys from `keyring`.
    public init(layout: SocialCardLayout, keyring: CardKeyring) {
        self.layout = layout
        self.keyring = keyring
    }

    /// Reads the card behind `channel`.
    ///
    /// Throws `no-application` for a card without the layout's application,
    /// `not-our-card` when the keys do not open it, `personalization-incomplete` when the card
    /// info is not written, `layout-version-unknown` / `other-community` for another layout or
    /// community, `malformed-file` for contents that do not decode (a torn entitlement slot is not
    /// an error: the slot reads as `.malformed`). The card's own failures pass through.
    ///
    /// An upgrade's former application whose card info names the newer layout it moves to
    /// (``LayoutUpgrade``) is refused as `layout-version-unknown`, as any other layout's card
    /// would be; with `readingSuperseded` it is read, and ``SocialCardContents/supersededBy``
    /// says the newer version (the desk reads it so to finish the upgrade).
    public func read<Channel: CardChannel>(
        from channel: Channel, purpose: Purpose, trips: TripLogRead = .newest(1), readingSuperseded: Bool = false,
        using generator: inout some RandomNumberGenerator
    ) async throws -> SocialCardContents {
        try await readKeepingSession(
            from: channel, purpose: purpose, trips: trips, superseded: readingSuperseded ? .read : .refuse, using: &generator
        ).contents
    }

    /// What a read does with an upgrade's former application, whose card info names a newer
    /// layout version than the reader's (``LayoutUpgrade`` writes it just before the new
    /// application's card info).
    enum SupersededHandling {
        /// Refuse it as `layout-version-unknown`, as any other layout's card.
        case refuse
        /// Stop right after the card info with ``SupersededApplication``: a validator tries the
        /// newer layout before it decides this application is still the card.
        case stop
        /// Read it as this layout's card, with ``SocialCardContents/supersededBy`` set.
        case read
    }

    /// Thrown by a read with ``SupersededHandling/stop`` on an upgrade's former application.
    struct SupersededApplication: Error {
        /// The layout version its card info names: the upgrade's target.
        let successorVersion: Int
        /// APDUs the read took until it stopped, including the UID's GET DATA.
        let apduCount: Int
    }

    /// Reads the card as ``read(from:purpose:trips:using:)`` does and hands back the client
    /// with the session the read ended in, so a tap's writes go on in the same authentication
    /// (two APDUs fewer than authenticating again).
    func readKeepingSession<Channel: CardChannel>(
        from channel: Channel, purpose: Purpose, trips: TripLogRead, superseded: SupersededHandling = .refuse,
        using generator: inout some RandomNumberGenerator
    ) async throws -> (contents: SocialCardContents, card: DESFireCard<Channel>) {
        var card = DESFireCard(channel: channel)
        let aid = layout.applicationID
        do {
            try await card.selectApplication(aid)
        } catch let error as DESFireError where error.code == .applicationNotFound {
            throw SocialCardError(.noApplication, "the card has no application \(layout.layout.application.aid) (\(layout.layout.id))")
        } catch let error as DESFireError where error.code == .unexpectedStatusWord || error.code == .illegalCommand {
            throw SocialCardError(.notOurCard, "the card does not answer as a DESFire card (\(error.code))")
        }
        let uid = try await channel.readUID()
        var apduCount = 1

        let roles = purpose.roles
        let firstKeyNumber = layout.keyNumber(roles[0])
        let version: UInt8
        if keyring.sets.count == 1 {
            version = keyring.newestVersion
        } else {
            version = try await card.getKeyVersion(keyNumber: firstKeyNumber)
        }
        let keys = try keyring.cardKeys(uid: uid, application: aid, version: version)
        var session = Session(roles: roles)
        func open(_ file: FileSpec, _ card: inout DESFireCard<Channel>) async throws {
            guard let role = roles.first(where: { layout.layout.operations(allowedTo: $0, on: file).contains(readOperation(file)) }) else {
                throw SocialCardError(.missingKey, "none of the keys \(roles.map(\.rawValue)) may read \(file.name)")
            }
            if session.role == role { return }
            let key = try keys.applicationKey(role)
            do {
                try await card.authenticateAES(keyNumber: layout.keyNumber(role), key: key, using: &generator)
            } catch let error as DESFireError where error.code == .authenticationError || error.code == .cardAuthenticationFailed
                || error.code == .integrityError || error.code == .noSuchKey {
                throw SocialCardError(.notOurCard, "the \(role.rawValue) key v\(version) does not open this card (\(error.code))")
            }
            session.role = role
        }

        // Card info: it says how many slots to read. Where the slots follow it in the same file
        // (v3), the first slot comes in the same ReadData: most cards hold one entitlement.
        try await open(layout.cardInfo, &card)
        let infoSize = SocialCardLayout.dataSize(layout.cardInfo)
        let slotSize = layout.entitlementSlotSize
        let slotsWithInfo = layout.readsFirstSlotWithCardInfo && layout.entitlementSlotCount > 0 ? 1 : 0
        let firstRead: [UInt8]
        do {
            firstRead = try await card.readData(
                file: SocialCardLayout.fileNumber(layout.cardInfo), offset: layout.cardInfo.offset,
                length: infoSize + slotsWithInfo * slotSize, mode: SocialCardLayout.communicationMode(layout.cardInfo))
        } catch let error as DESFireError where error.code == .fileNotFound {
            // Files are created before card info is written: a personalization (or upgrade) torn early.
            throw SocialCardError(.personalizationIncomplete, "the card's application has no card info file yet; finish it at the desk")
        }
        let infoBytes = Array(firstRead.prefix(infoSize))
        guard var info = try layout.decodeCardInfo(infoBytes) else {
            throw SocialCardError(.personalizationIncomplete, "the card's application exists but its card info is not written; finish it at the desk")
        }
        var supersededBy: Int?
        if info.layoutVersion != layout.layout.version {
            // A newer version in this layout's own application is an upgrade's mark: the desk
            // rewrote it just before completing the new layout's application. Nothing else
            // changed, so the rest reads as this layout's.
            guard info.layoutVersion > layout.layout.version, superseded != .refuse else {
                throw SocialCardError(.layoutVersionUnknown, "the card says layout version \(info.layoutVersion); this reader knows \(layout.layout.id)")
            }
            if superseded == .stop {
                throw SupersededApplication(successorVersion: info.layoutVersion, apduCount: apduCount + card.apduCount)
            }
            supersededBy = info.layoutVersion
            info.layoutVersion = layout.layout.version
        }
        guard info.communityCode == layout.communityCode else {
            throw SocialCardError(.otherCommunity, "the card's community code is \(info.communityCode), \(layout.layout.community)'s is \(layout.communityCode)")
        }
        guard info.entitlementSlotsUsed <= layout.entitlementSlotCount,
              info.entitlementSlotsUsed <= layout.usageCounters?.repeatCount ?? layout.entitlementSlotCount else {
            throw SocialCardError(.malformedFile, "card info says \(info.entitlementSlotsUsed) entitlement slots; the card has \(layout.entitlementSlotCount)")
        }
        let used = info.entitlementSlotsUsed

        var slots: [EntitlementSlotContent] = []
        if used > 0 {
            var bytes = Array(firstRead.dropFirst(infoSize))
            if used > slotsWithInfo {
                try await open(layout.entitlements, &card)
                bytes += try await card.readData(
                    file: SocialCardLayout.fileNumber(layout.entitlements), offset: layout.entitlements.offset + slotsWithInfo * slotSize,
                    length: (used - slotsWithInfo) * slotSize, mode: SocialCardLayout.communicationMode(layout.entitlements))
            }
            for slot in 0..<used {
                do {
                    if let entitlement = try layout.decodeSlot(Array(bytes[slot * slotSize..<(slot + 1) * slotSize]), info: info) {
                        slots.append(.entitlement(entitlement))
                    } else {
                        slots.append(.empty)
                    }
                } catch {
                    slots.append(.malformed(error.reason))
                }
            }
        }

        // A layout keeping the state in its trip records gives a validator the balance in the
        // newest record; the desk asks the purse itself, the authority.
        var purse: Int32 = 0
        if !layout.keepsStateInTripRecords || purpose == .desk {
            try await open(layout.purse, &card)
            purse = try await card.getValue(file: SocialCardLayout.fileNumber(layout.purse), mode: SocialCardLayout.communicationMode(layout.purse))
        }

        var counters: [UsageCounterRecord] = []
        var status = CardStatus(isBlocked: false, blockedOn: CivilDate(cardEpochDays: 0), blockReason: "none")
        if let counterFile = layout.usageCounters, let statusFile = layout.status {
            if used > 0 {
                try await open(counterFile, &card)
                let size = layout.format(counterFile).size
                let bytes = try await card.readData(
                    file: SocialCardLayout.fileNumber(counterFile), length: used * size,
                    mode: SocialCardLayout.communicationMode(counterFile))
                counters = try layout.decodeCounters(bytes)
            }

            try await open(statusFile, &card)
            let statusBytes = try await card.readData(
                file: SocialCardLayout.fileNumber(statusFile), length: SocialCardLayout.dataSize(statusFile),
                mode: SocialCardLayout.communicationMode(statusFile))
            status = try layout.decodeStatus(statusBytes)
        }

        // The trip log last: an empty log answers a boundary error, which ends the session.
        try await open(layout.tripLog, &card)
        let tripFile = SocialCardLayout.fileNumber(layout.tripLog)
        let tripMode = SocialCardLayout.communicationMode(layout.tripLog)
        let recordSize = SocialCardLayout.recordSize(layout.tripLog)
        var records: [[UInt8]] = []
        do {
            switch trips {
            case .all:
                records = try await card.readAllRecords(
                    file: tripFile, recordSize: recordSize, maxRecords: SocialCardLayout.readableRecords(layout.tripLog), mode: tripMode)
            case .newest(let count):
                if count > 0 {
                    records = try await card.readRecords(
                        file: tripFile, count: min(count, SocialCardLayout.readableRecords(layout.tripLog)), recordSize: recordSize, mode: tripMode)
                }
            }
        } catch let error as DESFireError where error.code == .boundaryError {
            // Fewer records than asked for (a card whose issue record is gone can hold none).
            records = []
            if case .newest(let count) = trips, count > 1 {
                session.role = nil
                try await open(layout.tripLog, &card)
                do {
                    records = try await card.readAllRecords(
                        file: tripFile, recordSize: recordSize, maxRecords: SocialCardLayout.readableRecords(layout.tripLog), mode: tripMode)
                } catch let error as DESFireError where error.code == .boundaryError {
                    records = []
                }
            }
        }
        let decodedTrips = try layout.decodeTrips(records)
        if layout.keepsStateInTripRecords {
            guard let newest = decodedTrips.last, let state = newest.state else {
                throw SocialCardError(.malformedFile, "\(layout.layout.id) keeps the card's state in its trip records, and the card holds none")
            }
            if purpose == .validator { purse = Int32(clamping: state.balanceKopecks) }
            counters = layout.counters(from: state, slots: slots)
            status = layout.status(fromTrips: decodedTrips)
        }
        apduCount += card.apduCount
        var contents = SocialCardContents(
            uid: uid, keyVersion: version, info: info, slots: slots, purseKopecks: Int(purse), counters: counters,
            trips: decodedTrips, status: status, apduCount: apduCount)
        contents.supersededBy = supersededBy
        return (contents, card)
    }

    private struct Session {
        let roles: [CardKeyRole]
        var role: CardKeyRole?
    }

    private func readOperation(_ file: FileSpec) -> FileOperation {
        switch file.kind {
        case .standard, .backup: .readData
        case .value: .getValue
        case .linearRecord, .cyclicRecord: .readRecords
        }
    }
}
