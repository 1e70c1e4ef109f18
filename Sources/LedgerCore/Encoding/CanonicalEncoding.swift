import Entitlements
import Identifiers

/// The canonical bytes of a ledger entry, formats 1 and 2 (docs/ledger-format.md, byte by byte).
///
/// A fixed 88-byte header of big-endian fields, in format 2 a fixed 51-byte extension block,
/// the detail text, then the previous hash. Format 2 exists for the desk kinds and the card
/// counters of a ride; a record that needs neither is format 1, so every entry written before
/// format 2 existed keeps its bytes and its hash.
/// Fixed offsets and no optional encodings keep an auditor's verifier to a few lines of
/// Python `struct`; a presence bitmask says which fields apply, and absent fields must be zero
/// so that one record has exactly one encoding (a hash over a non-unique encoding would let two
/// different byte strings claim the same entry).
enum CanonicalEncoding {
    static let format: UInt8 = 1
    static let extendedFormat: UInt8 = 2
    static let headerSize = 88
    static let extensionSize = 51
    static let maximumDetailBytes = 1024

    /// Bits of the presence field, in field order.
    enum Presence {
        static let cardSerial: UInt16 = 1 << 0
        static let layoutVersion: UInt16 = 1 << 1
        static let entitlementID: UInt16 = 1 << 2
        static let category: UInt16 = 1 << 3
        static let fare: UInt16 = 1 << 4
        static let fullFare: UInt16 = 1 << 5
        static let purseBalanceAfter: UInt16 = 1 << 6
        static let route: UInt16 = 1 << 7
        static let vehicle: UInt16 = 1 << 8
        static let relatedSequence: UInt16 = 1 << 9
        static let clockCorrection: UInt16 = 1 << 10
        static let all: UInt16 = (1 << 11) - 1
    }

    /// Bits of the format 2 extension's own presence field, in field order.
    enum ExtensionPresence {
        static let amount: UInt16 = 1 << 0
        static let receiptNumber: UInt16 = 1 << 1
        static let otherCardSerial: UInt16 = 1 << 2
        /// Product kind, valid from, valid until.
        static let entitlementTerms: UInt16 = 1 << 3
        /// Ride limit and its period.
        static let rideLimit: UInt16 = 1 << 4
        static let discount: UInt16 = 1 << 5
        static let tripSequence: UInt16 = 1 << 6
        /// Counted rides and the period start.
        static let countedRides: UInt16 = 1 << 7
        static let all: UInt16 = (1 << 8) - 1
    }

    static func encode(
        deviceID: DeviceID, sequence: UInt64, record: LedgerRecord, previousHash: ChainHash
    ) throws -> [UInt8] {
        let detail = Array(record.detail.utf8)
        guard detail.count <= maximumDetailBytes else {
            throw LedgerError(.tooLarge, "detail text is \(detail.count) UTF-8 bytes; at most \(maximumDetailBytes)")
        }
        var presence: UInt16 = 0
        func flag<T>(_ value: T?, _ bit: UInt16) { if value != nil { presence |= bit } }
        flag(record.cardSerial, Presence.cardSerial)
        flag(record.layoutVersion, Presence.layoutVersion)
        flag(record.entitlementID, Presence.entitlementID)
        flag(record.category, Presence.category)
        flag(record.fareKopecks, Presence.fare)
        flag(record.fullFareKopecks, Presence.fullFare)
        flag(record.purseBalanceAfterKopecks, Presence.purseBalanceAfter)
        flag(record.route, Presence.route)
        flag(record.vehicle, Presence.vehicle)
        flag(record.relatedSequence, Presence.relatedSequence)
        flag(record.clockCorrectionSeconds, Presence.clockCorrection)

        var out: [UInt8] = []
        let entryFormat = record.format
        out.reserveCapacity(headerSize + (entryFormat == extendedFormat ? extensionSize : 0) + detail.count + 32)
        out.append(entryFormat)
        out.append(record.kind.rawValue)
        out.appendBigEndian(presence)
        out.appendBigEndian(deviceID.rawValue)
        out.appendBigEndian(sequence)
        out.appendBigEndian(record.deviceTime.rawValue)
        out.appendBigEndian(record.cardSerial?.rawValue ?? 0)
        out.appendBigEndian(record.layoutVersion?.rawValue ?? 0)
        out.appendBigEndian(record.entitlementID?.rawValue ?? 0)
        out.appendBigEndian(record.category?.rawValue ?? 0)
        out.appendBigEndian(record.fareKopecks ?? 0)
        out.appendBigEndian(record.fullFareKopecks ?? 0)
        out.appendBigEndian(record.purseBalanceAfterKopecks ?? 0)
        out.appendBigEndian(record.route?.rawValue ?? 0)
        out.appendBigEndian(record.vehicle?.rawValue ?? 0)
        out.appendBigEndian(record.relatedSequence ?? 0)
        out.appendBigEndian(record.clockCorrectionSeconds ?? 0)
        out.appendBigEndian(UInt16(detail.count))
        if entryFormat == extendedFormat { try encodeExtension(record, into: &out) }
        out.append(contentsOf: detail)
        out.append(contentsOf: previousHash.bytes)
        return out
    }

    /// Appends the 51-byte extension block of format 2; absent fields are zero bytes.
    static func encodeExtension(_ record: LedgerRecord, into out: inout [UInt8]) throws {
        var presence: UInt16 = 0
        if record.amountKopecks != nil { presence |= ExtensionPresence.amount }
        if record.receiptNumber != nil { presence |= ExtensionPresence.receiptNumber }
        if record.otherCardSerial != nil { presence |= ExtensionPresence.otherCardSerial }
        let terms = record.entitlementTerms
        if let terms {
            presence |= ExtensionPresence.entitlementTerms
            switch (terms.rideLimit, terms.ridePeriod) {
            case (.some, .some): presence |= ExtensionPresence.rideLimit
            case (.none, .none): break
            default: throw LedgerError(.invalidField, "an entitlement's ride limit and its period come together")
            }
            if terms.discountPercent != nil { presence |= ExtensionPresence.discount }
        }
        let counters = record.cardCounters
        if let counters {
            presence |= ExtensionPresence.tripSequence
            switch (counters.countedRides, counters.countPeriodStart) {
            case (.some, .some): presence |= ExtensionPresence.countedRides
            case (.none, .none): break
            default: throw LedgerError(.invalidField, "counted rides and their period start come together")
            }
        }
        out.appendBigEndian(presence)
        out.appendBigEndian(record.amountKopecks ?? 0)
        out.appendBigEndian(record.receiptNumber ?? 0)
        out.appendBigEndian(record.otherCardSerial?.rawValue ?? 0)
        out.appendBigEndian(terms?.validFrom.daysSinceEpoch ?? 0)
        out.appendBigEndian(terms?.validUntil.daysSinceEpoch ?? 0)
        out.append(terms?.product.rawValue ?? 0)
        out.append(terms?.ridePeriod?.rawValue ?? 0)
        out.appendBigEndian(terms?.rideLimit ?? 0)
        out.append(terms?.discountPercent ?? 0)
        out.appendBigEndian(counters?.tripSequence ?? 0)
        out.appendBigEndian(counters?.countedRides ?? 0)
        out.appendBigEndian(counters?.countPeriodStart?.daysSinceEpoch ?? 0)
    }

    struct Decoded {
        var deviceID: DeviceID
        var sequence: UInt64
        var record: LedgerRecord
        var previousHash: ChainHash
    }

    static func decode(_ bytes: [UInt8]) throws -> Decoded {
        var reader = ByteReader(bytes)
        let formatByte = try reader.integer(UInt8.self, "format")
        guard formatByte == format || formatByte == extendedFormat else {
            throw LedgerError(.unsupportedFormat, "entry format \(formatByte); this code reads formats \(format) and \(extendedFormat)")
        }
        let kindByte = try reader.integer(UInt8.self, "kind")
        guard let kind = LedgerEntryKind(rawValue: kindByte) else {
            throw LedgerError(.unknownKind, "entry kind \(kindByte) is not known")
        }
        guard formatByte >= kind.minimumFormat else {
            throw LedgerError(.nonCanonical, "a \(kind) entry is format \(kind.minimumFormat), not \(formatByte)")
        }
        let presence = try reader.integer(UInt16.self, "presence")
        guard presence & ~Presence.all == 0 else {
            throw LedgerError(.nonCanonical, "presence bits \(presence) name fields that do not exist")
        }
        let device = try reader.integer(UInt32.self, "device id")
        let sequence = try reader.integer(UInt64.self, "sequence")
        let time = try reader.integer(Int64.self, "device time")

        /// Reads a field; when its presence bit is clear the bytes must be zero (one record, one encoding).
        func field<T: FixedWidthInteger>(_ type: T.Type, _ bit: UInt16, _ name: String) throws -> T? {
            let value = try reader.integer(T.self, name)
            if presence & bit != 0 { return value }
            guard value == 0 else {
                throw LedgerError(.nonCanonical, "\(name) is absent (presence bit clear) but its bytes are not zero")
            }
            return nil
        }
        let serial = try field(UInt64.self, Presence.cardSerial, "card serial")
        let layout = try field(UInt16.self, Presence.layoutVersion, "layout version")
        let entitlement = try field(UInt32.self, Presence.entitlementID, "entitlement id")
        let category = try field(UInt16.self, Presence.category, "category")
        let fare = try field(Int64.self, Presence.fare, "fare")
        let fullFare = try field(Int64.self, Presence.fullFare, "full fare")
        let purse = try field(Int64.self, Presence.purseBalanceAfter, "purse balance after")
        let route = try field(UInt16.self, Presence.route, "route")
        let vehicle = try field(UInt32.self, Presence.vehicle, "vehicle")
        let related = try field(UInt64.self, Presence.relatedSequence, "related sequence")
        let correction = try field(Int64.self, Presence.clockCorrection, "clock correction")
        let detailLength = Int(try reader.integer(UInt16.self, "detail length"))
        guard detailLength <= maximumDetailBytes else {
            throw LedgerError(.tooLarge, "detail length \(detailLength); at most \(maximumDetailBytes)")
        }
        var extended = DecodedExtension()
        if formatByte == extendedFormat { extended = try decodeExtension(&reader) }
        let detailBytes = try reader.take(detailLength, "detail")
        // Most entries have no detail. The slice is validated through its buffer: generic over
        // the slice, the validation instantiated type metadata on every call (4 % of the
        // processor time of a month's reconciliation).
        guard let detail = detailBytes.isEmpty ? "" : detailBytes.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) else {
            throw LedgerError(.invalidField, "detail text is not valid UTF-8")
        }
        let previous = try reader.hash("previous hash")
        try reader.expectEnd("entry")

        let record = LedgerRecord(
            kind: kind, deviceTime: UnixTime(time), cardSerial: serial.map(CardSerial.init(rawValue:)),
            layoutVersion: layout.map(LayoutVersion.init(rawValue:)),
            entitlementID: entitlement.map(EntitlementID.init(rawValue:)), category: category.map(CategoryCode.init(rawValue:)),
            fareKopecks: fare, fullFareKopecks: fullFare, purseBalanceAfterKopecks: purse,
            route: route.map(RouteNumber.init(rawValue:)), vehicle: vehicle.map(VehicleID.init(rawValue:)),
            relatedSequence: related, clockCorrectionSeconds: correction, detail: detail,
            amountKopecks: extended.amount, receiptNumber: extended.receipt, otherCardSerial: extended.otherSerial,
            entitlementTerms: extended.terms, cardCounters: extended.counters)
        // One record, one encoding: a format 2 entry must need format 2.
        guard record.format == formatByte else {
            throw LedgerError(.nonCanonical, "a \(kind) entry with no format 2 field is format 1, not \(formatByte)")
        }
        return Decoded(deviceID: DeviceID(rawValue: device), sequence: sequence, record: record, previousHash: previous)
    }
}

extension CanonicalEncoding {
    struct DecodedExtension {
        var amount: Int64?
        var receipt: UInt64?
        var otherSerial: CardSerial?
        var terms: WrittenEntitlementTerms?
        var counters: CardCounters?
    }

    /// Reads the 51-byte extension block of format 2, with the same rule as the header: a field
    /// whose bit is clear must be zero, and a field's companions share its bit.
    static func decodeExtension(_ reader: inout ByteReader) throws -> DecodedExtension {
        let presence = try reader.integer(UInt16.self, "extension presence")
        guard presence & ~ExtensionPresence.all == 0 else {
            throw LedgerError(.nonCanonical, "extension presence bits \(presence) name fields that do not exist")
        }
        func has(_ bit: UInt16) -> Bool { presence & bit != 0 }
        func field<T: FixedWidthInteger>(_ type: T.Type, _ bit: UInt16, _ name: String) throws -> T? {
            let value = try reader.integer(T.self, name)
            if has(bit) { return value }
            guard value == 0 else {
                throw LedgerError(.nonCanonical, "\(name) is absent (extension presence bit clear) but its bytes are not zero")
            }
            return nil
        }
        for dependent in [ExtensionPresence.rideLimit, ExtensionPresence.discount] where has(dependent) && !has(ExtensionPresence.entitlementTerms) {
            throw LedgerError(.nonCanonical, "extension bit \(dependent) is set without the entitlement terms bit")
        }
        if has(ExtensionPresence.countedRides) && !has(ExtensionPresence.tripSequence) {
            throw LedgerError(.nonCanonical, "counted rides are set without the trip sequence")
        }
        var out = DecodedExtension()
        out.amount = try field(Int64.self, ExtensionPresence.amount, "amount")
        out.receipt = try field(UInt64.self, ExtensionPresence.receiptNumber, "receipt number")
        out.otherSerial = try field(UInt64.self, ExtensionPresence.otherCardSerial, "other card serial").map(CardSerial.init(rawValue:))
        let validFrom = try field(Int32.self, ExtensionPresence.entitlementTerms, "valid from")
        let validUntil = try field(Int32.self, ExtensionPresence.entitlementTerms, "valid until")
        let productByte = try field(UInt8.self, ExtensionPresence.entitlementTerms, "product")
        let periodByte = try field(UInt8.self, ExtensionPresence.rideLimit, "ride period")
        let limit = try field(UInt16.self, ExtensionPresence.rideLimit, "ride limit")
        let discount = try field(UInt8.self, ExtensionPresence.discount, "discount")
        let trip = try field(UInt32.self, ExtensionPresence.tripSequence, "trip sequence")
        let counted = try field(UInt32.self, ExtensionPresence.countedRides, "counted rides")
        let periodStart = try field(Int32.self, ExtensionPresence.countedRides, "count period start")
        if let validFrom, let validUntil, let productByte {
            guard let product = ProductKind(rawValue: productByte) else {
                throw LedgerError(.invalidField, "product kind \(productByte) is not known")
            }
            var period: RidePeriod?
            if let periodByte {
                guard let known = RidePeriod(rawValue: periodByte) else {
                    throw LedgerError(.invalidField, "ride period \(periodByte) is not known")
                }
                period = known
            }
            out.terms = WrittenEntitlementTerms(
                product: product, validFrom: CivilDate(daysSinceEpoch: validFrom), validUntil: CivilDate(daysSinceEpoch: validUntil),
                rideLimit: limit, ridePeriod: period, discountPercent: discount)
        }
        if let trip {
            out.counters = CardCounters(
                tripSequence: trip, countedRides: counted, countPeriodStart: periodStart.map(CivilDate.init(daysSinceEpoch:)))
        }
        return out
    }
}
