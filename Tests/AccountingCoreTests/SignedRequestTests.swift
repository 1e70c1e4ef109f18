import AccountingCore
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Testing

@Suite("Device request signatures")
struct SignedRequestTests {
    let device = DeviceID(17)
    let body = Array("{\"hello\":1}".utf8)

    func verifier(revocations: RevocationList = RevocationList()) -> DeviceRequestVerifier {
        DeviceRequestVerifier(rootKeyID: Fixtures.rootID, rootPublicKey: Fixtures.rootPublic, revocations: revocations, clockSkewSeconds: 300)
    }

    func headers(
        certificate: Certificate = Fixtures.deviceCertificate, key: Curve25519.Signing.PrivateKey = Fixtures.deviceKey,
        timestamp: UnixTime = Fixtures.now, path: String = "/v1/ledger/batches", body: [UInt8]? = nil, device: DeviceID? = nil
    ) -> [String: String] {
        let request = SignedRequest(
            method: "POST", path: path, deviceID: device ?? self.device, keyID: certificate.keyID, timestamp: timestamp,
            nonce: "0123456789abcdef0123456789abcdef", body: body ?? self.body)
        return Dictionary(uniqueKeysWithValues: try! request.headers(certificate: certificate, deviceKey: key))
    }

    var registered: RegisteredDeviceKey {
        RegisteredDeviceKey(deviceID: device, keyID: Fixtures.deviceCertificate.keyID, publicKey: Fixtures.deviceCertificate.publicKey)
    }

    func verify(_ headers: [String: String], path: String = "/v1/ledger/batches", body: [UInt8]? = nil, now: UnixTime = Fixtures.now,
                registration: RegisteredDeviceKey?? = nil, revocations: RevocationList = RevocationList()) -> DeviceAuthentication {
        let found = registration ?? registered
        return verifier(revocations: revocations).verify(
            method: "POST", path: path, header: { headers[$0] }, body: body ?? self.body, now: now, registered: { _ in found })
    }

    func refusal(_ result: DeviceAuthentication) -> DeviceAuthRefusal? {
        if case .refused(let refusal) = result { refusal } else { nil }
    }

    @Test func aProperlySignedRequestIsAuthenticated() {
        guard case .authenticated(let who) = verify(headers()) else {
            Issue.record("expected authentication")
            return
        }
        #expect(who.deviceID == device)
        #expect(who.certificate == Fixtures.deviceCertificate)
    }

    @Test func aChangedBodyFails() {
        #expect(refusal(verify(headers(), body: Array("{\"hello\":2}".utf8))) == .badSignature)
    }

    @Test func anotherPathFails() {
        #expect(refusal(verify(headers(), path: "/v1/ledger/position")) == .badSignature)
    }

    @Test func aSignatureByAnotherKeyFails() {
        #expect(refusal(verify(headers(key: Fixtures.otherDeviceKey))) == .badSignature)
    }

    @Test func aStaleOrFutureTimestampFails() {
        #expect(refusal(verify(headers(timestamp: Fixtures.now.adding(seconds: -301))))?.code == .staleRequest)
        #expect(refusal(verify(headers(timestamp: Fixtures.now.adding(seconds: 301))))?.code == .staleRequest)
        #expect(refusal(verify(headers(timestamp: Fixtures.now.adding(seconds: -300)))) == nil)
    }

    @Test func anUnknownDeviceIsForbidden() {
        let result = refusal(verify(headers(), registration: .some(nil)))
        #expect(result == .unknownDevice(device))
        #expect(result?.httpStatus == 403)
    }

    @Test func aCertificateNotRegisteredForTheDeviceIsForbidden() {
        let other = Fixtures.certificate(for: Fixtures.otherDeviceKey)
        let result = refusal(verify(headers(certificate: other, key: Fixtures.otherDeviceKey)))
        #expect(result == .keyNotRegistered(device, other.keyID))
        #expect(result?.httpStatus == 403)
    }

    @Test func aRevokedCertificateIsForbidden() {
        let revocations = RevocationList(version: 2, revocations: [Revocation(keyID: Fixtures.deviceCertificate.keyID, revokedAt: Fixtures.now, reason: .keyCompromise)])
        let result = refusal(verify(headers(), revocations: revocations))
        #expect(result?.code == .certificateRevoked)
        #expect(result?.httpStatus == 403)
    }

    @Test func aCertificateOfAnotherRoleIsForbidden() {
        let accounting = Fixtures.certificate(for: Fixtures.deviceKey, role: .accounting)
        let result = refusal(verify(headers(certificate: accounting)))
        #expect(result?.code == .certificateWrongRole)
        #expect(result?.httpStatus == 403)
    }

    @Test func anExpiredCertificateIsForbidden() {
        let expired = Fixtures.certificate(for: Fixtures.deviceKey, notAfter: Fixtures.now.adding(seconds: -1))
        #expect(refusal(verify(headers(certificate: expired)))?.code == .certificateExpired)
    }

    @Test func aCertificateNotSignedByTheRootIsUnauthorized() {
        let forged = Fixtures.certificate(for: Fixtures.deviceKey, signer: Fixtures.otherDeviceKey)
        let result = refusal(verify(headers(certificate: forged)))
        #expect(result?.code == .certificateInvalid)
        #expect(result?.httpStatus == 401)
    }

    @Test(arguments: DeviceRequestHeader.all)
    func everyHeaderIsRequired(name: String) {
        var incomplete = headers()
        incomplete[name] = nil
        #expect(refusal(verify(incomplete)) == .missingHeader(name))
    }

    @Test(arguments: [
        (DeviceRequestHeader.device, "seventeen"), (DeviceRequestHeader.timestamp, "soon"), (DeviceRequestHeader.nonce, "short"),
        (DeviceRequestHeader.nonce, "has spaces in it, which is not allowed"), (DeviceRequestHeader.signature, "abcd"),
        (DeviceRequestHeader.certificate, "00"),
    ])
    func malformedHeadersAreRefused(name: String, value: String) {
        var bad = headers()
        bad[name] = value
        #expect(refusal(verify(bad)) == .malformedHeader(name))
    }

    @Test func theDeviceHeaderIsSigned() {
        // Claiming another device id with a valid signature for 17 fails (the id is in the signed bytes).
        var claimed = headers()
        claimed[DeviceRequestHeader.device] = "18"
        #expect(refusal(verify(claimed, registration: .some(RegisteredDeviceKey(deviceID: DeviceID(18), keyID: registered.keyID, publicKey: registered.publicKey)))) == .badSignature)
    }

    @Test func aKeyCertifiedForAnotherDeviceIsRefusedEvenWhenRegisteredForThisOne() {
        // Signed correctly for device 18 with the certificate naming 17, and a registration that
        // pairs 18 with that key (made before registrations were checked): refused, and why.
        let signed = headers(device: DeviceID(18))
        let pairing = RegisteredDeviceKey(deviceID: DeviceID(18), keyID: registered.keyID, publicKey: registered.publicKey)
        let result = refusal(verify(signed, registration: .some(pairing)))
        #expect(result == .certificateNamesAnotherDevice(DeviceID(18), named: DeviceID(17)))
        #expect(result?.httpStatus == 403)
        #expect(result?.code == .certificateNamesAnotherDevice)
        // A format 1 certificate names no device: the same request is let through (legacy).
        var terms = Fixtures.deviceCertificate.terms
        terms.deviceID = nil
        terms.format = .v1
        let legacy = try! terms.signed(with: Fixtures.rootKey)
        guard case .authenticated = verify(headers(certificate: legacy, device: DeviceID(18)), registration: .some(pairing)) else {
            Issue.record("a format 1 certificate should authenticate")
            return
        }
    }

    @Test func theNonceWindowAdmitsANonceOnce() {
        var window = NonceWindow(windowSeconds: 300)
        let first = window.admit("abc", device: device, timestamp: Fixtures.now, now: Fixtures.now)
        let second = window.admit("abc", device: device, timestamp: Fixtures.now, now: Fixtures.now)
        let otherDevice = window.admit("abc", device: DeviceID(18), timestamp: Fixtures.now, now: Fixtures.now)
        #expect(first)
        #expect(!second)
        #expect(otherDevice)
    }

    @Test func canonicalBytesAreStable() {
        let request = SignedRequest(method: "post", path: "/v1/ledger/position", deviceID: DeviceID(7), keyID: KeyID(0xAABB_CCDD), timestamp: UnixTime(1_800_000_000), nonce: "nonce-nonce-nonce-1", body: [])
        let expected = "HromadaCard request v1\u{0}POST\n/v1/ledger/position\n7\naabbccdd\n1800000000\nnonce-nonce-nonce-1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        #expect(request.canonicalBytes == Array(expected.utf8))
    }
}

@Suite("Operator roles")
struct OperatorRoleTests {
    @Test(arguments: [
        (OperatorRole.finance, OperatorAction.readTransactions, true), (.finance, .readAlarms, true), (.finance, .registerDevice, false),
        (.finance, .addDenyListEntry, false), (.finance, .uploadBundle(.denyList), false),
        (.desk, .addDenyListEntry, true), (.desk, .uploadBundle(.denyList), true), (.desk, .uploadBundle(.trust), false),
        (.desk, .registerDevice, false), (.desk, .readTransactions, false),
        (.admin, .registerDevice, true), (.admin, .uploadBundle(.trust), true), (.admin, .readTransactions, true),
    ])
    func rolesPermitWhatTheyShould(role: OperatorRole, action: OperatorAction, allowed: Bool) {
        #expect(role.permits(action) == allowed)
    }
}
