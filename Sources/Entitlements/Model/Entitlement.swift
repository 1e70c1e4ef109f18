import Identifiers

/// The terms of an entitlement, before signing: who may ride, on what, when.
///
/// The desk fills these in and signs them (`signed(with:)`); validators only ever see a signed
/// `Entitlement`. Every field is covered by the signature, including the card serial and layout
/// version, so an entitlement copied onto another card or into another layout does not verify.
public struct EntitlementTerms: Hashable, Sendable {
    /// The entitlement's number on its card; usage counters refer to it.
    public var id: EntitlementID
    /// The card the entitlement belongs to.
    public var cardSerial: CardSerial
    /// The layout version of that card.
    public var layoutVersion: LayoutVersion
    /// The benefit category it was granted under.
    public var category: CategoryCode
    /// What it gives.
    public var product: Product
    /// First local date on which it is valid.
    public var validFrom: CivilDate
    /// Last local date on which it is valid (inclusive).
    public var validUntil: CivilDate
    /// Routes it is limited to; empty means every route.
    public var routes: Set<RouteNumber>
    /// Zones it is limited to; empty means every zone.
    public var zones: Set<ZoneNumber>
    /// Weekly time windows it is limited to; empty means at any time.
    public var timeWindows: [TimeWindow]
    /// Breaks ties between entitlements of the same product kind; higher wins.
    public var priority: UInt8
    /// The key that signs (or signed) it; must be certified by the root with the issuer role.
    public var issuerKeyID: KeyID

    /// Creates entitlement terms.
    public init(
        id: EntitlementID,
        cardSerial: CardSerial,
        layoutVersion: LayoutVersion,
        category: CategoryCode,
        product: Product,
        validFrom: CivilDate,
        validUntil: CivilDate,
        routes: Set<RouteNumber> = [],
        zones: Set<ZoneNumber> = [],
        timeWindows: [TimeWindow] = [],
        priority: UInt8 = 0,
        issuerKeyID: KeyID
    ) {
        self.id = id
        self.cardSerial = cardSerial
        self.layoutVersion = layoutVersion
        self.category = category
        self.product = product
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.routes = routes
        self.zones = zones
        self.timeWindows = timeWindows
        self.priority = priority
        self.issuerKeyID = issuerKeyID
    }

    /// Whether `date` lies within `validFrom...validUntil`.
    public func isValid(on date: CivilDate) -> Bool { date >= validFrom && date <= validUntil }

    /// Whether the route and zone limits admit a ride on `route` in `zone`.
    public func covers(route: RouteNumber, zone: ZoneNumber) -> Bool {
        (routes.isEmpty || routes.contains(route)) && (zones.isEmpty || zones.contains(zone))
    }

    /// Whether the time windows admit a ride at `local` (always, if there are none).
    public func isWithinTimeWindows(_ local: LocalDateTime) -> Bool {
        timeWindows.isEmpty || timeWindows.contains { $0.contains(local) }
    }
}

/// A signed entitlement as stored on the card: the terms and the issuer's Ed25519 signature.
///
/// Read its terms directly (`entitlement.cardSerial`). Decoding one (`init(decoding:)`) proves
/// nothing about it; only `TrustStore.verify` does.
@dynamicMemberLookup
public struct Entitlement: Hashable, Sendable {
    /// The signed terms.
    public let terms: EntitlementTerms
    /// The issuer's signature over the canonical encoding of `terms` in `encoding`.
    public let signature: Ed25519Signature
    /// The encoding the entitlement was signed in, and so is stored and verified in.
    public let encoding: EntitlementEncoding

    /// Pairs terms with a signature over their `encoding` (no check is made; see `TrustStore.verify`).
    public init(terms: EntitlementTerms, signature: Ed25519Signature, encoding: EntitlementEncoding = .full) {
        self.terms = terms
        self.signature = signature
        self.encoding = encoding
    }

    /// The exact bytes the signature is over.
    public var signedBytes: [UInt8] { terms.signedBytes(encoding) }

    /// Reads a field of the terms.
    public subscript<Value>(dynamicMember keyPath: KeyPath<EntitlementTerms, Value>) -> Value {
        terms[keyPath: keyPath]
    }
}
