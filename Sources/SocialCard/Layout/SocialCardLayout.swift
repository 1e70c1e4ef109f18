import CardLayout
import DESFire
import Entitlements

/// A card layout checked for what a social card needs, with its files translated into the DESFire
/// parameters that create them.
///
/// The names below are the contract between code and layout: any community's layout that has
/// these files and fields (at any numbers, sizes, offsets, access rights and modes) is a social
/// card. Nothing else about a community is assumed.
///
/// | file | type | format fields |
/// |---|---|---|
/// | `cardInfo` | standard or backup | layoutVersion, communityCode, cardSerial (8 bytes), issueDate, expiryDate, holderPseudonym, entitlementSlotsUsed |
/// | `entitlements` | standard or backup, `repeat` = slot count | length, signedEntitlement (or compactEntitlement) |
/// | `purse` | value | — |
/// | `usageCounters` | standard or backup, one per entitlement slot | entitlementId, periodStart, ridesUsed |
/// | `tripLog` | record file | time, deviceId, sequence, routeId, vehicleId, fare, categoryCode, entitlementSlot, kind (with `issued`, `entry`, `transfer`), flags, zoneId |
/// | `status` | standard or backup | flags (with `blocked`), blockedOn, blockReason |
///
/// A layout may instead keep the card's changing state in its trip records (layout v2): no
/// `usageCounters` and `status` files, and the `tripLog` format has the fields `balance`,
/// `counterPeriodStart` and `counterRides`, a `cardBlocked` flag and a `blocked` kind. Every
/// record then says the purse balance, the usage counter of the card's one counted entitlement
/// and the blocked flag after its transaction, so a tap reads one record and writes one record
/// (see ``keepsStateInTripRecords``).
///
/// `cardInfo` and `entitlements` may be parts of one file (layout v3), card info first: a reader
/// then reads card info and the first slot in one ReadData (see ``readsFirstSlotWithCardInfo``).
/// A slot whose payload field is `compactEntitlement` holds entitlements in the compact
/// encoding, which leaves out the serial and layout version the card info holds
/// (``entitlementEncoding``).
public struct SocialCardLayout: Hashable, Sendable {
    /// The layout itself.
    public let layout: CardLayout
    /// The application's AID in the DESFire client's terms.
    public let applicationID: DESFire.ApplicationID

    /// The file holding the card info record.
    public let cardInfo: FileSpec
    /// The file of signed entitlement slots.
    public let entitlements: FileSpec
    /// The value file of the purse.
    public let purse: FileSpec
    /// The file of usage counters, one per entitlement slot; nil when the trip records carry
    /// the counter (``keepsStateInTripRecords``).
    public let usageCounters: FileSpec?
    /// The record file of trips.
    public let tripLog: FileSpec
    /// The file holding the blocked flag; nil when the trip records carry it.
    public let status: FileSpec?

    /// The file names a social card layout must have.
    public static let requiredFiles = ["cardInfo", "entitlements", "purse", "usageCounters", "tripLog", "status"]
    /// The file names a layout keeping the card's state in its trip records must have.
    public static let requiredFilesWithStateInTripRecords = ["cardInfo", "entitlements", "purse", "tripLog"]
    /// The fields a trip record carrying the card's state has besides the trip's.
    public static let tripRecordStateFields = ["balance", "counterPeriodStart", "counterRides"]
    /// The fields each format must have, by file name.
    public static let requiredFields: [String: [String]] = [
        "cardInfo": ["layoutVersion", "communityCode", "cardSerial", "issueDate", "expiryDate", "holderPseudonym", "entitlementSlotsUsed"],
        "entitlements": ["length"],
        "usageCounters": ["entitlementId", "periodStart", "ridesUsed"],
        "tripLog": ["time", "deviceId", "sequence", "routeId", "vehicleId", "fare", "categoryCode", "entitlementSlot", "kind", "flags", "zoneId"],
        "status": ["flags", "blockedOn", "blockReason"],
    ]

    /// Checks `layout` and builds the view; throws `layout-unsupported` naming what is missing.
    public init(_ layout: CardLayout) throws(SocialCardError) {
        func file(_ name: String) throws(SocialCardError) -> FileSpec {
            guard let spec = layout.file(named: name) else {
                throw SocialCardError(.layoutUnsupported, "layout \(layout.id) has no file named \(name)")
            }
            if let fields = Self.requiredFields[name] {
                guard let format = layout.format(of: spec) else {
                    throw SocialCardError(.layoutUnsupported, "\(layout.id): \(name) has no record format")
                }
                for field in fields where !format.fields.contains(where: { $0.name == field }) {
                    throw SocialCardError(.layoutUnsupported, "\(layout.id): format \(format.name) of \(name) has no field \(field)")
                }
            }
            return spec
        }
        cardInfo = try file("cardInfo")
        entitlements = try file("entitlements")
        let slotFields = layout.format(of: entitlements)!.fields.map(\.name)
        guard slotFields.contains(Self.fullPayloadField) || slotFields.contains(Self.compactPayloadField) else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): the entitlement slot has no field \(Self.fullPayloadField) or \(Self.compactPayloadField)")
        }
        purse = try file("purse")
        tripLog = try file("tripLog")
        if layout.file(named: "usageCounters") == nil && layout.file(named: "status") == nil {
            // The state travels in the trip records: check they can carry it.
            let format = layout.format(of: tripLog)!
            for field in Self.tripRecordStateFields where !format.fields.contains(where: { $0.name == field }) {
                throw SocialCardError(.layoutUnsupported, "\(layout.id): without usageCounters and status files, format \(format.name) of tripLog needs a field \(field)")
            }
            let flags = format.fields.first { $0.name == "flags" }
            let kind = format.fields.first { $0.name == "kind" }
            guard case .flags(let names)? = flags?.type, names["cardBlocked"] != nil,
                  case .enumeration(let kinds)? = kind?.type, kinds["blocked"] != nil else {
                throw SocialCardError(.layoutUnsupported, "\(layout.id): without a status file, the trip record needs a cardBlocked flag and a blocked kind")
            }
            usageCounters = nil
            status = nil
        } else {
            usageCounters = try file("usageCounters")
            status = try file("status")
        }
        for spec in [cardInfo, entitlements] + [usageCounters, status].compactMap({ $0 }) {
            switch spec.kind {
            case .standard, .backup: break
            default: throw SocialCardError(.layoutUnsupported, "\(layout.id): \(spec.name) must be a standard or backup file")
            }
        }
        guard case .value = purse.kind else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): purse must be a value file")
        }
        switch tripLog.kind {
        case .cyclicRecord, .linearRecord: break
        default: throw SocialCardError(.layoutUnsupported, "\(layout.id): tripLog must be a record file")
        }
        guard layout.version >= 1, layout.version <= 255 else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): version \(layout.version) does not fit the card's byte")
        }
        let aid = layout.application.aid.bytes
        guard let applicationID = DESFire.ApplicationID(rawValue: UInt32(aid[0]) << 16 | UInt32(aid[1]) << 8 | UInt32(aid[2])) else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): the AID does not have three bytes")
        }
        guard layout.application.keys.allSatisfy({ $0.number <= 13 }) else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): DESFire key numbers run 0...13")
        }
        self.layout = layout
        self.applicationID = applicationID
    }

    /// How many entitlement slots the card has.
    public var entitlementSlotCount: Int { entitlements.repeatCount }

    /// The slot field holding an entitlement in the full encoding (format 1).
    static let fullPayloadField = "signedEntitlement"
    /// The slot field holding an entitlement in the compact encoding (format 2, card form).
    static let compactPayloadField = "compactEntitlement"

    /// The encoding the desk stores entitlements in on this layout's cards: compact when the
    /// slot's payload field is `compactEntitlement`. Readers accept either encoding in any slot
    /// (the format byte says which), so this decides only what is written.
    public var entitlementEncoding: EntitlementEncoding {
        format(entitlements).fields.contains { $0.name == Self.compactPayloadField } ? .compact : .full
    }

    /// The slot's payload field name.
    var slotPayloadField: String { entitlementEncoding == .compact ? Self.compactPayloadField : Self.fullPayloadField }

    /// Whether the entitlement slots follow the card info in the same file, so one ReadData
    /// returns card info and the first slot together (layout v3).
    ///
    /// Why: DESFire's ReadData reads one file, and each read costs at least one frame. Card info
    /// (24 bytes) and a compact slot (84) are 108 bytes, which with the CRC encipher to 112:
    /// two answer frames of at most 59 bytes, where v2's separate card info (one frame) and
    /// 104-byte slot (two) took three. A card without entitlements then reads one frame more
    /// than it needs (the empty slot), which only a purse-only ride pays.
    public var readsFirstSlotWithCardInfo: Bool {
        cardInfo.partOf != nil && entitlements.partOf == cardInfo.partOf
            && entitlements.offset == cardInfo.offset + Self.dataSize(cardInfo)
    }

    /// Whether the card's purse balance, usage counter and blocked flag travel in every trip
    /// record instead of files of their own (layout v2).
    ///
    /// Why: a tap then reads the newest record (one frame) instead of the purse, the counters,
    /// the status and the newest trip (four), and writes one record instead of a counter and a
    /// trip (two). The purse's value file stays the authority on money: Debit cannot take it
    /// below its lower limit whatever a record says, and every change of it (validator Debit,
    /// desk Credit) is made in the same transaction as a record carrying the balance after it,
    /// so CommitTransaction keeps the two equal.
    public var keepsStateInTripRecords: Bool { usageCounters == nil }

    /// How many entitlement slots may hold a counted entitlement: one per counter.
    public var counterCount: Int { usageCounters?.repeatCount ?? 1 }

    /// The most rides a period the layout's counter can hold.
    public var maximumCountedRides: Int {
        let field: FieldSpec?
        if let usageCounters {
            field = format(usageCounters).fields.first { $0.name == "ridesUsed" }
        } else {
            field = format(tripLog).fields.first { $0.name == "counterRides" }
        }
        guard let width = field?.width, width < 8 else { return Int.max }
        return (1 << (width * 8)) - 1
    }

    /// The record format of a data or record file (the initializer checked every one exists).
    func format(_ file: FileSpec) -> RecordFormat { layout.format(of: file)! }

    /// The number of keys the application is created with.
    public var keyCount: Int { layout.application.keyCount }

    /// The key number of `role`.
    public func keyNumber(_ role: CardKeyRole) -> UInt8 { layout.application.keyNumber(for: role) }

    // MARK: DESFire parameters

    /// The file number in the client's terms.
    public static func fileNumber(_ file: FileSpec) -> FileNumber { FileNumber(rawValue: file.number)! }

    /// The communication mode of the file's data in the client's terms.
    public static func communicationMode(_ file: FileSpec) -> DESFire.CommunicationMode {
        mode(file.communication)
    }

    static func mode(_ mode: LayoutCommunicationMode) -> DESFire.CommunicationMode {
        switch mode {
        case .plain: .plain
        case .mac: .maced
        case .enciphered: .enciphered
        }
    }

    static func condition(_ right: LayoutAccessRight) -> AccessCondition {
        switch right {
        case .key(let number): .key(number)
        case .free: .free
        case .never: .never
        }
    }

    /// The access rights the card enforces for the file, as the layout assigns them by role.
    public static func accessRights(_ file: FileSpec) -> DESFire.AccessRights {
        DESFire.AccessRights(
            read: condition(file.access.read), write: condition(file.access.write),
            readWrite: condition(file.access.readWrite), change: condition(file.access.change))
    }

    /// The settings the file is created with: exactly what GetFileSettings answers for a fresh
    /// file (for a value file, the initial value stands in the limited-credit field, as
    /// CreateValueFile takes it).
    public static func creationSettings(_ file: FileSpec) -> FileSettings {
        let kind: FileSettings.Kind
        switch file.kind {
        case .standard(let size): kind = .standardData(size: size)
        case .backup(let size): kind = .backupData(size: size)
        case .value(let spec):
            kind = .value(ValueFileSettings(
                lowerLimit: spec.lowerLimit, upperLimit: spec.upperLimit,
                limitedCreditValue: spec.initialValue, limitedCreditEnabled: spec.limitedCredit))
        case .linearRecord(let recordSize, let maxRecords):
            kind = .linearRecord(RecordFileSettings(recordSize: recordSize, maxRecords: maxRecords))
        case .cyclicRecord(let recordSize, let maxRecords):
            kind = .cyclicRecord(RecordFileSettings(recordSize: recordSize, maxRecords: maxRecords))
        }
        return FileSettings(kind: kind, communicationMode: communicationMode(file), accessRights: accessRights(file))
    }

    /// Whether settings a card reports are those the layout creates, ignoring what changes with
    /// use (the records held, the limited-credit amount left).
    public static func matches(_ found: FileSettings, _ file: FileSpec) -> Bool {
        let expected = creationSettings(file)
        guard found.communicationMode == expected.communicationMode, found.accessRights == expected.accessRights else { return false }
        switch (found.kind, expected.kind) {
        case (.value(let a), .value(let b)):
            return a.lowerLimit == b.lowerLimit && a.upperLimit == b.upperLimit
                && a.limitedCreditEnabled == b.limitedCreditEnabled && a.freeGetValue == b.freeGetValue
        case (.linearRecord(let a), .linearRecord(let b)), (.cyclicRecord(let a), .cyclicRecord(let b)):
            return a.recordSize == b.recordSize && a.maxRecords == b.maxRecords
        default:
            return found.kind == expected.kind
        }
    }

    /// The size of a data file's contents.
    static func dataSize(_ file: FileSpec) -> Int {
        switch file.kind {
        case .standard(let size), .backup(let size): size
        default: 0
        }
    }

    /// The record size of a record file.
    static func recordSize(_ file: FileSpec) -> Int {
        switch file.kind {
        case .linearRecord(let size, _), .cyclicRecord(let size, _): size
        default: 0
        }
    }

    /// The number of records a record file can hold readable.
    static func readableRecords(_ file: FileSpec) -> Int {
        switch file.kind {
        case .linearRecord(_, let count): count
        case .cyclicRecord(_, let count): count - 1
        default: 0
        }
    }
}
