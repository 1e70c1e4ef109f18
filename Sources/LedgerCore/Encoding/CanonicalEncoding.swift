import Entitlements
import Identifiers

/// The canonical bytes of a ledger entry, format 1 (docs/ledger-format.md, byte by byte).
///
/// A fixed 88-byte header of big-endian fields, the detail text, then the previous hash.
/// Fixed offsets and no optional encodings keep an auditor's verifier to a few lines of
/// Python `struct`; a presence bitmask says which fields apply, and absent fields must be zero
/// so that one record has exactly one encoding (a hash over a non-unique encoding would let two
/// different byte strings claim the same entry).
enum CanonicalEncoding {
    static let format: UInt8 = 1
    static let headerSize = 88
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
        out.reserveCapacity(headerSize + detail.count + 32)
        out.append(format)
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
        out.append(contentsOf: detail)
        out.append(contentsOf: previousHash.bytes)
        return out
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
        guard formatByte == format else {
            throw LedgerError(.unsupportedFormat, "entry format \(formatByte); this code reads format \(format)")
        }
        let kindByte = try reader.integer(UInt8.self, "kind")
        guard let kind = LedgerEntryKind(rawValue: kindByte) else {
            throw LedgerError(.unknownKind, "entry kind \(kindByte) is not known")
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
        let detailBytes = try reader.take(detailLength, "detail")
        guard let detail = String(validating: detailBytes, as: UTF8.self) else {
            throw LedgerError(.invalidField, "detail text is not valid UTF-8")
        }
        let previous = try ChainHash(bytes: try reader.take(32, "previous hash"))
        try reader.expectEnd("entry")

        let record = LedgerRecord(
            kind: kind, deviceTime: UnixTime(time), cardSerial: serial.map(CardSerial.init(rawValue:)),
            layoutVersion: layout.map(LayoutVersion.init(rawValue:)),
            entitlementID: entitlement.map(EntitlementID.init(rawValue:)), category: category.map(CategoryCode.init(rawValue:)),
            fareKopecks: fare, fullFareKopecks: fullFare, purseBalanceAfterKopecks: purse,
            route: route.map(RouteNumber.init(rawValue:)), vehicle: vehicle.map(VehicleID.init(rawValue:)),
            relatedSequence: related, clockCorrectionSeconds: correction, detail: detail)
        return Decoded(deviceID: DeviceID(rawValue: device), sequence: sequence, record: record, previousHash: previous)
    }
}
