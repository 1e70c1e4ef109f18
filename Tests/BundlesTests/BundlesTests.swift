import Bundles
import Crypto
import Entitlements
import Identifiers
import PropertyBased
import PropertyTesting
import Tariff
import Testing

@Suite("Bundle envelope and payloads")
struct BundleFormatTests {
    @Test("payloads round-trip through their canonical bytes")
    func payloadRoundTrips() throws {
        let header = { (kind: BundleKind, version: UInt32) in
            BundleHeader(kind: kind, community: "nemishaieve", version: version, issuedAt: t0, expiresAt: t0, signerKeyID: 1)
        }
        let trust = try sampleTrust()
        #expect(try BundlePayload(decoding: trust.encoded(), under: header(.trust, 1)) == .trust(trust))
        #expect(trust.certificates.map(\.keyID) == [0x10, 0x20], "certificates are kept in key-id order")
        let tariff = sampleTariff()
        #expect(try BundlePayload(decoding: TariffPayload.encode(tariff), under: header(.tariff, 7)) == .tariff(tariff))
        let deny = try sampleDenyList(version: 4)
        #expect(try BundlePayload(decoding: DenyListPayload.encode(deny), under: header(.denyList, 4)) == .denyList(deny))
        let unsorted = try DenyList(version: 4, entries: deny.entries.reversed())
        #expect(DenyListPayload.encode(unsorted) == DenyListPayload.encode(deny), "the encoding sorts by serial")
    }

    @Test("the tariff is canonical JSON: sorted keys, no white space, Ukrainian unescaped")
    func tariffCanonical() throws {
        let bytes = try TariffPayload.encode(sampleTariff())
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"acceptedLayoutVersions":[1],"antiPassbackSeconds":120,"baseFareKopecks":1500,"#))
        #expect(text.contains("Немішаєве — Буча"))
        #expect(!text.contains(" \"") && !text.contains("\n"))
        let spaced = Array(text.replacingOccurrences(of: ",\"", with: ", \"").utf8)
        #expect(throws: BundleError(.nonCanonical, "")) { try TariffPayload.decode(spaced) }
        let duplicated = Array(("{\"version\":7," + text.dropFirst()).utf8)
        #expect(throws: BundleError.self) { try TariffPayload.decode(duplicated) }
    }

    @Test("a card layout order is signed with the tariff; a tariff without one keeps its bytes")
    func tariffLayoutOrder() throws {
        var tariff = sampleTariff()
        let before = try TariffPayload.encode(tariff)
        #expect(!String(decoding: before, as: UTF8.self).contains("cardLayoutOrder"), "absent, not null")
        tariff.cardLayoutOrder = [1]
        let bytes = try TariffPayload.encode(tariff)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#","cardLayoutOrder":[1],"categories":"#), "in its sorted place")
        #expect(try TariffPayload.decode(bytes) == tariff)
        tariff.cardLayoutOrder = [4]
        #expect(throws: BundleError(.invalidPayload, "")) { try TariffPayload.encode(tariff) }
        let unaccepted = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #""cardLayoutOrder":[1]"#, with: #""cardLayoutOrder":[4]"#).utf8)
        #expect(throws: BundleError(.invalidPayload, "")) { try TariffPayload.decode(unaccepted) }
    }

    @Test("a tariff must name the envelope's community and version")
    func tariffMismatch() throws {
        let header = BundleHeader(kind: .tariff, community: "nemishaieve", version: 8, issuedAt: t0, expiresAt: t0, signerKeyID: 1)
        #expect(throws: BundleError(.payloadMismatch, "")) { try BundlePayload(decoding: TariffPayload.encode(sampleTariff(version: 7)), under: header) }
    }

    @Test("non-canonical orders are refused")
    func orderMatters() throws {
        var deny = DenyListPayload.encode(try sampleDenyList())
        // Swap the two 9-byte entries so serials decrease.
        let first = Array(deny[4..<13]), second = Array(deny[13..<22])
        deny.replaceSubrange(4..<22, with: second + first)
        #expect(throws: BundleError(.nonCanonical, "")) { try DenyListPayload.decode(deny, version: 1) }
        var huge = DenyListPayload.encode(try sampleDenyList())
        huge.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: BundleError(.truncated, "")) { try DenyListPayload.decode(huge, version: 1) }
    }

    @Test("envelopes round-trip for random headers and payloads")
    func envelopeRoundTrip() async {
        await propertyCheck(count: 100, input: Gen.uint64(), Gen.uint8().array(of: 0...300)) { seed, payload in
            await failOnThrow {
                var rng = SeededGenerator(seed: seed)
                let issued = Int64.random(in: -1_000_000...4_000_000_000, using: &rng)
                let header = BundleHeader(
                    kind: BundleKind.allCases.randomElement(using: &rng)!,
                    community: ["a", "nemishaieve", "буча", String(repeating: "x", count: 64)].randomElement(using: &rng)!,
                    version: UInt32.random(in: 0...UInt32.max, using: &rng),
                    issuedAt: UnixTime(issued), expiresAt: UnixTime(issued + Int64.random(in: 0...1_000_000, using: &rng)),
                    signerKeyID: KeyID(UInt32.random(in: 0...UInt32.max, using: &rng)))
                do {
                    let bundle = try SignedBundle.sign(header: header, payload: payload, with: TestKeys.root)
                    let decoded = try SignedBundle(decoding: bundle.encoded())
                    #expect(decoded == bundle)
                    #expect(decoded.isSignatureValid(by: TestKeys.rootPublic))
                    #expect(!decoded.isSignatureValid(by: SigningPublicKey(TestKeys.stranger.publicKey)))
                } catch {
                    Issue.record("\(error)")
                }
            }
        }
    }

    @Test("random bytes never crash any decoder")
    func fuzzDecoders() async {
        await propertyCheck(count: 3000, input: Gen.uint8().array(of: 0...400)) { bytes in
            // A value or a named error; any other error fails the test.
            await failOnThrow {
                do { _ = try SignedBundle(decoding: bytes) } catch is BundleError {}
                do { _ = try SignedBundle(decoding: Array("HRBN".utf8) + [1] + bytes) } catch is BundleError {}
                do { _ = try TrustPayload(decoding: bytes) } catch is BundleError {}
                do { _ = try DenyListPayload.decode(bytes, version: 1) } catch is BundleError {}
                do { _ = try TariffPayload.decode(bytes) } catch is BundleError {}
            }
            if case .accept = acceptance.evaluate(bytes, kind: .denyList, installedVersion: nil, now: t0) {
                Issue.record("random bytes were accepted")
            }
        }
    }
}

@Suite("Bundle acceptance")
struct BundleAcceptanceTests {
    static func denyBundle(version: UInt32, expiresAt: UnixTime = t0.adding(seconds: 86_400 * 30)) throws -> [UInt8] {
        try signed(.denyList(sampleDenyList(version: version)), version: version, expiresAt: expiresAt)
    }

    @Test("a newer, valid, unexpired bundle is accepted with its payload")
    func acceptsNewer() throws {
        let bytes = try Self.denyBundle(version: 5)
        guard case .accept(let verified) = acceptance.evaluate(bytes, kind: .denyList, installedVersion: 4, now: t0) else {
            Issue.record("refused")
            return
        }
        #expect(verified.header.version == 5)
        #expect(verified.payload == .denyList(try sampleDenyList(version: 5)))
        #expect(verified.bytes == bytes)
        if case .accept = acceptance.evaluate(bytes, kind: .denyList, installedVersion: nil, now: t0) {} else {
            Issue.record("a first install must be accepted")
        }
    }

    @Test("trust and tariff bundles are accepted, and the trust store verifies certificates")
    func acceptsTrustAndTariff() throws {
        let trustBytes = try signed(.trust(sampleTrust()), version: 3)
        guard case .accept(let trust) = acceptance.evaluate(trustBytes, kind: .trust, installedVersion: 2, now: t0),
              case .trust(let payload) = trust.payload else {
            Issue.record("trust refused")
            return
        }
        let store = try payload.trustStore()
        #expect(store.checkCertificate(of: 0x10, role: .issuer, now: t0) != .invalid(.unknownIssuer(0x10)))
        if case .valid = store.checkCertificate(of: 0x10, role: .issuer, now: t0) {} else { Issue.record("desk cert invalid") }
        let tariffBytes = try signed(.tariff(sampleTariff(version: 7)), version: 7)
        guard case .accept(let tariff) = acceptance.evaluate(tariffBytes, kind: .tariff, installedVersion: 6, now: t0) else {
            Issue.record("tariff refused")
            return
        }
        #expect(tariff.payload == .tariff(sampleTariff(version: 7)))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let make: @Sendable () throws -> [UInt8]
        let kind: BundleKind
        let installed: UInt32?
        let now: UnixTime
        let expected: BundleRefusal
        var testDescription: String { name }
    }

    static let otherRootTrust: @Sendable () throws -> [UInt8] = {
        var trust = try sampleTrust()
        trust.rootPublicKey = SigningPublicKey(TestKeys.stranger.publicKey)
        return try signed(.trust(trust), version: 9)
    }

    static let cases: [Case] = [
        Case(name: "rollback", make: { try denyBundle(version: 3) }, kind: .denyList, installed: 4, now: t0,
             expected: .rollback(installed: 4, offered: 3)),
        Case(name: "replay of the installed version", make: { try denyBundle(version: 4) }, kind: .denyList, installed: 4, now: t0,
             expected: .notNewer(installed: 4)),
        Case(name: "expired", make: { try denyBundle(version: 5, expiresAt: t0.adding(seconds: 10)) }, kind: .denyList, installed: 4,
             now: t0.adding(seconds: 11), expected: .expired(expiresAt: t0.adding(seconds: 10))),
        Case(name: "issued in the future", make: { try denyBundle(version: 5) }, kind: .denyList, installed: 4,
             now: t0.adding(seconds: -301), expected: .notYetIssued(issuedAt: t0)),
        Case(name: "wrong kind", make: { try denyBundle(version: 5) }, kind: .tariff, installed: 4, now: t0,
             expected: .wrongKind(expected: .tariff, found: .denyList)),
        Case(name: "wrong community", make: { try signed(.denyList(sampleDenyList()), version: 5, community: "bucha") },
             kind: .denyList, installed: 4, now: t0, expected: .wrongCommunity(expected: "nemishaieve", found: "bucha")),
        Case(name: "signed by another key id", make: { try signed(.denyList(sampleDenyList()), version: 5, key: TestKeys.desk, signer: 0x10) },
             kind: .denyList, installed: 4, now: t0, expected: .wrongSigner(expected: TestKeys.rootID, found: 0x10)),
        Case(name: "forged: another key claiming to be the root", make: { try signed(.denyList(sampleDenyList()), version: 5, key: TestKeys.stranger) },
             kind: .denyList, installed: 4, now: t0, expected: .badSignature),
        Case(name: "trust bundle with another root", make: otherRootTrust, kind: .trust, installed: 4, now: t0, expected: .rootMismatch),
        Case(name: "not a bundle", make: { Array("hello".utf8) }, kind: .trust, installed: nil, now: t0,
             expected: .malformed(BundleError(.notABundle, ""))),
        Case(name: "tariff payload disagreeing with its envelope", make: { try signed(.tariff(sampleTariff(version: 7)), version: 8) },
             kind: .tariff, installed: 6, now: t0, expected: .malformed(BundleError(.payloadMismatch, ""))),
    ]

    @Test(arguments: cases)
    func refused(_ testCase: Case) throws {
        let verdict = acceptance.evaluate(try testCase.make(), kind: testCase.kind, installedVersion: testCase.installed, now: testCase.now)
        #expect(verdict == .refuse(testCase.expected))
    }

    @Test("flipping any bit of a signed bundle makes it refused")
    func tamperedNeverAccepted() async throws {
        let original = try Self.denyBundle(version: 5)
        if case .accept = acceptance.evaluate(original, kind: .denyList, installedVersion: 4, now: t0) {} else {
            Issue.record("the untampered bundle must be accepted")
        }
        await propertyCheck(count: 500, input: Gen.int(in: 0..<(original.count * 8))) { bit in
            var tampered = original
            tampered[bit / 8] ^= 1 << UInt8(bit % 8)
            if case .accept = acceptance.evaluate(tampered, kind: .denyList, installedVersion: 4, now: t0) {
                Issue.record("bit \(bit) flipped and still accepted")
            }
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

@Suite("Published vector (docs/bundles.md)")
struct BundleVectorTests {
    /// Built independently by the Python script in docs/bundles.md (cryptography's Ed25519),
    /// from root key bytes 01×32: deny list v4 of nemishaieve, issued 1780000000, 30 days.
    static let denyListVector =
        "4852424E01030B6E656D697368616965766500000004000000006A18A500000000006A403200000000010000001600000002000000000000004201010203040506070802"
        + "F175BF63DE094AC8F9D361773F8CB79A76F65E0C38F6489CFFC7805EC0463517FC79FD48AED3E73E3F6CCA48733A2E39E5E19FC202A1F9CDC48DDF244A5E0A0A"

    @Test("our signer produces exactly the independently built bundle, and accepts it")
    func vector() throws {
        let expected = try #require(Hex.decode(Self.denyListVector))
        #expect(try Self.denyBundle() == expected)
        guard case .accept(let verified) = acceptance.evaluate(expected, kind: .denyList, installedVersion: 3, now: t0) else {
            Issue.record("vector refused")
            return
        }
        #expect(verified.payload == .denyList(try sampleDenyList(version: 4)))
    }

    static func denyBundle() throws -> [UInt8] {
        try signed(.denyList(sampleDenyList(version: 4)), version: 4)
    }
}
