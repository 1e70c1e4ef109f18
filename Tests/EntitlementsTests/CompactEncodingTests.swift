import Entitlements
import Identifiers
import PropertyBased
import PropertyTesting
import Testing

/// Format 2, the compact on-card encoding: its byte layout, round trips, the binding to the card
/// that the stored bytes leave out but the signature covers, and refusal of every damaged form.
@Suite("Compact entitlement encoding")
struct CompactEncodingTests {
    static let layout: LayoutVersion = 3

    static func compact(_ product: Product = .free, routes: Set<RouteNumber> = [], zones: Set<ZoneNumber> = [],
                        windows: [TimeWindow] = []) throws -> Entitlement {
        try Fixture.terms(layout: layout, product: product, routes: routes, zones: zones, windows: windows)
            .signed(with: Fixture.deskKey, encoding: .compact)
    }

    static func verdict(_ entitlement: Entitlement, card: CardSerial = Fixture.card, layout: LayoutVersion = layout) -> EntitlementVerdict {
        Fixture.trust().verify(entitlement, for: card, layoutVersion: layout, categories: Fixture.categories, now: Fixture.now)
    }

    /// docs/entitlements.md "Compact encoding", worked out by hand: id 7, category 1, free,
    /// 2026-01-01 (day 9497 = varint 99 4a) for 364 more days (varint ec 02), priority 0, issuer 0x10.
    @Test func cardFormMatchesTheDocumentedLayout() throws {
        let entitlement = try Self.compact()
        let card = try entitlement.cardEncoded()
        #expect(Hex.encode(Array(card.prefix(13))) == "020701994aec020000000010" + "01")
        #expect(card.count == 13 + 64)
        #expect(Hex.encode(try entitlement.terms.encoded(.compact)) == "02" + "0102030405060708" + "0003" + "0701994aec02000000001001")
        #expect(Array(card.suffix(64)) == entitlement.signature.rawRepresentation)
    }

    @Test(arguments: [
        (Product.free, 77, 94), (.storedValue, 77, 94), (.discount(percent: 25), 78, 95), (.rides(count: 2, per: .day), 79, 97),
        (.pass(from: Fixture.date(2026, 4, 1), through: Fixture.date(2026, 4, 30)), 80, 98),
    ])
    func cardRecordSizes(product: Product, compact: Int, full: Int) throws {
        // Layout v3's slot holds 83 bytes after its length byte: every product fits with room
        // for a route or two; format 1 needs 94-98.
        #expect(try Self.compact(product).cardEncoded().count == compact)
        #expect(try Fixture.terms(product: product).signed(with: Fixture.deskKey).cardEncoded().count == full)
    }

    @Test func aCompactEntitlementVerifiesOnItsCardOnly() throws {
        let stored = try Self.compact(.pass(from: Fixture.date(2026, 1, 1), through: Fixture.date(2026, 12, 31))).cardEncoded()
        let padded = stored + [UInt8](repeating: 0, count: 83 - stored.count)
        let read = try Entitlement(decodingCardSlot: padded, cardSerial: Fixture.card, layoutVersion: Self.layout)
        #expect(read.encoding == .compact)
        #expect(Self.verdict(read).verified != nil)
        // Copied onto another card, or into another layout's application: the rebuilt message differs.
        let copied = try Entitlement(decodingCardSlot: padded, cardSerial: CardSerial(0x0102_0304_0506_0709), layoutVersion: Self.layout)
        #expect(Self.verdict(copied, card: CardSerial(0x0102_0304_0506_0709)).rejection == .badSignature)
        let otherLayout = try Entitlement(decodingCardSlot: padded, cardSerial: Fixture.card, layoutVersion: 2)
        #expect(Self.verdict(otherLayout, layout: 2).rejection == .badSignature)
    }

    @Test func formatOneSlotsStillReadAndVerify() throws {
        let full = try Fixture.terms().signed(with: Fixture.deskKey)
        let padded = try full.cardEncoded() + [UInt8](repeating: 0, count: 9)
        let read = try Entitlement(decodingCardSlot: padded, cardSerial: Fixture.card, layoutVersion: Fixture.layout)
        #expect(read == full)
        #expect(read.encoding == .full)
        #expect(Self.verdict(read, layout: Fixture.layout).verified != nil)
    }

    @Test func aSignatureDoesNotCrossEncodings() throws {
        let compact = try Self.compact()
        let relabelled = Entitlement(terms: compact.terms, signature: compact.signature, encoding: .full)
        #expect(Self.verdict(relabelled).rejection == .badSignature)
        let full = try Fixture.terms(layout: Self.layout).signed(with: Fixture.deskKey)
        let relabelledFull = Entitlement(terms: full.terms, signature: full.signature, encoding: .compact)
        #expect(Self.verdict(relabelledFull).rejection == .badSignature)
    }

    @Test func everyTruncationIsRefused() throws {
        let stored = try Self.compact(.rides(count: 40, per: .month), routes: [1, 300], zones: [2]).cardEncoded()
        for length in 0..<stored.count {
            #expect(throws: EntitlementError.self) {
                try Entitlement(decodingCardSlot: stored.prefix(length), cardSerial: Fixture.card, layoutVersion: Self.layout)
            }
        }
    }

    @Test func everyByteChangedIsRefusedByDecodingOrByTheSignature() throws {
        let original = try Self.compact(.discount(percent: 50), routes: [7], windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))])
        let stored = try original.cardEncoded()
        var decodedButRejected = 0
        for index in stored.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var mutated = stored
                mutated[index] ^= flip
                guard let read = try? Entitlement(decodingCardSlot: mutated, cardSerial: Fixture.card, layoutVersion: Self.layout) else { continue }
                #expect(read != original)
                #expect(Self.verdict(read).verified == nil, "byte \(index) ^ \(flip) still verifies")
                decodedButRejected += 1
            }
        }
        // The signature's bytes always decode; only verification refuses them.
        #expect(decodedButRejected >= 64 * 3)
    }

    @Test func nonCanonicalFormsAreRefused() throws {
        let stored = try Self.compact().cardEncoded()
        // id 7 as a two-byte varint (87 00) instead of 07.
        let longVarint = [stored[0], 0x87, 0x00] + stored.dropFirst(2)
        #expect(throws: EntitlementError(.nonCanonical, "")) {
            try Entitlement(decodingCardSlot: longVarint, cardSerial: Fixture.card, layoutVersion: Self.layout)
        }
        // The shape byte (offset 12) claiming a limits byte of zero.
        var emptyLimits = Array(stored.prefix(13))
        emptyLimits[12] |= 0x40
        emptyLimits += [0x00] + stored.dropFirst(13)
        #expect(throws: EntitlementError(.nonCanonical, "")) {
            try Entitlement(decodingCardSlot: emptyLimits, cardSerial: Fixture.card, layoutVersion: Self.layout)
        }
        var reserved = stored
        reserved[12] |= 0x80
        #expect(throws: EntitlementError(.invalidField, "")) {
            try Entitlement(decodingCardSlot: reserved, cardSerial: Fixture.card, layoutVersion: Self.layout)
        }
        #expect(throws: EntitlementError(.trailingBytes, "")) {
            try Entitlement(decodingCardSlot: stored + [0, 0, 1], cardSerial: Fixture.card, layoutVersion: Self.layout)
        }
    }

    @Test func datesBefore2000CannotBeCompact() {
        let early = Fixture.terms(from: Fixture.date(1999, 12, 31), until: Fixture.date(2026, 1, 1))
        #expect(throws: EntitlementError(.tooLarge, "")) { try early.encoded(.compact) }
        #expect(throws: Never.self) { try early.encoded() }
    }

    // MARK: Properties

    /// Random terms the compact encoding can hold: dates from 2000 on.
    static func compactTerms(_ rng: inout some RandomNumberGenerator) -> EntitlementTerms {
        func day() -> CivilDate { CivilDate(daysSinceEpoch: 10_957 + Int32.random(in: 0...65_535, using: &rng)) }
        var terms = Random.terms(&rng)
        let a = day()
        let b = day()
        terms.validFrom = min(a, b)
        terms.validUntil = max(a, b)
        if case .pass = terms.product {
            let c = day()
            let d = day()
            terms.product = .pass(from: min(c, d), through: max(c, d))
        }
        return terms
    }

    @Test func compactEntitlementsRoundTripInBothForms() async {
        let generator = Generator<(EntitlementTerms, Ed25519Signature), Shrink.None<(EntitlementTerms, Ed25519Signature)>> { rng in
            (Self.compactTerms(&rng), Random.signature(&rng))
        }
        await propertyCheck(count: 2000, input: generator) { terms, signature in
            await failOnThrow {
                let entitlement = Entitlement(terms: terms, signature: signature, encoding: .compact)
                let portable = try entitlement.encoded()
                let card = try entitlement.cardEncoded()
                #expect(card.count <= Entitlement.maximumEncodedSize)
                #expect(portable.count == card.count + 10)
                #expect(try Entitlement(decoding: portable) == entitlement)
                #expect(try EntitlementTerms(decoding: try terms.encoded(.compact), as: .compact) == terms)
                let padded = card + [UInt8](repeating: 0, count: 4)
                #expect(try Entitlement(decodingCardSlot: padded, cardSerial: terms.cardSerial, layoutVersion: terms.layoutVersion) == entitlement)
            }
        }
    }
}
