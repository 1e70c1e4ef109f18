import CardLayout
import Crypto
import Entitlements
import Identifiers
import Tariff

/// The card info record: which layout and community, which card, when issued, and how many
/// entitlement slots a reader must read.
public struct CardInfo: Hashable, Sendable {
    /// The layout version the card was personalized with.
    public var layoutVersion: Int
    /// The community's number (``SocialCardLayout/communityCode``).
    public var communityCode: UInt16
    /// The community card number entitlements are bound to.
    public var serial: CardSerial
    /// The local date of issue.
    public var issueDate: CivilDate
    /// The last local date the card is valid.
    public var expiryDate: CivilDate
    /// The holder's random pseudonym; only the desk registry maps it to a person.
    public var holderPseudonym: [UInt8]
    /// How many entitlement slots are in use, from the first.
    public var entitlementSlotsUsed: Int

    /// Creates card info.
    public init(
        layoutVersion: Int, communityCode: UInt16, serial: CardSerial, issueDate: CivilDate, expiryDate: CivilDate,
        holderPseudonym: [UInt8], entitlementSlotsUsed: Int
    ) {
        self.layoutVersion = layoutVersion
        self.communityCode = communityCode
        self.serial = serial
        self.issueDate = issueDate
        self.expiryDate = expiryDate
        self.holderPseudonym = holderPseudonym
        self.entitlementSlotsUsed = entitlementSlotsUsed
    }
}

/// One usage counter as stored: rides used by an entitlement in the period starting `periodStart`.
public struct UsageCounterRecord: Hashable, Sendable {
    /// The entitlement counted (0: the slot's counter was never used).
    public var entitlementID: EntitlementID
    /// First local day of the period counted.
    public var periodStart: CivilDate
    /// Rides used in that period.
    public var ridesUsed: Int

    /// Creates a counter record.
    public init(entitlementID: EntitlementID, periodStart: CivilDate, ridesUsed: Int) {
        self.entitlementID = entitlementID
        self.periodStart = periodStart
        self.ridesUsed = ridesUsed
    }
}

/// One record of the card's trip log, every field decoded.
public struct TripLogRecord: Hashable, Sendable {
    /// When the tap (or the issue) happened.
    public var time: UnixTime
    /// The validator (or, for `issued`, the issuer key id) that wrote it.
    public var deviceID: UInt32
    /// The card's own tap counter.
    public var sequence: Int
    /// The route.
    public var route: Int
    /// The vehicle.
    public var vehicle: Int
    /// Kopecks charged to the purse.
    public var fareKopecks: Int
    /// Benefit category used (0: none).
    public var category: Int
    /// Entitlement slot used, or nil (stored as 255).
    public var entitlementSlot: Int?
    /// The record kind's name in the layout (`entry`, `transfer`, `issued`, ...).
    public var kind: String
    /// The flags set, by name.
    public var flags: Set<String>
    /// The zone.
    public var zone: Int
    /// The card's state after the record's transaction, in a layout that keeps it in trip
    /// records (``SocialCardLayout/keepsStateInTripRecords``); nil in one that does not.
    public var state: TripRecordState?

    /// Creates a trip record (a validator writes one per accepted tap).
    public init(
        time: UnixTime, deviceID: UInt32, sequence: Int, route: Int, vehicle: Int, fareKopecks: Int, category: Int,
        entitlementSlot: Int?, kind: String, flags: Set<String>, zone: Int, state: TripRecordState? = nil
    ) {
        self.state = state
        self.time = time
        self.deviceID = deviceID
        self.sequence = sequence
        self.route = route
        self.vehicle = vehicle
        self.fareKopecks = fareKopecks
        self.category = category
        self.entitlementSlot = entitlementSlot
        self.kind = kind
        self.flags = flags
        self.zone = zone
    }
}

/// The card's state a trip record carries in a layout that keeps it there (layout v2): what
/// v1 keeps in the purse's GetValue, the usage counter file and the status file. The blocked
/// flag is the record's `cardBlocked` flag.
public struct TripRecordState: Hashable, Sendable {
    /// The purse after the record's transaction, in kopecks.
    public var balanceKopecks: Int
    /// First local day of the counting period of the card's counted entitlement.
    public var counterPeriodStart: CivilDate
    /// Rides of the counted entitlement used in that period.
    public var counterRides: Int

    /// Creates a state.
    public init(balanceKopecks: Int, counterPeriodStart: CivilDate, counterRides: Int) {
        self.balanceKopecks = balanceKopecks
        self.counterPeriodStart = counterPeriodStart
        self.counterRides = counterRides
    }
}

/// The card's status record.
public struct CardStatus: Hashable, Sendable {
    /// Whether the card is blocked.
    public var isBlocked: Bool
    /// When it was blocked (meaningless when not blocked).
    public var blockedOn: CivilDate
    /// Why, by the layout's name (`none`, `denyList`, ...).
    public var blockReason: String

    /// Creates a status.
    public init(isBlocked: Bool, blockedOn: CivilDate, blockReason: String) {
        self.isBlocked = isBlocked
        self.blockedOn = blockedOn
        self.blockReason = blockReason
    }
}

// MARK: Dates

/// Days from 1970-01-01 to 2000-01-01, the card's date epoch.
let cardEpochDays: Int32 = 10_957

extension CivilDate {
    /// The card's form of the date; nil before 2000-01-01.
    var cardDate: CardDate? {
        daysSinceEpoch >= cardEpochDays ? CardDate(daysSince2000: UInt32(daysSinceEpoch - cardEpochDays)) : nil
    }

    init(_ date: CardDate) {
        self.init(daysSinceEpoch: cardEpochDays + Int32(clamping: date.daysSince2000))
    }

    /// The date `days` after the card's epoch, 2000-01-01 (day 0: a field never set).
    init(cardEpochDays days: Int32) {
        self.init(daysSinceEpoch: cardEpochDays + days)
    }

    /// The UTC day of an instant: how a blocked trip record keeps the local day it was blocked
    /// on (its time is midnight UTC of that day).
    init(utcDayOf time: UnixTime) {
        let seconds = time.rawValue
        self.init(daysSinceEpoch: Int32(clamping: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400))
    }

    /// Midnight UTC of this day.
    var utcMidnight: UnixTime { UnixTime(Int64(daysSinceEpoch) * 86_400) }
}

// MARK: Codec

extension SocialCardLayout {
    /// The community's number written into card info: the first two bytes (big-endian) of
    /// SHA-256 of `HromadaCard community <name>`, computed from the layout's community name.
    ///
    /// No registry of community numbers exists yet; deriving it keeps every program that holds
    /// the layout in agreement without configuration. A registry number can replace it in a later
    /// layout version.
    public var communityCode: UInt16 {
        let digest = Array(SHA256.hash(data: Array("HromadaCard community \(layout.community)".utf8)))
        return UInt16(digest[0]) << 8 | UInt16(digest[1])
    }

    /// The width in bytes of the holder pseudonym field.
    public var pseudonymLength: Int { format(cardInfo).fields.first { $0.name == "holderPseudonym" }!.width }

    /// The bytes of `info` as the card info file holds them.
    public func encode(_ info: CardInfo) throws(SocialCardError) -> [UInt8] {
        guard let issue = info.issueDate.cardDate, let expiry = info.expiryDate.cardDate else {
            throw SocialCardError(.invalidRequest, "dates before 2000-01-01 cannot be written to a card")
        }
        var serial: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { serial.append(UInt8(truncatingIfNeeded: info.serial.rawValue >> UInt64(shift))) }
        let record = LayoutRecord([
            "layoutVersion": .unsigned(UInt64(info.layoutVersion)),
            "communityCode": .unsigned(UInt64(info.communityCode)),
            "cardSerial": .bytes(serial),
            "issueDate": .date(issue),
            "expiryDate": .date(expiry),
            "holderPseudonym": .bytes(info.holderPseudonym),
            "entitlementSlotsUsed": .unsigned(UInt64(info.entitlementSlotsUsed)),
        ])
        return try codec { () throws(CardLayoutError) in try layout.encodeRecords(filledRecords(cardInfo, record), for: cardInfo) }
    }

    /// Decodes the card info file; nil when it is all zeros (never written).
    public func decodeCardInfo(_ bytes: [UInt8]) throws(SocialCardError) -> CardInfo? {
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        let records = try codec { () throws(CardLayoutError) in try layout.decodeRecords(of: cardInfo, from: bytes) }
        let record = records[0]
        guard case .bytes(let serialBytes)? = record["cardSerial"], serialBytes.count == 8 else {
            throw SocialCardError(.malformedFile, "cardInfo.cardSerial is not 8 bytes")
        }
        let serial = serialBytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return CardInfo(
            layoutVersion: Int(try unsigned(record, "layoutVersion")),
            communityCode: UInt16(truncatingIfNeeded: try unsigned(record, "communityCode")),
            serial: CardSerial(serial),
            issueDate: CivilDate(try date(record, "issueDate")),
            expiryDate: CivilDate(try date(record, "expiryDate")),
            holderPseudonym: try self.bytes(record, "holderPseudonym"),
            entitlementSlotsUsed: Int(try unsigned(record, "entitlementSlotsUsed")))
    }

    /// The size of one entitlement slot in bytes.
    public var entitlementSlotSize: Int { format(entitlements).size }

    /// The bytes of one entitlement slot holding `entitlement`, in its own encoding (the desk
    /// signs in ``entitlementEncoding``; a compact entitlement is stored in its card form).
    public func encodeSlot(_ entitlement: Entitlement) throws(SocialCardError) -> [UInt8] {
        let encoded: [UInt8]
        do {
            encoded = try entitlement.cardEncoded()
        } catch {
            throw SocialCardError(.invalidRequest, "entitlement \(entitlement.id) cannot be encoded: \(error)")
        }
        let format = format(entitlements)
        guard let field = format.fields.first(where: { $0.name == slotPayloadField }), encoded.count <= field.width else {
            throw SocialCardError(.invalidRequest, "entitlement \(entitlement.id) takes \(encoded.count) bytes; a slot holds fewer")
        }
        let record = LayoutRecord([
            "length": .unsigned(UInt64(encoded.count)),
            slotPayloadField: .bytes(encoded + [UInt8](repeating: 0, count: field.width - encoded.count)),
        ])
        return try codec { () throws(CardLayoutError) in try format.encode(filledRecord(entitlements, record)) }
    }

    /// Decodes one entitlement slot of the card whose card info is `info`; nil for an empty slot
    /// (length 0). Without `info` only self-contained (format 1 or portable) records decode;
    /// a compact card-form record takes its serial and layout version from `info`.
    public func decodeSlot(_ bytes: [UInt8], info: CardInfo? = nil) throws(SocialCardError) -> Entitlement? {
        let record = try codec { () throws(CardLayoutError) in try format(entitlements).decode(bytes) }
        let length = Int(try unsigned(record, "length"))
        if length == 0 { return nil }
        let payload = try self.bytes(record, slotPayloadField)
        guard length <= payload.count else {
            throw SocialCardError(.malformedFile, "entitlement slot says \(length) bytes, holds \(payload.count)")
        }
        do {
            if let info {
                return try Entitlement(
                    decodingCardSlot: payload[..<length], cardSerial: info.serial, layoutVersion: LayoutVersion(UInt16(clamping: info.layoutVersion)))
            }
            return try Entitlement(decodingZeroPadded: payload[..<length])
        } catch {
            throw SocialCardError(.malformedFile, "entitlement slot does not decode: \(error)")
        }
    }

    /// Decodes the first `count` usage counters from their bytes.
    public func decodeCounters(_ bytes: [UInt8]) throws(SocialCardError) -> [UsageCounterRecord] {
        let format = format(try counterFile())
        guard bytes.count % format.size == 0 else {
            throw SocialCardError(.malformedFile, "usage counters: \(bytes.count) bytes is not a whole number of \(format.size)-byte records")
        }
        var counters: [UsageCounterRecord] = []
        for start in stride(from: 0, to: bytes.count, by: format.size) {
            let record = try codec { () throws(CardLayoutError) in try format.decode(bytes[start..<start + format.size]) }
            counters.append(UsageCounterRecord(
                entitlementID: EntitlementID(UInt32(truncatingIfNeeded: try unsigned(record, "entitlementId"))),
                periodStart: CivilDate(try date(record, "periodStart")),
                ridesUsed: Int(try unsigned(record, "ridesUsed"))))
        }
        return counters
    }

    /// The bytes of a trip log record.
    public func encode(_ trip: TripLogRecord) throws(SocialCardError) -> [UInt8] {
        guard let time = CardDateTime(unixSeconds: trip.time.rawValue) else {
            throw SocialCardError(.invalidRequest, "a trip time before 2000 cannot be written to a card")
        }
        var record = LayoutRecord([
            "time": .dateTime(time),
            "deviceId": .unsigned(UInt64(trip.deviceID)),
            "sequence": .unsigned(UInt64(trip.sequence)),
            "routeId": .unsigned(UInt64(trip.route)),
            "vehicleId": .unsigned(UInt64(trip.vehicle)),
            "fare": .unsigned(UInt64(trip.fareKopecks)),
            "categoryCode": .unsigned(UInt64(trip.category)),
            "entitlementSlot": .unsigned(UInt64(trip.entitlementSlot ?? 255)),
            "kind": .enumeration(trip.kind),
            "flags": .flags(trip.flags),
            "zoneId": .unsigned(UInt64(trip.zone)),
        ])
        if keepsStateInTripRecords {
            guard let state = trip.state, let periodStart = state.counterPeriodStart.cardDate else {
                throw SocialCardError(.invalidRequest, "\(layout.id) keeps the card's state in every trip record; this one has none (or a date before 2000)")
            }
            record["balance"] = .unsigned(UInt64(max(0, state.balanceKopecks)))
            record["counterPeriodStart"] = .date(periodStart)
            record["counterRides"] = .unsigned(UInt64(max(0, state.counterRides)))
        }
        return try codec { () throws(CardLayoutError) in try layout.encodeRecords([filledRecord(tripLog, record)], for: tripLog) }
    }

    /// The trip log record a validator writes for a ride the tariff accepted.
    ///
    /// The flags say what the card holder and an inspector see without the ledger: a benefit
    /// ride (an entitlement's category paid less than the full fare), a discount (some fare
    /// was still paid), the purse charged, and that the validator decided offline (always, for
    /// now). The vehicle keeps as many low bits of the fleet number as the layout's field holds.
    public func tripLogRecord(for ride: TripRecord, sequence: UInt16, slot: Int?) -> TripLogRecord {
        var flags: Set<String> = []
        let benefit = ride.category != nil && ride.fareKopecks < ride.fullFareKopecks
        if benefit { flags.insert("benefitRide") }
        if benefit && ride.fareKopecks > 0 { flags.insert("discounted") }
        if ride.fareKopecks > 0 { flags.insert("purseUsed") }
        flags.insert("offlineDecision")
        let vehicleWidth = format(tripLog).fields.first { $0.name == "vehicleId" }?.width ?? 4
        let vehicleMask: UInt32 = vehicleWidth >= 4 ? .max : (1 << UInt32(vehicleWidth * 8)) - 1
        return TripLogRecord(
            time: ride.time, deviceID: ride.deviceID.rawValue, sequence: Int(sequence), route: Int(ride.route.rawValue),
            vehicle: Int(ride.vehicleID.rawValue & vehicleMask), fareKopecks: max(0, ride.fareKopecks),
            category: Int(ride.category?.rawValue ?? 0), entitlementSlot: slot, kind: ride.kind == .transfer ? "transfer" : "entry",
            flags: flags, zone: Int(ride.zone.rawValue))
    }

    /// Where the usage counter of entitlement slot `slot` starts in its file.
    public func counterOffset(slot: Int) -> Int { usageCounters.map { slot * format($0).size } ?? 0 }

    private func counterFile() throws(SocialCardError) -> FileSpec {
        guard let usageCounters else { throw SocialCardError(.layoutUnsupported, "\(layout.id) keeps its usage counter in the trip records") }
        return usageCounters
    }

    private func statusFile() throws(SocialCardError) -> FileSpec {
        guard let status else { throw SocialCardError(.layoutUnsupported, "\(layout.id) keeps its blocked flag in the trip records") }
        return status
    }

    /// The bytes of one usage counter, written at ``counterOffset(slot:)``.
    public func encode(_ counter: UsageCounterRecord) throws(SocialCardError) -> [UInt8] {
        guard let periodStart = counter.periodStart.cardDate else {
            throw SocialCardError(.invalidRequest, "a date before 2000 cannot be written to a card")
        }
        let record = LayoutRecord([
            "entitlementId": .unsigned(UInt64(counter.entitlementID.rawValue)),
            "periodStart": .date(periodStart),
            "ridesUsed": .unsigned(UInt64(max(0, counter.ridesUsed))),
        ])
        let file = try counterFile()
        let format = format(file)
        return try codec { () throws(CardLayoutError) in try format.encode(filledRecord(file, record)) }
    }

    /// The bytes of the status record, written at the start of its file.
    public func encode(_ status: CardStatus) throws(SocialCardError) -> [UInt8] {
        guard let blockedOn = status.blockedOn.cardDate else {
            throw SocialCardError(.invalidRequest, "a date before 2000 cannot be written to a card")
        }
        let record = LayoutRecord([
            "flags": .flags(status.isBlocked ? ["blocked"] : []),
            "blockedOn": .date(blockedOn),
            "blockReason": .enumeration(status.blockReason),
        ])
        let file = try statusFile()
        let format = format(file)
        return try codec { () throws(CardLayoutError) in try format.encode(filledRecord(file, record)) }
    }

    /// Decodes trip log records as ReadRecords returns them (oldest first).
    public func decodeTrips(_ records: [[UInt8]]) throws(SocialCardError) -> [TripLogRecord] {
        let format = format(tripLog)
        var trips: [TripLogRecord] = []
        for bytes in records {
            guard bytes.count >= format.size else {
                throw SocialCardError(.malformedFile, "a trip record of \(bytes.count) bytes is shorter than \(format.size)")
            }
            let record = try codec { () throws(CardLayoutError) in try format.decode(bytes.prefix(format.size)) }
            guard case .dateTime(let time)? = record["time"], case .enumeration(let kind)? = record["kind"],
                  case .flags(let flags)? = record["flags"] else {
                throw SocialCardError(.malformedFile, "trip record fields have unexpected types")
            }
            let slot = Int(try unsigned(record, "entitlementSlot"))
            var state: TripRecordState?
            if keepsStateInTripRecords {
                state = TripRecordState(
                    balanceKopecks: Int(try unsigned(record, "balance")),
                    counterPeriodStart: CivilDate(try date(record, "counterPeriodStart")),
                    counterRides: Int(try unsigned(record, "counterRides")))
            }
            trips.append(TripLogRecord(
                time: UnixTime(time.unixSeconds), deviceID: UInt32(truncatingIfNeeded: try unsigned(record, "deviceId")),
                sequence: Int(try unsigned(record, "sequence")), route: Int(try unsigned(record, "routeId")),
                vehicle: Int(try unsigned(record, "vehicleId")), fareKopecks: Int(try unsigned(record, "fare")),
                category: Int(try unsigned(record, "categoryCode")), entitlementSlot: slot == 255 ? nil : slot,
                kind: kind, flags: flags, zone: Int(try unsigned(record, "zoneId")), state: state))
        }
        return trips
    }

    // MARK: State in trip records (layout v2)

    /// The slot of the entitlement the trip records' counter counts: the first used slot
    /// holding a counted entitlement (a layout with one counter allows only one).
    public func countedSlot(_ slots: [EntitlementSlotContent]) -> Int? {
        slots.firstIndex { slot in
            if case .rides? = slot.entitlement?.product { return true }
            return false
        }
    }

    /// The usage counters of the used slots, as a layout keeping them in trip records has them:
    /// the record's counter for the counted slot, an unused counter for every other slot.
    public func counters(from state: TripRecordState, slots: [EntitlementSlotContent]) -> [UsageCounterRecord] {
        let counted = countedSlot(slots)
        return slots.indices.map { slot in
            if slot == counted, let entitlement = slots[slot].entitlement {
                return UsageCounterRecord(entitlementID: entitlement.id, periodStart: state.counterPeriodStart, ridesUsed: state.counterRides)
            }
            return UsageCounterRecord(entitlementID: EntitlementID(0), periodStart: CivilDate(cardEpochDays: 0), ridesUsed: 0)
        }
    }

    /// The card's status as trip records carrying it say: blocked when the newest record has the
    /// `cardBlocked` flag, on the day of the newest `blocked` record.
    public func status(fromTrips trips: [TripLogRecord]) -> CardStatus {
        guard let newest = trips.last, newest.flags.contains("cardBlocked") else {
            return CardStatus(isBlocked: false, blockedOn: CivilDate(cardEpochDays: 0), blockReason: "none")
        }
        let day = trips.last { $0.kind == "blocked" }.map { CivilDate(utcDayOf: $0.time) } ?? CivilDate(utcDayOf: newest.time)
        return CardStatus(isBlocked: true, blockedOn: day, blockReason: SocialCardLayout.denyListReason)
    }

    /// The block reason a validator writes: only the deny list blocks a card at a tap.
    static var denyListReason: String { "denyList" }

    /// Decodes the status file.
    public func decodeStatus(_ bytes: [UInt8]) throws(SocialCardError) -> CardStatus {
        let file = try statusFile()
        let record = try codec { () throws(CardLayoutError) in try layout.decodeRecords(of: file, from: bytes) }[0]
        guard case .flags(let flags)? = record["flags"], case .enumeration(let reason)? = record["blockReason"] else {
            throw SocialCardError(.malformedFile, "status fields have unexpected types")
        }
        return CardStatus(isBlocked: flags.contains("blocked"), blockedOn: CivilDate(try date(record, "blockedOn")), blockReason: reason)
    }

    // MARK: Helpers

    /// The record with every field the format has but `record` lacks set to zero of its type,
    /// repeated for every slot of a data file (the first slot gets `record`).
    private func filledRecords(_ file: FileSpec, _ record: LayoutRecord) -> [LayoutRecord] {
        var first = record
        let format = format(file)
        for field in format.fields where first[field.name] == nil { first[field.name] = Self.zero(field) }
        var empty = LayoutRecord()
        for field in format.fields { empty[field.name] = Self.zero(field) }
        let count: Int
        switch file.kind {
        case .standard, .backup: count = file.repeatCount
        default: count = 1
        }
        return [first] + Array(repeating: empty, count: max(0, count - 1))
    }

    private func filledRecord(_ file: FileSpec, _ record: LayoutRecord) -> LayoutRecord {
        filledRecords(file, record)[0]
    }

    private static func zero(_ field: FieldSpec) -> FieldValue {
        switch field.type {
        case .unsignedInteger: .unsigned(0)
        case .signedInteger: .signed(0)
        case .date: .date(CardDate(daysSince2000: 0))
        case .dateTime: .dateTime(CardDateTime(secondsSince2000: 0))
        case .enumeration(let table): .enumeration(table.first { $0.value == 0 }?.key ?? table.min { $0.value < $1.value }!.key)
        case .bytes: .bytes([UInt8](repeating: 0, count: field.width))
        case .flags: .flags([])
        }
    }

    private func codec<T>(_ body: () throws(CardLayoutError) -> T) throws(SocialCardError) -> T {
        do {
            return try body()
        } catch {
            throw SocialCardError(error.code == .valueOutOfRange || error.code == .recordMismatch ? .invalidRequest : .malformedFile,
                                  "\(layout.id): \(error.reason)")
        }
    }

    private func unsigned(_ record: LayoutRecord, _ name: String) throws(SocialCardError) -> UInt64 {
        guard case .unsigned(let value)? = record[name] else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): \(name) is not an unsigned integer field")
        }
        return value
    }

    private func date(_ record: LayoutRecord, _ name: String) throws(SocialCardError) -> CardDate {
        guard case .date(let value)? = record[name] else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): \(name) is not a date field")
        }
        return value
    }

    private func bytes(_ record: LayoutRecord, _ name: String) throws(SocialCardError) -> [UInt8] {
        guard case .bytes(let value)? = record[name] else {
            throw SocialCardError(.layoutUnsupported, "\(layout.id): \(name) is not a bytes field")
        }
        return value
    }
}
