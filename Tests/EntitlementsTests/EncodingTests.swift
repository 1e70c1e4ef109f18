import Crypto
import Foundation
import Entitlements
import Identifiers
import PropertyBased
import PropertyTesting
import Testing

@Suite("Entitlement and certificate encoding")
struct EncodingTests {
    /// The byte layout of docs/entitlements.md, computed independently (Python `struct.pack`).
    @Test func entitlementTermsMatchTheDocumentedLayout() throws {
        let terms = Fixture.terms(
            category: 2, product: .discount(percent: 50), routes: [3, 1],
            windows: [TimeWindow(weekdays: .weekdays, from: (6, 0), until: (22, 0))], priority: 5)
        let expected = "01000000070102030405060708000100024fe6515205000000100232020001000300011f01680528"
        #expect(Hex.encode(try terms.encoded()) == expected)
        #expect(try EntitlementTerms(decoding: try terms.encoded()) == terms)
    }

    @Test func certificateTermsMatchTheDocumentedLayout() throws {
        let terms = CertificateTerms(
            keyID: 0x10, role: .issuer, publicKey: try SigningPublicKey(rawRepresentation: Array(0..<32)),
            notBefore: Fixture.utc(2025, 1, 1), notAfter: Fixture.utc(2030, 12, 31, 23, 59, 59), issuerKeyID: 1,
            format: .v1)
        // Format 1, as docs/entitlements.md and docs/keys.md lay it out; format 2 in CertificateFormatTests.
        let expected = "010000001002000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f6774858072bd0bff00000001"
        #expect(Hex.encode(try terms.encoded()) == expected)
        #expect(try terms.encoded().count == CertificateFormat.v1.termsSize)
    }

    @Test(arguments: [
        (Product.free, 30), (.storedValue, 30), (.discount(percent: 25), 31), (.rides(count: 2, per: .day), 33),
        (.pass(from: Fixture.date(2026, 4, 1), through: Fixture.date(2026, 4, 30)), 34),
    ])
    func termsSizePerProduct(product: Product, size: Int) throws {
        let encoded = try Fixture.terms(product: product).encoded()
        #expect(encoded.count == size)
        // Signed, every product without limits fits a 120-byte record with room for limits.
        #expect(encoded.count + 64 <= Entitlement.maximumEncodedSize - 20)
    }

    @Test func signedEntitlementRoundTripsThroughACardRecord() throws {
        let entitlement = try Fixture.terms(product: .rides(count: 2, per: .day)).signed(with: Fixture.deskKey)
        let record = try entitlement.encoded()
        #expect(record.count == 33 + 64)
        #expect(try Entitlement(decoding: record) == entitlement)
        #expect(try Entitlement(decodingZeroPadded: record + [UInt8](repeating: 0, count: 19)) == entitlement)
        #expect(throws: EntitlementError(.trailingBytes, "")) { try Entitlement(decodingZeroPadded: record + [0, 1]) }
        #expect(throws: EntitlementError(.trailingBytes, "")) { try Entitlement(decoding: record + [0]) }
    }

    @Test func tooManyLimitsAreRefusedWhenSigning() {
        let terms = Fixture.terms(
            product: .pass(from: Fixture.date(2026, 1, 1), through: Fixture.date(2026, 2, 1)),
            routes: Set((1...8).map { RouteNumber($0) }), zones: Set((1...8).map { ZoneNumber($0) }))
        #expect(throws: EntitlementError(.tooLarge, "")) { try terms.signed(with: Fixture.deskKey) }
        var nine = Fixture.terms()
        nine.routes = Set((1...9).map { RouteNumber($0) })
        #expect(throws: EntitlementError(.tooLarge, "")) { try nine.encoded() }
    }

    @Test(arguments: [
        Fixture.terms(product: .discount(percent: 0)),
        Fixture.terms(product: .discount(percent: 101)),
        Fixture.terms(product: .rides(count: 0, per: .week)),
        Fixture.terms(product: .pass(from: Fixture.date(2026, 5, 1), through: Fixture.date(2026, 4, 1))),
        Fixture.terms(from: Fixture.date(2026, 5, 1), until: Fixture.date(2026, 4, 1)),
        Fixture.terms(windows: [TimeWindow(weekdays: [], fromMinute: 0, untilMinute: 60)]),
        Fixture.terms(windows: [TimeWindow(weekdays: .everyDay, fromMinute: 60, untilMinute: 60)]),
        Fixture.terms(windows: [TimeWindow(weekdays: .everyDay, fromMinute: 0, untilMinute: 1441)]),
    ])
    func invalidTermsCannotBeEncoded(terms: EntitlementTerms) {
        #expect(throws: EntitlementError(.invalidField, "")) { try terms.encoded() }
    }

    @Test func datesOutsideTheTwoByteRangeCannotBeEncoded() {
        let late = Fixture.terms(until: CivilDate(daysSinceEpoch: 65_536))
        #expect(throws: EntitlementError(.tooLarge, "")) { try late.encoded() }
        let early = Fixture.terms(from: CivilDate(daysSinceEpoch: -1))
        #expect(throws: EntitlementError(.tooLarge, "")) { try early.encoded() }
    }

    /// Hand-made malformed records, each with the error it must raise.
    @Test(arguments: [
        ("", EntitlementError.Code.truncated),
        ("02", .unsupportedFormat),
        ("01000000070102030405060708000100024fe6515205000000100232", .truncated),
        // product tag 9
        ("01000000070102030405060708000100024fe65152050000001009000000", .invalidField),
        // discount 0 %
        ("01000000070102030405060708000100024fe651520500000010020000000000", .invalidField),
        // valid from after valid until
        ("01000000070102030405060708000100025152515105000000100100000000", .invalidField),
        // routes 3, 1 (not ascending)
        ("01000000070102030405060708000100024fe651520500000010010200030001000000", .nonCanonical),
        // route repeated
        ("01000000070102030405060708000100024fe651520500000010010200010001000000", .nonCanonical),
        // nine zones
        ("01000000070102030405060708000100024fe6515205000000100100090102030405060708090000", .tooLarge),
        // a window with no weekdays
        ("01000000070102030405060708000100024fe65152050000001001000001000000", .truncated),
        ("01000000070102030405060708000100024fe651520500000010010000010000000001", .invalidField),
        ("01000000070102030405060708000100024fe65152050000001001000001000000003c", .invalidField),
        // rides with period 4
        ("01000000070102030405060708000100024fe6515205000000100300020400000000", .invalidField),
    ])
    func malformedTermsAreNamed(hexBytes: String, code: EntitlementError.Code) throws {
        let input = try #require(Hex.decode(hexBytes), "test vector is not hex")
        #expect(throws: EntitlementError(code, "")) { try EntitlementTerms(decoding: input) }
    }

    @Test func recordsLargerThanTheLimitAreRefused() throws {
        // 30 + 16 (8 routes) + 8 (8 zones) + 20 (4 windows) + 64 = 138 bytes: decodable terms, but never signable.
        let window = TimeWindow(weekdays: .everyDay, fromMinute: 0, untilMinute: 1440)
        let terms = Fixture.terms(
            routes: Set((1...8).map { RouteNumber($0) }), zones: Set((1...8).map { ZoneNumber($0) }), windows: Array(repeating: window, count: 4))
        let record = try terms.encoded() + [UInt8](repeating: 0xAB, count: 64)
        #expect(record.count == 138)
        #expect(throws: EntitlementError(.tooLarge, "")) { try Entitlement(decoding: record) }
        #expect(try EntitlementTerms(decoding: try terms.encoded()) == terms)
    }

    @Test func jsonCarriesTheCanonicalBytesAsHex() throws {
        let entitlement = try Fixture.terms().signed(with: Fixture.deskKey)
        let certificate = Fixture.certificate(id: Fixture.deskID, role: .issuer, key: Fixture.deskKey)
        let entitlementJSON = try JSONEncoder().encode([entitlement])
        let certificateJSON = try JSONEncoder().encode([certificate])
        #expect(try JSONDecoder().decode([Entitlement].self, from: entitlementJSON) == [entitlement])
        #expect(try JSONDecoder().decode([Certificate].self, from: certificateJSON) == [certificate])
        #expect(String(decoding: certificateJSON, as: UTF8.self) == "[\"" + Hex.encode(try certificate.encoded()) + "\"]")
        #expect(throws: EntitlementError(.truncated, "")) { try JSONDecoder().decode([Certificate].self, from: Data(#"["0100"]"#.utf8)) }
    }

    @Test func aPublicKeyMustHave32Bytes() {
        #expect(throws: EntitlementError(.invalidKey, "")) { try SigningPublicKey(rawRepresentation: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: EntitlementError(.invalidField, "")) { try Ed25519Signature(rawRepresentation: [UInt8](repeating: 0, count: 63)) }
    }

    // 5 is the finance officer's role since issue 12; 6 is the first unknown one.
    @Test(arguments: [UInt8(0), 6, 0xFF])
    func certificateWithUnknownRoleIsRefused(role: UInt8) throws {
        var bytes = try Fixture.certificate(id: 5, role: .issuer, key: Fixture.deskKey).encoded()
        bytes[5] = role
        #expect(throws: EntitlementError(.invalidField, "")) { try Certificate(decoding: bytes) }
    }

    // MARK: Properties

    @Test func entitlementsRoundTrip() async {
        let generator = Generator<(EntitlementTerms, Ed25519Signature), Shrink.None<(EntitlementTerms, Ed25519Signature)>> { rng in
            (Random.terms(&rng), Random.signature(&rng))
        }
        await propertyCheck(count: 2000, input: generator) { terms, signature in
            await failOnThrow {
                let entitlement = Entitlement(terms: terms, signature: signature)
                let record = try entitlement.encoded()
                #expect(record.count <= Entitlement.maximumEncodedSize)
                #expect(try Entitlement(decoding: record) == entitlement)
                #expect(try EntitlementTerms(decoding: try terms.encoded()) == terms)
            }
        }
    }

    @Test func certificatesRoundTrip() async {
        let generator = Generator<Certificate, Shrink.None<Certificate>> { rng in
            let a = Int64(UInt32.random(in: 0...UInt32.max, using: &rng))
            let b = Int64(UInt32.random(in: 0...UInt32.max, using: &rng))
            let terms = CertificateTerms(
                keyID: KeyID(UInt32.random(in: 0...UInt32.max, using: &rng)), role: KeyRole.allCases.randomElement(using: &rng)!,
                publicKey: try! SigningPublicKey(rawRepresentation: Random.bytes(&rng, count: 32)),
                notBefore: UnixTime(min(a, b)), notAfter: UnixTime(max(a, b)),
                issuerKeyID: KeyID(UInt32.random(in: 0...UInt32.max, using: &rng)))
            var withDevice = terms
            withDevice.format = CertificateFormat.allCases.randomElement(using: &rng)!
            // Format 2 binds a validator key to a device (1...); format 1 and other roles name none.
            if withDevice.format == .v2, terms.role == .validator {
                withDevice.deviceID = DeviceID(UInt32.random(in: 1...UInt32.max, using: &rng))
            }
            return Certificate(terms: withDevice, signature: Random.signature(&rng))
        }
        await propertyCheck(count: 2000, input: generator) { certificate in
            await failOnThrow {
                let bytes = try certificate.encoded()
                #expect(bytes.count == certificate.format.certificateSize)
                #expect(Certificate.encodedSize(ofCertificateStartingWith: bytes) == bytes.count)
                #expect(try Certificate(decoding: bytes) == certificate)
            }
        }
    }

    @Test func identifiersPrintAndParse() async {
        await propertyCheck(count: 500, input: Gen.uint64(in: 0...UInt64.max)) { value in
            let serial = CardSerial(value)
            #expect(serial.printed.count == 19)
            #expect(CardSerial(printed: serial.printed) == serial)
            #expect(CardSerial(printed: serial.printed.lowercased().replacingOccurrences(of: "-", with: "")) == serial)
        }
        #expect(CardSerial(0x0102_0304_0506_0708).printed == "0102-0304-0506-0708")
        #expect(CardSerial(printed: "0102-0304-0506-070") == nil)
        #expect(CardSerial(printed: "0102-0304-0506-070G") == nil)
    }
}
