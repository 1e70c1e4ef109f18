import Identifiers

/// The canonical encodings an entitlement can be stored and signed in. The first byte of every
/// encoding is its number, so a reader tells them apart without being told.
public enum EntitlementEncoding: UInt8, Hashable, Sendable, CaseIterable {
    /// Format 1: fixed-width fields, the card serial and layout version inside; 94–98 bytes
    /// signed without routes, zones or windows. Every card issued before layout v3 holds it.
    case full = 1
    /// Format 2: what the card already says (serial, layout version) left out of the stored
    /// bytes but still signed, dates as day numbers, small numbers as varints; 77–81 bytes signed
    /// without routes, zones or windows (docs/entitlements.md, "Compact encoding").
    case compact = 2
}

/// Format 2, the compact encoding (byte layout in docs/entitlements.md).
///
/// It exists in two forms that differ only in the binding:
/// - the **portable form** (`EntitlementTerms.encoded(.compact)`, `Entitlement.encoded()`):
///   format byte 2, card serial (8 bytes), layout version (2 bytes), then the body;
/// - the **card form** (`Entitlement.cardEncoded()`): format byte 2, then the body. The card's
///   own card info holds the serial and layout version, so storing them again costs ten bytes
///   of the slot, which is what keeps card info and the first slot inside two read frames.
///
/// Why the signature stays safe: the issuer signs the domain tag and the *portable* form, so the
/// serial and layout version are signed even though the card does not store them. A reader
/// rebuilds the portable form from the card form and the card info it read
/// (`Entitlement(decodingCardSlot:cardSerial:layoutVersion:)`); copied onto another card, or
/// into an application of another layout version, the rebuilt message differs and the signature
/// fails. The domain tag differs from format 1's, so a format-1 signature never verifies a
/// format-2 body or the reverse.
extension EntitlementTerms {
    /// Prepended to the portable compact form before signing.
    static let compactSigningDomain: [UInt8] = Array("HromadaCard entitlement v2\u{0}".utf8)

    /// Bytes the portable form has beyond the card form: the card serial and layout version.
    static let compactBindingSize = 10

    /// The latest day a compact date field reaches: 65535 days after 2000-01-01 (2179-06-06).
    static let compactMaximumDay = 65_535

    /// The canonical encoding of the terms in `encoding` (portable form).
    public func encoded(_ encoding: EntitlementEncoding) throws -> [UInt8] {
        switch encoding {
        case .full: try encoded()
        case .compact: try compactEncoded()
        }
    }

    /// The exact bytes an issuer signs for an entitlement stored in `encoding`.
    public func signedBytes(_ encoding: EntitlementEncoding) -> [UInt8] {
        switch encoding {
        case .full: signedBytes
        // Terms that cannot be encoded cannot be signed either; an empty body verifies nothing.
        case .compact: Self.compactSigningDomain + ((try? compactEncoded()) ?? [])
        }
    }

    /// Decodes canonical terms in `encoding` (portable form, no signature).
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes, as encoding: EntitlementEncoding) throws {
        switch encoding {
        case .full:
            try self.init(decoding: bytes)
        case .compact:
            var reader = ByteReader(bytes, what: "entitlement")
            self = try Self.readCompact(&reader)
            try reader.expectEnd()
        }
    }

    private static func compactDay(_ date: CivilDate, _ what: String) throws -> Int {
        let day = Int(date.daysSinceEpoch) - Int(CivilDate.compactEpoch.daysSinceEpoch)
        guard (0...compactMaximumDay).contains(day) else {
            throw EntitlementError(.tooLarge, "\(what) must lie between 2000-01-01 and 2179-06-06 in the compact encoding")
        }
        return day
    }

    func compactEncoded() throws -> [UInt8] {
        guard validFrom <= validUntil else {
            throw EntitlementError(.invalidField, "validFrom \(validFrom) is after validUntil \(validUntil)")
        }
        let from = try Self.compactDay(validFrom, "validity dates")
        let until = try Self.compactDay(validUntil, "validity dates")
        try checkLimits()
        var writer = ByteWriter(capacity: 48)
        writer.u8(EntitlementEncoding.compact.rawValue)
        writer.u64(cardSerial.rawValue)
        writer.u16(layoutVersion.rawValue)
        writer.varint(UInt64(id.rawValue))
        writer.varint(UInt64(category.rawValue))
        writer.varint(UInt64(from))
        writer.varint(UInt64(until - from))
        writer.u8(priority)
        writer.u32(issuerKeyID.rawValue)
        let hasLimits = !routes.isEmpty || !zones.isEmpty
        writer.u8(product.kind.rawValue | UInt8(timeWindows.count) << 3 | (hasLimits ? 0x40 : 0))
        if hasLimits { writer.u8(UInt8(routes.count) << 4 | UInt8(zones.count)) }
        switch product {
        case .free, .storedValue:
            break
        case .discount(let percent):
            guard (1...100).contains(percent) else { throw EntitlementError(.invalidField, "discount must be 1-100 %, not \(percent)") }
            writer.u8(percent)
        case .rides(let count, let period):
            guard count > 0 else { throw EntitlementError(.invalidField, "a ride allowance needs at least one ride") }
            writer.varint(UInt64(count))
            writer.u8(period.rawValue)
        case .pass(let passFrom, let passThrough):
            guard passFrom <= passThrough else { throw EntitlementError(.invalidField, "pass starts \(passFrom) after it ends \(passThrough)") }
            let start = try Self.compactDay(passFrom, "pass dates")
            let end = try Self.compactDay(passThrough, "pass dates")
            writer.varint(UInt64(start))
            writer.varint(UInt64(end - start))
        }
        for route in routes.sorted() { writer.varint(UInt64(route.rawValue)) }
        for zone in zones.sorted() { writer.u8(zone.rawValue) }
        for window in timeWindows {
            writer.u8(window.weekdays.rawValue)
            writer.u16(window.fromMinute)
            writer.u16(window.untilMinute)
        }
        return writer.bytes
    }

    /// Reads the portable compact form; every field range-checked, every shortcut canonical.
    static func readCompact(_ reader: inout ByteReader) throws -> EntitlementTerms {
        let format = try reader.u8("format")
        guard format == EntitlementEncoding.compact.rawValue else {
            throw EntitlementError(.unsupportedFormat, "entitlement format \(format), expected the compact format 2")
        }
        let serial = CardSerial(try reader.u64("card serial"))
        let layout = LayoutVersion(try reader.u16("layout version"))
        let id = EntitlementID(UInt32(try reader.varint("id", maximum: UInt64(UInt32.max))))
        let category = CategoryCode(UInt16(try reader.varint("category", maximum: UInt64(UInt16.max))))
        let from = Int(try reader.varint("valid from", maximum: UInt64(compactMaximumDay)))
        let length = Int(try reader.varint("validity length", maximum: UInt64(compactMaximumDay)))
        guard from + length <= compactMaximumDay else {
            throw EntitlementError(.tooLarge, "entitlement: valid until lies after 2179-06-06")
        }
        let priority = try reader.u8("priority")
        let issuer = KeyID(try reader.u32("issuer key id"))
        let shape = try reader.u8("shape")
        guard shape & 0x80 == 0 else { throw EntitlementError(.invalidField, "entitlement: reserved bit 7 of the shape byte is set") }
        let windowCount = Int(shape >> 3 & 0x07)
        guard windowCount <= maximumTimeWindows else { throw EntitlementError(.tooLarge, "entitlement: \(windowCount) time windows") }
        var routeCount = 0
        var zoneCount = 0
        if shape & 0x40 != 0 {
            let limits = try reader.u8("route and zone counts")
            routeCount = Int(limits >> 4)
            zoneCount = Int(limits & 0x0F)
            // The byte is there only when something is limited: one meaning, one encoding.
            guard limits != 0 else { throw EntitlementError(.nonCanonical, "entitlement: a limits byte that limits nothing") }
            guard routeCount <= maximumRoutes, zoneCount <= maximumZones else {
                throw EntitlementError(.tooLarge, "entitlement: \(routeCount) routes, \(zoneCount) zones")
            }
        }
        let tag = shape & 0x07
        let product: Product
        switch ProductKind(rawValue: tag) {
        case .free: product = .free
        case .storedValue: product = .storedValue
        case .discount:
            let percent = try reader.u8("discount percent")
            guard (1...100).contains(percent) else { throw EntitlementError(.invalidField, "entitlement: discount \(percent) % is not 1-100") }
            product = .discount(percent: percent)
        case .rides:
            let count = UInt16(try reader.varint("ride count", maximum: UInt64(UInt16.max)))
            let periodByte = try reader.u8("ride period")
            guard count > 0, let period = RidePeriod(rawValue: periodByte) else {
                throw EntitlementError(.invalidField, "entitlement: ride allowance \(count) per period \(periodByte)")
            }
            product = .rides(count: count, per: period)
        case .pass:
            let start = Int(try reader.varint("pass from", maximum: UInt64(compactMaximumDay)))
            let days = Int(try reader.varint("pass length", maximum: UInt64(compactMaximumDay)))
            guard start + days <= compactMaximumDay else { throw EntitlementError(.tooLarge, "entitlement: pass ends after 2179-06-06") }
            product = .pass(from: CivilDate.compactEpoch.adding(days: start), through: CivilDate.compactEpoch.adding(days: start + days))
        case nil:
            throw EntitlementError(.invalidField, "entitlement: unknown product tag \(tag)")
        }
        var routes: [RouteNumber] = []
        for _ in 0..<routeCount { routes.append(RouteNumber(UInt16(try reader.varint("route", maximum: UInt64(UInt16.max))))) }
        var zones: [ZoneNumber] = []
        for _ in 0..<zoneCount { zones.append(ZoneNumber(try reader.u8("zone"))) }
        // Sets are written in strictly ascending order; anything else has a second encoding.
        guard zip(routes, routes.dropFirst()).allSatisfy({ $0 < $1 }), zip(zones, zones.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw EntitlementError(.nonCanonical, "entitlement: routes or zones not in strictly ascending order") }
        var windows: [TimeWindow] = []
        for _ in 0..<windowCount {
            let window = TimeWindow(
                weekdays: WeekdaySet(rawValue: try reader.u8("weekdays")),
                fromMinute: try reader.u16("window from"),
                untilMinute: try reader.u16("window until"))
            guard window.isWellFormed else { throw EntitlementError(.invalidField, "entitlement: malformed time window") }
            windows.append(window)
        }
        return EntitlementTerms(
            id: id, cardSerial: serial, layoutVersion: layout, category: category, product: product,
            validFrom: CivilDate.compactEpoch.adding(days: from), validUntil: CivilDate.compactEpoch.adding(days: from + length),
            routes: Set(routes), zones: Set(zones), timeWindows: windows, priority: priority, issuerKeyID: issuer)
    }
}

extension CivilDate {
    /// Day 0 of the compact encoding's dates (the card's own date epoch).
    static let compactEpoch = CivilDate(daysSinceEpoch: 10_957)
}

extension Entitlement {
    /// The bytes a card slot stores: the portable encoding, except that the compact encoding
    /// leaves out the card serial and layout version the card info already holds.
    public func cardEncoded() throws -> [UInt8] {
        let portable = try encoded()
        switch encoding {
        case .full: return portable
        case .compact:
            let binding = 1..<(1 + EntitlementTerms.compactBindingSize)
            return [portable[0]] + Array(portable[binding.upperBound...])
        }
    }

    /// Decodes a card slot's bytes (zero-padded after the signature) of a card whose card info
    /// says `cardSerial` and `layoutVersion`, in whichever encoding its format byte names.
    ///
    /// A format-1 entitlement carries its own binding (the verifier compares it with the card);
    /// a compact one gets the card's, which its signature covers.
    public init<Bytes: Collection<UInt8>>(decodingCardSlot bytes: Bytes, cardSerial: CardSerial, layoutVersion: LayoutVersion) throws {
        let stored = Array(bytes)
        guard let format = stored.first, format == EntitlementEncoding.compact.rawValue else {
            try self.init(decodingZeroPadded: stored)
            return
        }
        var binding = ByteWriter(capacity: EntitlementTerms.compactBindingSize)
        binding.u64(cardSerial.rawValue)
        binding.u16(layoutVersion.rawValue)
        try self.init(decodingZeroPadded: [format] + binding.bytes + stored.dropFirst())
    }
}

extension ByteWriter {
    /// An unsigned LEB128 varint: seven bits a byte, least significant group first, the high
    /// bit set on every byte but the last.
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

extension ByteReader {
    /// Reads a minimal LEB128 varint no larger than `maximum`; a longer-than-needed encoding is
    /// `non-canonical` (it would give one value two encodings, and one signature two messages).
    mutating func varint(_ field: String, maximum: UInt64) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8(field)
            guard shift < 63 else { throw EntitlementError(.tooLarge, "\(what): \(field) is longer than any value it may hold") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                guard byte != 0 || shift == 0 else {
                    throw EntitlementError(.nonCanonical, "\(what): \(field) is a varint with a needless zero byte")
                }
                break
            }
            shift += 7
        }
        guard value <= maximum else { throw EntitlementError(.tooLarge, "\(what): \(field) is \(value), at most \(maximum)") }
        return value
    }
}
