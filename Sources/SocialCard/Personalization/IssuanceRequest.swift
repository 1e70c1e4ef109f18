import CardLayout
import DESFire
import Entitlements
import Identifiers

/// What the desk wants on a new card: who (as a serial and a pseudonym), which signed
/// entitlements, and how much in the purse.
///
/// Everything random or time-dependent is decided before the card is touched and carried here,
/// so a personalization that is torn and run again writes exactly the same bytes.
public struct IssuanceRequest: Hashable, Sendable {
    /// The community card number (entitlements must be bound to it).
    public var serial: CardSerial
    /// The local date of issue.
    public var issueDate: CivilDate
    /// The last local date the card is valid.
    public var expiryDate: CivilDate
    /// The holder's random pseudonym (the layout's field width, 16 bytes in v1).
    public var holderPseudonym: [UInt8]
    /// The signed entitlements, one per slot from the first.
    public var entitlements: [Entitlement]
    /// The purse's first credit, in kopecks (0: none).
    public var purseKopecks: Int32
    /// When the card is issued (the trip log's `issued` record carries it).
    public var issuedAt: UnixTime
    /// The number the `issued` record carries as its device: the issuer key's id.
    public var issuerDeviceID: UInt32

    /// Creates a request.
    public init(
        serial: CardSerial, issueDate: CivilDate, expiryDate: CivilDate, holderPseudonym: [UInt8],
        entitlements: [Entitlement], purseKopecks: Int32, issuedAt: UnixTime, issuerDeviceID: UInt32
    ) {
        self.serial = serial
        self.issueDate = issueDate
        self.expiryDate = expiryDate
        self.holderPseudonym = holderPseudonym
        self.entitlements = entitlements
        self.purseKopecks = purseKopecks
        self.issuedAt = issuedAt
        self.issuerDeviceID = issuerDeviceID
    }

    /// A pseudonym of `length` bytes from `generator` (the desk passes the system's CSPRNG).
    public static func randomPseudonym(length: Int = 16, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < length {
            var word = generator.next()
            for _ in 0..<8 where bytes.count < length {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes
    }
}

/// Every byte and parameter a personalization writes, computed from the layout and the request
/// before the card is touched. Pure; tests check it without a card.
public struct PersonalizationPlan: Hashable, Sendable {
    /// The layout.
    public let layout: SocialCardLayout
    /// The request.
    public let request: IssuanceRequest
    /// The key settings of the card level after personalization.
    public let piccKeySettings: KeySettings
    /// The key settings of the application.
    public let applicationKeySettings: KeySettings
    /// The files to create, in layout order, with exactly the settings they get.
    public let files: [FileCreation]
    /// The card info file's bytes.
    public let cardInfoBytes: [UInt8]
    /// The bytes of the used entitlement slots, back to back from offset 0.
    public let entitlementBytes: [UInt8]
    /// The trip log's `issued` record.
    public let issuedRecordBytes: [UInt8]
    /// The trip records the personalization leaves, oldest first, each in a transaction of its
    /// own, the first with the purse's credit: the `issued` record for a new card, the records
    /// carried over for a card upgraded from another layout (``LayoutUpgradePlan``).
    public let tripRecordBytes: [[UInt8]]

    /// The card level keeps its master key changeable and its directory listable (so any reader
    /// can see which applications a card has), but creating or deleting applications needs the
    /// community's PICC key: a blank card's "anyone may create" setting is withdrawn.
    public static let defaultPICCKeySettings = KeySettings(
        changeKeyAccess: .masterKey, settingsChangeable: true, freeCreateDelete: false,
        freeDirectoryListing: true, masterKeyChangeable: true)

    /// The application: only its master key changes keys, settings and files, and lists them.
    public static let defaultApplicationKeySettings = KeySettings(
        changeKeyAccess: .masterKey, settingsChangeable: true, freeCreateDelete: false,
        freeDirectoryListing: false, masterKeyChangeable: true)

    /// Builds the plan; throws `invalid-request` when the request does not fit the layout.
    public init(
        layout: SocialCardLayout, request: IssuanceRequest,
        piccKeySettings: KeySettings = defaultPICCKeySettings,
        applicationKeySettings: KeySettings = defaultApplicationKeySettings
    ) throws(SocialCardError) {
        try self.init(layout: layout, request: request, tripRecords: nil, piccKeySettings: piccKeySettings, applicationKeySettings: applicationKeySettings)
    }

    /// The plan of a card whose trip log starts with `tripRecords` (encoded for `layout`)
    /// instead of an `issued` record.
    init(
        layout: SocialCardLayout, request: IssuanceRequest, tripRecords: [[UInt8]]?,
        piccKeySettings: KeySettings = defaultPICCKeySettings,
        applicationKeySettings: KeySettings = defaultApplicationKeySettings
    ) throws(SocialCardError) {
        guard request.entitlements.count <= layout.entitlementSlotCount else {
            throw SocialCardError(.invalidRequest, "the card has \(layout.entitlementSlotCount) entitlement slots, \(request.entitlements.count) entitlements given")
        }
        if let counters = layout.usageCounters {
            guard request.entitlements.count <= counters.repeatCount else {
                throw SocialCardError(.invalidRequest, "the card has \(counters.repeatCount) usage counters, \(request.entitlements.count) entitlements given")
            }
        } else {
            let counted = request.entitlements.compactMap { entitlement -> UInt16? in
                if case .rides(let count, _) = entitlement.product { return count }
                return nil
            }
            guard counted.count <= layout.counterCount else {
                throw SocialCardError(.invalidRequest, "layout \(layout.layout.id) counts rides of \(layout.counterCount) entitlement; \(counted.count) counted entitlements given")
            }
            guard counted.allSatisfy({ Int($0) <= layout.maximumCountedRides }) else {
                throw SocialCardError(.invalidRequest, "layout \(layout.layout.id) counts at most \(layout.maximumCountedRides) rides a period")
            }
        }
        guard Set(request.entitlements.map(\.id)).count == request.entitlements.count else {
            throw SocialCardError(.invalidRequest, "two entitlements share an id; usage counters could not tell them apart")
        }
        for entitlement in request.entitlements {
            guard entitlement.cardSerial == request.serial else {
                throw SocialCardError(.invalidRequest, "entitlement \(entitlement.id) is bound to card \(entitlement.cardSerial), not \(request.serial)")
            }
            guard entitlement.layoutVersion.rawValue == UInt16(layout.layout.version) else {
                throw SocialCardError(.invalidRequest, "entitlement \(entitlement.id) is for layout \(entitlement.layoutVersion), the card gets v\(layout.layout.version)")
            }
        }
        guard request.holderPseudonym.count == layout.pseudonymLength else {
            throw SocialCardError(.invalidRequest, "the holder pseudonym has \(layout.pseudonymLength) bytes, not \(request.holderPseudonym.count)")
        }
        guard request.expiryDate >= request.issueDate else {
            throw SocialCardError(.invalidRequest, "the card would expire (\(request.expiryDate)) before it is issued (\(request.issueDate))")
        }
        guard case .value(let purse) = layout.purse.kind else {
            throw SocialCardError(.layoutUnsupported, "purse is not a value file")
        }
        guard request.purseKopecks >= 0, Int64(purse.initialValue) + Int64(request.purseKopecks) <= Int64(purse.upperLimit) else {
            throw SocialCardError(.invalidRequest, "the purse holds \(purse.lowerLimit)...\(purse.upperLimit) kopecks; \(request.purseKopecks) cannot be credited")
        }
        self.layout = layout
        self.request = request
        self.piccKeySettings = piccKeySettings
        self.applicationKeySettings = applicationKeySettings
        files = layout.layout.files.map { FileCreation(number: SocialCardLayout.fileNumber($0), settings: SocialCardLayout.creationSettings($0)) }
        cardInfoBytes = try layout.encode(CardInfo(
            layoutVersion: layout.layout.version, communityCode: layout.communityCode, serial: request.serial,
            issueDate: request.issueDate, expiryDate: request.expiryDate, holderPseudonym: request.holderPseudonym,
            entitlementSlotsUsed: request.entitlements.count))
        var slots: [UInt8] = []
        for entitlement in request.entitlements { slots += try layout.encodeSlot(entitlement) }
        entitlementBytes = slots
        issuedRecordBytes = try layout.encode(TripLogRecord(
            time: request.issuedAt, deviceID: request.issuerDeviceID, sequence: 0, route: 0, vehicle: 0, fareKopecks: 0,
            category: Int(request.entitlements.first?.category.rawValue ?? 0), entitlementSlot: nil, kind: "issued",
            flags: [], zone: 0,
            state: layout.keepsStateInTripRecords
                ? TripRecordState(
                    balanceKopecks: Int(purse.initialValue) + Int(request.purseKopecks), counterPeriodStart: CivilDate(cardEpochDays: 0),
                    counterRides: 0)
                : nil))
        if let tripRecords {
            guard !tripRecords.isEmpty, tripRecords.count <= SocialCardLayout.readableRecords(layout.tripLog) else {
                throw SocialCardError(.invalidRequest, "\(tripRecords.count) trip records do not fit \(layout.layout.id)'s trip log")
            }
            tripRecordBytes = tripRecords
        } else {
            tripRecordBytes = [issuedRecordBytes]
        }
    }

    /// The purse's value once personalized.
    public var expectedPurse: Int32 {
        guard case .value(let purse) = layout.purse.kind else { return request.purseKopecks }
        return purse.initialValue + request.purseKopecks
    }
}

/// One file to create: its number and the settings it is created with.
public struct FileCreation: Hashable, Sendable {
    /// The file number.
    public let number: FileNumber
    /// Type, sizes, communication mode and access rights.
    public let settings: FileSettings
}
