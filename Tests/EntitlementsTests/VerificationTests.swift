import Crypto
import Entitlements
import Identifiers
import PropertyTesting
import Testing

@Suite("Verifying entitlements")
struct VerificationTests {
    let trust = Fixture.trust()

    func verdict(
        _ entitlement: Entitlement, trust: TrustStore? = nil, card: CardSerial = Fixture.card,
        layout: LayoutVersion = Fixture.layout, now: UnixTime = Fixture.now
    ) -> EntitlementVerdict {
        (trust ?? self.trust).verify(entitlement, for: card, layoutVersion: layout, categories: Fixture.categories, now: now)
    }

    @Test func aGoodEntitlementIsValid() throws {
        let entitlement = try Fixture.terms().signed(with: Fixture.deskKey)
        let verified = try #require(verdict(entitlement).verified)
        #expect(verified.entitlement == entitlement)
        #expect(verified.issuer.keyID == Fixture.deskID)
    }

    enum Case: String, CaseIterable, CustomTestStringConvertible {
        case unknownIssuer, revokedIssuer, issuerCertificateBadSignature, issuerCertificateNamesAnotherRoot, issuerWrongRole,
            issuerCertificateNotYetValid, issuerCertificateExpired, badSignature, signedByAnotherKey, wrongCard,
            wrongLayoutVersion, unknownCategory, notYetValid, expired
        var testDescription: String { rawValue }
    }

    /// One row per rejection reason: what is wrong, and the verdict it must produce.
    @Test(arguments: Case.allCases)
    func everyRejectionIsNamed(_ row: Case) throws {
        let good = try Fixture.terms().signed(with: Fixture.deskKey)
        let desk = Fixture.certificate(id: Fixture.deskID, role: .issuer, key: Fixture.deskKey)
        let result: EntitlementVerdict
        let expected: EntitlementRejection
        switch row {
        case .unknownIssuer:
            result = verdict(try Fixture.terms(issuer: 0x99).signed(with: Fixture.deskKey))
            expected = .unknownIssuer(0x99)
        case .revokedIssuer:
            let revoked = RevocationList(
                version: 2, revocations: [Revocation(keyID: Fixture.deskID, revokedAt: Fixture.utc(2026, 3, 1), reason: .keyCompromise)])
            result = verdict(good, trust: Fixture.trust(revocations: revoked))
            expected = .revokedIssuer(Fixture.deskID, .keyCompromise)
        case .issuerCertificateBadSignature:
            let forged = Fixture.certificate(id: Fixture.deskID, role: .issuer, key: Fixture.deskKey, signer: Fixture.otherKey)
            result = verdict(good, trust: Fixture.trust(certificates: [forged]))
            expected = .issuerCertificateBadSignature(Fixture.deskID)
        case .issuerCertificateNamesAnotherRoot:
            let other = Fixture.certificate(id: Fixture.deskID, role: .issuer, key: Fixture.deskKey, issuer: 0x77)
            result = verdict(good, trust: Fixture.trust(certificates: [other]))
            expected = .issuerCertificateBadSignature(Fixture.deskID)
        case .issuerWrongRole:
            let asValidator = Fixture.certificate(id: Fixture.deskID, role: .validator, key: Fixture.deskKey)
            result = verdict(good, trust: Fixture.trust(certificates: [asValidator]))
            expected = .issuerWrongRole(Fixture.deskID, .validator)
        case .issuerCertificateNotYetValid:
            result = verdict(good, now: desk.notBefore.adding(seconds: -1))
            expected = .issuerCertificateNotYetValid(Fixture.deskID, notBefore: desk.notBefore)
        case .issuerCertificateExpired:
            result = verdict(good, now: desk.notAfter.adding(seconds: 1))
            expected = .issuerCertificateExpired(Fixture.deskID, notAfter: desk.notAfter)
        case .badSignature:
            var signature = good.signature.rawRepresentation
            signature[10] ^= 0x01
            result = verdict(Entitlement(terms: good.terms, signature: try Ed25519Signature(rawRepresentation: signature)))
            expected = .badSignature
        case .signedByAnotherKey:
            result = verdict(try Fixture.terms().signed(with: Fixture.validatorKey))
            expected = .badSignature
        case .wrongCard:
            result = verdict(good, card: 0xDEAD)
            expected = .wrongCard(expected: 0xDEAD, found: Fixture.card)
        case .wrongLayoutVersion:
            result = verdict(good, layout: 2)
            expected = .wrongLayoutVersion(expected: 2, found: Fixture.layout)
        case .unknownCategory:
            result = verdict(try Fixture.terms(category: 42).signed(with: Fixture.deskKey))
            expected = .unknownCategory(42)
        case .notYetValid:
            // 2025-12-31 23:59 in Kyiv is still the day before validFrom (2026-01-01).
            result = verdict(good, now: Fixture.utc(2025, 12, 31, 21, 59))
            expected = .notYetValid(validFrom: Fixture.date(2026, 1, 1))
        case .expired:
            // 2027-01-01 00:00 in Kyiv is 2026-12-31 22:00 UTC: already the day after validUntil.
            result = verdict(good, now: Fixture.utc(2026, 12, 31, 22, 0))
            expected = .expired(validUntil: Fixture.date(2026, 12, 31))
        }
        #expect(result == .invalid(expected))
    }

    @Test func validityDaysAreKyivDays() throws {
        let good = try Fixture.terms().signed(with: Fixture.deskKey)
        // First valid local minute and last valid local minute.
        #expect(verdict(good, now: Fixture.utc(2025, 12, 31, 22, 0)).verified != nil)
        #expect(verdict(good, now: Fixture.utc(2026, 12, 31, 21, 59, 59)).verified != nil)
    }

    @Test func certificatesAreCheckedForOtherRoles() {
        #expect(trust.checkCertificate(of: Fixture.validatorID, role: .validator, now: Fixture.now)
            == .valid(Fixture.certificate(id: Fixture.validatorID, role: .validator, key: Fixture.validatorKey)))
        #expect(trust.checkCertificate(of: Fixture.validatorID, role: .issuer, now: Fixture.now)
            == .invalid(.issuerWrongRole(Fixture.validatorID, .validator)))
        let message: [UInt8] = Array("checkpoint 42".utf8)
        let signature = try! Ed25519Signature(rawRepresentation: Array(try! Fixture.validatorKey.signature(for: message)))
        #expect(trust.isValidSignature(signature, for: message, by: Fixture.validatorID, role: .validator, now: Fixture.now))
        #expect(!trust.isValidSignature(signature, for: message + [0], by: Fixture.validatorID, role: .validator, now: Fixture.now))
        #expect(!trust.isValidSignature(signature, for: message, by: Fixture.deskID, role: .issuer, now: Fixture.now))
    }

    /// Flipping any single bit of a card record (terms or signature) never yields a valid entitlement.
    @Test(arguments: [
        Product.free, .discount(percent: 50), .rides(count: 3, per: .week),
        .pass(from: Fixture.date(2026, 6, 1), through: Fixture.date(2026, 6, 30)), .storedValue,
    ])
    func everySingleBitFlipOfARecordIsRefused(product: Product) throws {
        let entitlement = try Fixture.terms(product: product, routes: [1, 2], windows: [TimeWindow(weekdays: .everyDay, fromMinute: 0, untilMinute: 1440)])
            .signed(with: Fixture.deskKey)
        let record = try entitlement.encoded()
        #expect(verdict(entitlement).verified != nil)
        var refused = 0
        for bit in 0..<(record.count * 8) {
            var flipped = record
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            guard let decoded = try? Entitlement(decoding: flipped) else {
                refused += 1
                continue
            }
            if verdict(decoded).verified == nil { refused += 1 }
        }
        #expect(refused == record.count * 8)
    }

    /// Flipping any single bit of the issuer's certificate makes the store refuse the entitlements it vouches for.
    @Test func everySingleBitFlipOfACertificateIsRefused() throws {
        let entitlement = try Fixture.terms().signed(with: Fixture.deskKey)
        let certificate = try Fixture.certificate(id: Fixture.deskID, role: .issuer, key: Fixture.deskKey).encoded()
        for bit in 0..<(certificate.count * 8) {
            var flipped = certificate
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            guard let decoded = try? Certificate(decoding: flipped) else { continue }
            let store = Fixture.trust(certificates: [decoded])
            #expect(verdict(entitlement, trust: store).verified == nil, "bit \(bit) of the certificate")
        }
    }

    @Test func randomSignaturesNeverVerify() throws {
        var rng = SeededGenerator(seed: 7)
        let terms = Fixture.terms()
        for _ in 0..<2000 {
            let forged = Entitlement(terms: terms, signature: Random.signature(&rng))
            #expect(verdict(forged) == .invalid(.badSignature))
        }
    }

    @Test func aSignatureDoesNotTransferToACertificate() throws {
        // The same key signing an entitlement and a certificate uses different domain tags.
        let terms = Fixture.terms()
        let entitlement = try terms.signed(with: Fixture.rootKey)
        let certificateTerms = CertificateTerms(
            keyID: 5, role: .issuer, publicKey: SigningPublicKey(Fixture.otherKey.publicKey),
            notBefore: Fixture.utc(2025, 1, 1), notAfter: Fixture.utc(2030, 1, 1), issuerKeyID: Fixture.rootID)
        let certificate = Certificate(terms: certificateTerms, signature: entitlement.signature)
        let store = Fixture.trust(certificates: [certificate])
        #expect(store.checkCertificate(of: 5, role: .issuer, now: Fixture.now) == .invalid(.issuerCertificateBadSignature(5)))
        #expect(terms.signedBytes != certificateTerms.signedBytes)
    }
}
