import Crypto
import Entitlements
import Foundation
import Identifiers
import Testing

/// Format 2 certificates bind a validator key to its device id (docs/keys.md, "Certificate format").
@Suite("Certificate format and device binding")
struct CertificateFormatTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/keys.md")

    /// The worked example's certificate: root seed 01…, validator seed 03…, device 106.
    static func example() throws -> Certificate {
        let root = Fixture.key(1)
        let device = Fixture.key(3)
        let rootPublic = SigningPublicKey(root.publicKey)
        let devicePublic = SigningPublicKey(device.publicKey)
        return try CertificateTerms(
            keyID: KeyID(derivedFrom: devicePublic), role: .validator, publicKey: devicePublic,
            notBefore: Fixture.utc(2026, 1, 1), notAfter: Fixture.utc(2027, 12, 31, 23, 59, 59),
            issuerKeyID: KeyID(derivedFrom: rootPublic), deviceID: 106
        ).signed(with: root)
    }

    /// The hex of the fenced block after `<!-- certificate-example -->` in docs/keys.md.
    static func documentedExample() throws -> String {
        let text = try String(contentsOf: docs, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- certificate-example -->"))
        let afterMarker = text[marker.upperBound...]
        let open = try #require(afterMarker.range(of: "```\n"))
        let close = try #require(afterMarker[open.upperBound...].range(of: "```"))
        return String(afterMarker[open.upperBound..<close.lowerBound].filter(\.isHexDigit))
    }

    @Test func theWorkedExampleInTheDocsIsWhatTheCodeWrites() throws {
        let certificate = try Self.example()
        let bytes = try certificate.encoded()
        #expect(bytes.count == 118)
        #expect(Hex.encode(bytes) == (try Self.documentedExample()))
        #expect(try Certificate(decoding: bytes) == certificate)
        #expect(certificate.deviceID == 106)
        // The signature in the example is the root's over the documented message.
        let message = Array("HromadaCard certificate v1\u{0}".utf8) + bytes.prefix(54)
        #expect(Fixture.key(1).publicKey.isValidSignature(bytes.suffix(64), for: message))
    }

    @Test func formatTwoAppendsTheDeviceIdToTheFormatOneLayout() throws {
        let v2 = CertificateTerms(
            keyID: 0x10, role: .issuer, publicKey: try SigningPublicKey(rawRepresentation: Array(0..<32)),
            notBefore: Fixture.utc(2025, 1, 1), notAfter: Fixture.utc(2030, 12, 31, 23, 59, 59), issuerKeyID: 1)
        var v1 = v2
        v1.format = .v1
        let body = "0000001002000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f6774858072bd0bff00000001"
        #expect(Hex.encode(try v1.encoded()) == "01" + body)
        #expect(Hex.encode(try v2.encoded()) == "02" + body + "00000000")
        #expect(try CertificateTerms(decoding: try v1.encoded()) == v1)
        #expect(try CertificateTerms(decoding: try v2.encoded()) == v2)
    }

    @Test func aFormatOneCertificateStillDecodesAndVerifiesWithoutADevice() throws {
        let legacy = try CertificateTerms(
            keyID: Fixture.validatorID, role: .validator, publicKey: SigningPublicKey(Fixture.validatorKey.publicKey),
            notBefore: Fixture.utc(2025, 1, 1), notAfter: Fixture.utc(2030, 1, 1), issuerKeyID: Fixture.rootID, format: .v1
        ).signed(with: Fixture.rootKey)
        let bytes = try legacy.encoded()
        #expect(bytes.count == 114)
        let decoded = try Certificate(decoding: bytes)
        #expect(decoded.format == .v1)
        #expect(decoded.deviceID == nil)
        #expect(decoded.binding(to: 106) == .unbound)
        let trust = Fixture.trust(certificates: [decoded])
        #expect(trust.checkCertificate(of: Fixture.validatorID, role: .validator, now: Fixture.utc(2026, 1, 1)) == .valid(decoded))
        #expect(trust.certificate(forDevice: 106) == nil)
    }

    @Test func aValidatorCertificateMustNameADeviceAndOnlyValidatorsMay() throws {
        let key = try SigningPublicKey(rawRepresentation: Array(0..<32))
        func terms(_ role: KeyRole, _ device: DeviceID?) -> CertificateTerms {
            CertificateTerms(keyID: 7, role: role, publicKey: key, notBefore: UnixTime(0), notAfter: UnixTime(1), issuerKeyID: 1, deviceID: device)
        }
        #expect(throws: EntitlementError(.invalidField, "")) { try terms(.validator, nil).encoded() }
        #expect(throws: EntitlementError(.invalidField, "")) { try terms(.validator, 0).encoded() }
        #expect(throws: EntitlementError(.invalidField, "")) { try terms(.issuer, 5).encoded() }
        var legacyWithDevice = terms(.validator, 5)
        legacyWithDevice.format = .v1
        #expect(throws: EntitlementError(.invalidField, "")) { try legacyWithDevice.encoded() }

        // The same rules on decoding: a validator naming device 0, an issuer naming a device.
        var validatorZero = try terms(.validator, 5).encoded() + [UInt8](repeating: 0, count: 64)
        validatorZero.replaceSubrange(50..<54, with: [0, 0, 0, 0])
        #expect(throws: EntitlementError(.invalidField, "")) { try Certificate(decoding: validatorZero) }
        var issuerWithDevice = try terms(.issuer, nil).encoded() + [UInt8](repeating: 0, count: 64)
        issuerWithDevice[53] = 9
        #expect(throws: EntitlementError(.invalidField, "")) { try Certificate(decoding: issuerWithDevice) }
    }

    @Test(arguments: [UInt8(0), 3, 0xFF])
    func anUnknownFormatIsRefused(format: UInt8) throws {
        var bytes = try Fixture.certificate(id: 5, role: .validator, key: Fixture.validatorKey).encoded()
        bytes[0] = format
        #expect(throws: EntitlementError(.unsupportedFormat, "")) { try Certificate(decoding: bytes) }
        #expect(Certificate.encodedSize(ofCertificateStartingWith: bytes) == nil)
    }

    @Test func theDeviceIdIsSigned() throws {
        var bytes = try Fixture.certificate(id: Fixture.validatorID, role: .validator, key: Fixture.validatorKey, device: 106).encoded()
        bytes[53] = 107
        let forged = try Certificate(decoding: bytes)
        #expect(forged.deviceID == 107)
        let trust = Fixture.trust(certificates: [forged])
        #expect(trust.checkCertificate(of: Fixture.validatorID, role: .validator, now: Fixture.utc(2026, 1, 1))
            == .invalid(.issuerCertificateBadSignature(Fixture.validatorID)))
        #expect(trust.certificate(forDevice: 107) == nil)
    }

    @Test func bindingComparesTheNamedDevice() {
        let certificate = Fixture.certificate(id: Fixture.validatorID, role: .validator, key: Fixture.validatorKey, device: 106)
        #expect(certificate.binding(to: 106) == .matches)
        #expect(certificate.binding(to: 107) == .namesAnotherDevice(106))
    }

    @Test func aTrustStoreFindsADevicesCertificateByItsId() throws {
        let old = Fixture.certificate(
            id: 0x21, role: .validator, key: Fixture.key(21), notBefore: Fixture.utc(2025, 1, 1), device: 106)
        let current = Fixture.certificate(
            id: 0x22, role: .validator, key: Fixture.key(22), notBefore: Fixture.utc(2026, 1, 1), device: 106)
        let otherDevice = Fixture.certificate(id: 0x23, role: .validator, key: Fixture.key(23), device: 107)
        let desk = Fixture.certificate(id: Fixture.deskID, role: .issuer, key: Fixture.deskKey)
        let notByRoot = Fixture.certificate(
            id: 0x24, role: .validator, key: Fixture.key(24), notBefore: Fixture.utc(2027, 1, 1), signer: Fixture.otherKey, device: 106)
        let all = [old, current, otherDevice, desk, notByRoot]

        let trust = Fixture.trust(certificates: all)
        #expect(trust.certificate(forDevice: 106) == current)
        #expect(trust.certificates(forDevice: 106) == [current, old])
        #expect(trust.certificate(forDevice: 107) == otherDevice)
        #expect(trust.certificate(forDevice: 108) == nil)

        // A revoked key is no longer the device's certificate, but still listed for old ledgers.
        let revoked = Fixture.trust(
            certificates: all, revocations: RevocationList(version: 1, revocations: [Revocation(keyID: 0x22, revokedAt: Fixture.utc(2026, 6, 1), reason: .superseded)]))
        #expect(revoked.certificate(forDevice: 106) == old)
        #expect(revoked.certificates(forDevice: 106) == [current, old])
    }
}
