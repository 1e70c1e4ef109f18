import Identifiers

/// The canonical binary form of entitlements (byte layout in docs/entitlements.md).
extension EntitlementTerms {
    /// The format byte of this encoding.
    public static let formatVersion: UInt8 = 1
    /// Most routes an entitlement may name.
    public static let maximumRoutes = 8
    /// Most zones an entitlement may name.
    public static let maximumZones = 8
    /// Most time windows an entitlement may carry.
    public static let maximumTimeWindows = 4

    /// Prepended to the encoded terms before signing, so an entitlement signature can never be
    /// replayed as a certificate, bundle or checkpoint signature (or the other way round).
    static let signingDomain: [UInt8] = Array("HromadaCard entitlement v1\u{0}".utf8)

    /// Refuses terms either encoding cannot carry: too many routes, zones or time windows, or a
    /// malformed window.
    func checkLimits() throws {
        guard routes.count <= Self.maximumRoutes, zones.count <= Self.maximumZones,
            timeWindows.count <= Self.maximumTimeWindows
        else {
            throw EntitlementError(
                .tooLarge,
                "at most \(Self.maximumRoutes) routes, \(Self.maximumZones) zones and \(Self.maximumTimeWindows) time windows")
        }
        guard timeWindows.allSatisfy(\.isWellFormed) else {
            throw EntitlementError(.invalidField, "a time window has no weekdays or minutes outside 0-1440")
        }
    }

    /// The canonical encoding of the terms (the part of a card record before the signature).
    public func encoded() throws -> [UInt8] {
        guard let from = UInt16(exactly: validFrom.daysSinceEpoch), let until = UInt16(exactly: validUntil.daysSinceEpoch)
        else { throw EntitlementError(.tooLarge, "validity dates must lie between 1970-01-01 and 2149-06-06") }
        guard validFrom <= validUntil else {
            throw EntitlementError(.invalidField, "validFrom \(validFrom) is after validUntil \(validUntil)")
        }
        try checkLimits()
        var writer = ByteWriter(capacity: 64)
        writer.u8(Self.formatVersion)
        writer.u32(id.rawValue)
        writer.u64(cardSerial.rawValue)
        writer.u16(layoutVersion.rawValue)
        writer.u16(category.rawValue)
        writer.u16(from)
        writer.u16(until)
        writer.u8(priority)
        writer.u32(issuerKeyID.rawValue)
        writer.u8(product.kind.rawValue)
        switch product {
        case .free, .storedValue:
            break
        case .discount(let percent):
            guard (1...100).contains(percent) else { throw EntitlementError(.invalidField, "discount must be 1-100 %, not \(percent)") }
            writer.u8(percent)
        case .rides(let count, let period):
            guard count > 0 else { throw EntitlementError(.invalidField, "a ride allowance needs at least one ride") }
            writer.u16(count)
            writer.u8(period.rawValue)
        case .pass(let passFrom, let passThrough):
            guard let start = UInt16(exactly: passFrom.daysSinceEpoch), let end = UInt16(exactly: passThrough.daysSinceEpoch)
            else { throw EntitlementError(.tooLarge, "pass dates must lie between 1970-01-01 and 2149-06-06") }
            guard start <= end else { throw EntitlementError(.invalidField, "pass starts \(passFrom) after it ends \(passThrough)") }
            writer.u16(start)
            writer.u16(end)
        }
        writer.u8(UInt8(routes.count))
        for route in routes.sorted() { writer.u16(route.rawValue) }
        writer.u8(UInt8(zones.count))
        for zone in zones.sorted() { writer.u8(zone.rawValue) }
        writer.u8(UInt8(timeWindows.count))
        for window in timeWindows {
            writer.u8(window.weekdays.rawValue)
            writer.u16(window.fromMinute)
            writer.u16(window.untilMinute)
        }
        return writer.bytes
    }

    /// The exact bytes an issuer signs: a domain tag followed by `encoded()`.
    public var signedBytes: [UInt8] {
        // Terms that cannot be encoded cannot be signed either; an empty body verifies nothing.
        Self.signingDomain + ((try? encoded()) ?? [])
    }

    /// Decodes canonical terms from untrusted bytes (no signature); throws a named error on anything else.
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws {
        var reader = ByteReader(bytes, what: "entitlement")
        self = try Self.read(&reader)
        try reader.expectEnd()
    }

    static func read(_ reader: inout ByteReader) throws -> EntitlementTerms {
        let format = try reader.u8("format")
        guard format == formatVersion else {
            throw EntitlementError(.unsupportedFormat, "entitlement format \(format), this code reads \(formatVersion)")
        }
        let id = EntitlementID(try reader.u32("id"))
        let serial = CardSerial(try reader.u64("card serial"))
        let layout = LayoutVersion(try reader.u16("layout version"))
        let category = CategoryCode(try reader.u16("category"))
        let validFrom = CivilDate(daysSinceEpoch: Int32(try reader.u16("valid from")))
        let validUntil = CivilDate(daysSinceEpoch: Int32(try reader.u16("valid until")))
        guard validFrom <= validUntil else {
            throw EntitlementError(.invalidField, "entitlement: valid from \(validFrom) is after valid until \(validUntil)")
        }
        let priority = try reader.u8("priority")
        let issuer = KeyID(try reader.u32("issuer key id"))
        let tag = try reader.u8("product")
        let product: Product
        switch ProductKind(rawValue: tag) {
        case .free: product = .free
        case .storedValue: product = .storedValue
        case .discount:
            let percent = try reader.u8("discount percent")
            guard (1...100).contains(percent) else { throw EntitlementError(.invalidField, "entitlement: discount \(percent) % is not 1-100") }
            product = .discount(percent: percent)
        case .rides:
            let count = try reader.u16("ride count")
            let periodByte = try reader.u8("ride period")
            guard count > 0, let period = RidePeriod(rawValue: periodByte) else {
                throw EntitlementError(.invalidField, "entitlement: ride allowance \(count) per period \(periodByte)")
            }
            product = .rides(count: count, per: period)
        case .pass:
            let start = CivilDate(daysSinceEpoch: Int32(try reader.u16("pass from")))
            let end = CivilDate(daysSinceEpoch: Int32(try reader.u16("pass through")))
            guard start <= end else { throw EntitlementError(.invalidField, "entitlement: pass from \(start) after \(end)") }
            product = .pass(from: start, through: end)
        case nil:
            throw EntitlementError(.invalidField, "entitlement: unknown product tag \(tag)")
        }
        let routeCount = Int(try reader.u8("route count"))
        guard routeCount <= maximumRoutes else { throw EntitlementError(.tooLarge, "entitlement: \(routeCount) routes") }
        var routes: [RouteNumber] = []
        for _ in 0..<routeCount { routes.append(RouteNumber(try reader.u16("route"))) }
        let zoneCount = Int(try reader.u8("zone count"))
        guard zoneCount <= maximumZones else { throw EntitlementError(.tooLarge, "entitlement: \(zoneCount) zones") }
        var zones: [ZoneNumber] = []
        for _ in 0..<zoneCount { zones.append(ZoneNumber(try reader.u8("zone"))) }
        // Sets are written in strictly ascending order; anything else has a second encoding.
        guard zip(routes, routes.dropFirst()).allSatisfy({ $0 < $1 }), zip(zones, zones.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw EntitlementError(.nonCanonical, "entitlement: routes or zones not in strictly ascending order") }
        let windowCount = Int(try reader.u8("time window count"))
        guard windowCount <= maximumTimeWindows else { throw EntitlementError(.tooLarge, "entitlement: \(windowCount) time windows") }
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
            validFrom: validFrom, validUntil: validUntil, routes: Set(routes), zones: Set(zones),
            timeWindows: windows, priority: priority, issuerKeyID: issuer)
    }
}

extension Entitlement {
    /// Largest encoding a signed entitlement may have; sized for a DESFire record with room to spare.
    public static let maximumEncodedSize = 120

    /// The record in its portable form: the encoded terms followed by the 64-byte signature
    /// (for the full encoding also the card record; see ``cardEncoded()``).
    public func encoded() throws -> [UInt8] {
        let body = try terms.encoded(encoding)
        guard body.count + 64 <= Self.maximumEncodedSize + bindingBytes else {
            throw EntitlementError(.tooLarge, "signed entitlement would take \(body.count + 64) bytes, at most \(Self.maximumEncodedSize)")
        }
        return body + signature.rawRepresentation
    }

    /// Decodes a record in its portable form exactly (no bytes may follow the signature), in
    /// whichever encoding its format byte names.
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws {
        var reader = ByteReader(bytes, what: "entitlement")
        self = try Self.read(&reader)
        try reader.expectEnd()
    }

    /// Decodes a portable record stored in a fixed-size slot: the bytes after the signature must
    /// all be zero. (A compact card slot needs its card: ``init(decodingCardSlot:cardSerial:layoutVersion:)``.)
    public init<Bytes: Collection<UInt8>>(decodingZeroPadded bytes: Bytes) throws {
        var reader = ByteReader(bytes, what: "entitlement")
        self = try Self.read(&reader)
        guard reader.rest().allSatisfy({ $0 == 0 }) else {
            throw EntitlementError(.trailingBytes, "entitlement: non-zero bytes after the signature")
        }
    }

    /// Bytes the portable form has that the card form leaves out (the compact encoding's binding).
    var bindingBytes: Int { encoding == .compact ? EntitlementTerms.compactBindingSize : 0 }

    static func read(_ reader: inout ByteReader) throws -> Entitlement {
        let start = reader.offset
        // The format byte says the encoding; the readers check it again.
        let encoding: EntitlementEncoding = reader.rest().first == EntitlementEncoding.compact.rawValue ? .compact : .full
        let terms = encoding == .compact ? try EntitlementTerms.readCompact(&reader) : try EntitlementTerms.read(&reader)
        let signature = try Ed25519Signature(rawRepresentation: try reader.raw(64, "signature"))
        let entitlement = Entitlement(terms: terms, signature: signature, encoding: encoding)
        // The signer refuses anything larger, so a larger record was never signed by a desk.
        guard reader.offset - start - entitlement.bindingBytes <= maximumEncodedSize else {
            throw EntitlementError(.tooLarge, "entitlement: \(reader.offset - start - entitlement.bindingBytes) bytes on a card, at most \(maximumEncodedSize)")
        }
        return entitlement
    }
}

extension Entitlement: Codable {
    /// Reads the hex of the card record (for JSON exports and desk tools).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let bytes = Hex.decode(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "entitlement is not hex")
        }
        try self.init(decoding: bytes)
    }

    /// Writes the hex of the card record.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Hex.encode(try encoded()))
    }
}
