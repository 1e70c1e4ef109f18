import Crypto
import Entitlements
import Identifiers
import LedgerCore

/// The header names of a device-signed request.
public enum DeviceRequestHeader {
    /// The device id (decimal).
    public static let device = "hromada-device"
    /// The device's certificate: hex of its canonical encoding (docs/entitlements.md).
    public static let certificate = "hromada-certificate"
    /// The signing instant, Unix seconds (decimal).
    public static let timestamp = "hromada-timestamp"
    /// A value used once: 16–64 characters of `A–Z a–z 0–9 - _`.
    public static let nonce = "hromada-nonce"
    /// The Ed25519 signature over `SignedRequest.canonicalBytes`, hex.
    public static let signature = "hromada-signature"

    /// Every header a signed request carries.
    public static let all = [device, certificate, timestamp, nonce, signature]
}

/// The parts of an HTTP request that a device signs (docs/accounting.md, "Device authentication").
///
/// Why each part: the method and path stop a signature for one endpoint being reused on another;
/// the body hash binds the exact bytes (a batch cannot be swapped under a valid signature); the
/// timestamp bounds how long a captured request stays usable, and the nonce makes each one usable
/// once inside that window; the device id and key id bind the request to the registered key.
public struct SignedRequest: Hashable, Sendable {
    /// The domain tag at the start of the signed bytes: "HromadaCard request v1" and a zero byte.
    public static let domainTag: [UInt8] = Array("HromadaCard request v1".utf8) + [0]

    /// The HTTP method, upper case.
    public var method: String
    /// The path and query exactly as sent (`/v1/ledger/batches`).
    public var path: String
    /// The device.
    public var deviceID: DeviceID
    /// The id of the device's certified key.
    public var keyID: KeyID
    /// When the request was signed.
    public var timestamp: UnixTime
    /// The nonce.
    public var nonce: String
    /// SHA-256 of the body (of the empty string when there is none).
    public var bodyHash: [UInt8]

    /// Creates the parts.
    public init(method: String, path: String, deviceID: DeviceID, keyID: KeyID, timestamp: UnixTime, nonce: String, body: [UInt8]) {
        self.method = method.uppercased()
        self.path = path
        self.deviceID = deviceID
        self.keyID = keyID
        self.timestamp = timestamp
        self.nonce = nonce
        self.bodyHash = Array(SHA256.hash(data: body))
    }

    /// The signed bytes: the domain tag, then method, path, device id, key id (8 hex digits),
    /// timestamp, nonce and the body hash in hex, each followed by a line feed.
    public var canonicalBytes: [UInt8] {
        var text = ""
        text += method + "\n"
        text += path + "\n"
        text += String(deviceID.rawValue) + "\n"
        text += keyID.description + "\n"
        text += String(timestamp.rawValue) + "\n"
        text += nonce + "\n"
        text += Hex.encode(bodyHash) + "\n"
        return Self.domainTag + Array(text.utf8)
    }

    /// The headers that carry this request's signature by `deviceKey` and the device's certificate.
    public func headers(certificate: Certificate, deviceKey: Curve25519.Signing.PrivateKey) throws -> [(String, String)] {
        let signature: [UInt8]
        do {
            signature = Array(try deviceKey.signature(for: canonicalBytes))
        } catch {
            throw AccountingError(.invalidField, uk: "не вдалося підписати запит", en: "signing the request failed: \(error)")
        }
        return [
            (DeviceRequestHeader.device, String(deviceID.rawValue)),
            (DeviceRequestHeader.certificate, Hex.encode(try certificate.encoded())),
            (DeviceRequestHeader.timestamp, String(timestamp.rawValue)),
            (DeviceRequestHeader.nonce, nonce),
            (DeviceRequestHeader.signature, Hex.encode(signature)),
        ]
    }

    /// Whether `nonce` has the allowed form.
    public static func isWellFormedNonce(_ nonce: String) -> Bool {
        let bytes = Array(nonce.utf8)
        guard (16...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// A fresh nonce: 32 hex digits from `rng` (which must be cryptographically secure outside tests).
    public static func makeNonce(using rng: inout some RandomNumberGenerator) -> String {
        let high = rng.next()
        let low = rng.next()
        func hex16(_ value: UInt64) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return hex16(high) + hex16(low)
    }
}

/// The key the service registered for a device: which certified key may speak for it.
public struct RegisteredDeviceKey: Hashable, Sendable {
    /// The device.
    public var deviceID: DeviceID
    /// The id of its certified key.
    public var keyID: KeyID
    /// Its public key.
    public var publicKey: SigningPublicKey
    /// What it is registered as: which entry kinds it may upload.
    public var role: DeviceRole

    /// Creates a registration.
    public init(deviceID: DeviceID, keyID: KeyID, publicKey: SigningPublicKey, role: DeviceRole = .validator) {
        self.deviceID = deviceID
        self.keyID = keyID
        self.publicKey = publicKey
        self.role = role
    }
}

/// Why a device request is refused.
public enum DeviceAuthRefusal: Hashable, Sendable, CustomStringConvertible {
    /// A signature header is absent.
    case missingHeader(String)
    /// A signature header does not have its form.
    case malformedHeader(String)
    /// The timestamp is outside the allowed skew.
    case stale(timestamp: UnixTime)
    /// The nonce was already used inside the window.
    case replayedNonce
    /// The certificate is not usable: not root-signed, revoked, wrong role, out of date.
    case certificate(EntitlementRejection)
    /// No device with this id is registered.
    case unknownDevice(DeviceID)
    /// The device is registered with another key.
    case keyNotRegistered(DeviceID, KeyID)
    /// The request signature does not verify under the certified key.
    case badSignature
    /// The certificate binds its key to another device than the request names.
    case certificateNamesAnotherDevice(DeviceID, named: DeviceID)

    /// 401 when the request does not prove who sent it, 403 when it does but that key may not.
    public var httpStatus: Int {
        switch self {
        case .missingHeader, .malformedHeader, .stale, .replayedNonce, .badSignature: 401
        case .certificate(let rejection):
            switch rejection {
            case .unknownIssuer, .issuerCertificateBadSignature: 401
            default: 403
            }
        case .unknownDevice, .keyNotRegistered, .certificateNamesAnotherDevice: 403
        }
    }

    /// The protocol code the service answers with.
    public var code: AccountingErrorCode {
        switch self {
        case .missingHeader: .missingSignatureHeader
        case .malformedHeader: .malformedSignatureHeader
        case .stale: .staleRequest
        case .replayedNonce: .replayedNonce
        case .certificate(let rejection):
            switch rejection {
            case .revokedIssuer: .certificateRevoked
            case .issuerWrongRole: .certificateWrongRole
            case .issuerCertificateExpired: .certificateExpired
            case .issuerCertificateNotYetValid: .certificateNotYetValid
            default: .certificateInvalid
            }
        case .unknownDevice: .unknownDevice
        case .keyNotRegistered: .keyNotRegistered
        case .badSignature: .badRequestSignature
        case .certificateNamesAnotherDevice: .certificateNamesAnotherDevice
        }
    }

    /// Ukrainian explanation.
    public var ukrainian: String {
        switch self {
        case .missingHeader(let name): "бракує заголовка \(name)"
        case .malformedHeader(let name): "заголовок \(name) має неправильну форму"
        case .stale: "час запиту поза дозволеним вікном"
        case .replayedNonce: "запит уже надсилався (повтор nonce)"
        case .certificate(let rejection): "сертифікат пристрою недійсний (\(rejection.code))"
        case .unknownDevice(let device): "пристрій \(device) не зареєстровано"
        case .keyNotRegistered(let device, let key): "ключ \(key) не зареєстровано для пристрою \(device)"
        case .badSignature: "підпис запиту недійсний"
        case .certificateNamesAnotherDevice(let device, let named):
            "сертифікат належить пристрою \(named), а запит від пристрою \(device)"
        }
    }

    /// English explanation.
    public var english: String {
        switch self {
        case .missingHeader(let name): "the header \(name) is missing"
        case .malformedHeader(let name): "the header \(name) is malformed"
        case .stale(let timestamp): "the request time \(timestamp.rawValue) is outside the allowed window"
        case .replayedNonce: "the nonce was already used"
        case .certificate(let rejection): "the device certificate is not valid (\(rejection.code))"
        case .unknownDevice(let device): "device \(device) is not registered"
        case .keyNotRegistered(let device, let key): "key \(key) is not the one registered for device \(device)"
        case .badSignature: "the request signature does not verify"
        case .certificateNamesAnotherDevice(let device, let named):
            "the certificate binds its key to device \(named), but the request is from device \(device)"
        }
    }

    /// The code and the English explanation.
    public var description: String { "\(code): \(english)" }
}

/// The outcome of checking a device request.
public enum DeviceAuthentication: Hashable, Sendable {
    /// The request comes from this registered device, signed by its certified key.
    case authenticated(AuthenticatedDevice)
    /// Refused, and why.
    case refused(DeviceAuthRefusal)
}

/// A device whose request verified.
public struct AuthenticatedDevice: Hashable, Sendable {
    /// The device.
    public var deviceID: DeviceID
    /// Its certificate (root-signed, validator role, in date, unrevoked).
    public var certificate: Certificate
    /// The request's nonce, for the caller's replay window.
    public var nonce: String
    /// The request's timestamp.
    public var timestamp: UnixTime
    /// The role the device is registered with.
    public var role: DeviceRole = .validator

    /// The certified public key.
    public func publicKey() throws -> Curve25519.Signing.PublicKey { try certificate.publicKey.cryptoKey() }
}

/// Checks device-signed requests against the community root and the registered devices (pure).
///
/// Order: headers present and well-formed; timestamp inside the window; the certificate by the
/// root, for the validator role, in date and unrevoked; the device registered with this very
/// key; the signature; and finally that the certificate (format 2) names this very device. The
/// last check is what stops one key speaking for two devices even where a registration (made
/// before registrations were checked) pairs it with a second id; a format 1 certificate names
/// no device and passes it (docs/keys.md, "Who accepts what"). The nonce's single use is the caller's (`NonceWindow`),
/// because it needs state.
public struct DeviceRequestVerifier: Sendable {
    /// The community root key id.
    public let rootKeyID: KeyID
    /// The community root public key.
    public let rootPublicKey: SigningPublicKey
    /// The current revocations.
    public let revocations: RevocationList
    /// How far the timestamp may be from `now`.
    public let clockSkewSeconds: Int64

    /// Creates a verifier.
    public init(rootKeyID: KeyID, rootPublicKey: SigningPublicKey, revocations: RevocationList, clockSkewSeconds: Int64 = 300) {
        self.rootKeyID = rootKeyID
        self.rootPublicKey = rootPublicKey
        self.revocations = revocations
        self.clockSkewSeconds = clockSkewSeconds
    }

    /// Verifies a request; `header` reads a header by lower-case name; `registered` looks a device up.
    public func verify(
        method: String, path: String, header: (String) -> String?, body: [UInt8], now: UnixTime,
        registered: (DeviceID) -> RegisteredDeviceKey?
    ) -> DeviceAuthentication {
        for name in DeviceRequestHeader.all where header(name) == nil { return .refused(.missingHeader(name)) }
        guard let deviceText = header(DeviceRequestHeader.device), let deviceNumber = UInt32(deviceText) else {
            return .refused(.malformedHeader(DeviceRequestHeader.device))
        }
        let deviceID = DeviceID(rawValue: deviceNumber)
        guard let timestampText = header(DeviceRequestHeader.timestamp), let seconds = Int64(timestampText) else {
            return .refused(.malformedHeader(DeviceRequestHeader.timestamp))
        }
        let timestamp = UnixTime(seconds)
        guard let nonce = header(DeviceRequestHeader.nonce), SignedRequest.isWellFormedNonce(nonce) else {
            return .refused(.malformedHeader(DeviceRequestHeader.nonce))
        }
        guard let signatureText = header(DeviceRequestHeader.signature), let signature = Hex.decode(signatureText),
            signature.count == 64
        else { return .refused(.malformedHeader(DeviceRequestHeader.signature)) }
        guard let certificateText = header(DeviceRequestHeader.certificate), let certificateBytes = Hex.decode(certificateText),
            let certificate = try? Certificate(decoding: certificateBytes)
        else { return .refused(.malformedHeader(DeviceRequestHeader.certificate)) }
        let skew = timestamp.rawValue > now.rawValue ? timestamp.rawValue - now.rawValue : now.rawValue - timestamp.rawValue
        guard skew <= clockSkewSeconds else { return .refused(.stale(timestamp: timestamp)) }

        let trust: TrustStore
        do {
            trust = try TrustStore(rootKeyID: rootKeyID, rootPublicKey: rootPublicKey, certificates: [certificate], revocations: revocations)
        } catch {
            return .refused(.certificate(.unknownIssuer(certificate.issuerKeyID)))
        }
        if case .invalid(let rejection) = trust.checkCertificate(of: certificate.keyID, role: .validator, now: now) {
            return .refused(.certificate(rejection))
        }
        guard let registration = registered(deviceID) else { return .refused(.unknownDevice(deviceID)) }
        guard registration.keyID == certificate.keyID, registration.publicKey == certificate.publicKey else {
            return .refused(.keyNotRegistered(deviceID, certificate.keyID))
        }
        let request = SignedRequest(
            method: method, path: path, deviceID: deviceID, keyID: certificate.keyID, timestamp: timestamp, nonce: nonce,
            body: body)
        guard let key = try? certificate.publicKey.cryptoKey(), key.isValidSignature(signature, for: request.canonicalBytes)
        else { return .refused(.badSignature) }
        if case .namesAnotherDevice(let named) = certificate.binding(to: deviceID) {
            return .refused(.certificateNamesAnotherDevice(deviceID, named: named))
        }
        return .authenticated(
            AuthenticatedDevice(deviceID: deviceID, certificate: certificate, nonce: nonce, timestamp: timestamp, role: registration.role))
    }
}

/// The nonces seen inside the replay window (a value: the service keeps one in an actor).
///
/// A nonce is remembered until its timestamp falls out of the window, after which the timestamp
/// check alone refuses the request; so memory is bounded by the request rate times the window.
public struct NonceWindow: Sendable {
    private var seen: [String: Int64] = [:]
    private let windowSeconds: Int64

    /// Creates an empty window of ±`windowSeconds`.
    public init(windowSeconds: Int64) { self.windowSeconds = windowSeconds }

    /// Admits `nonce` of `device` once; false if it was seen inside the window.
    public mutating func admit(_ nonce: String, device: DeviceID, timestamp: UnixTime, now: UnixTime) -> Bool {
        let key = "\(device.rawValue):\(nonce)"
        if seen.count > 10_000 { evict(now: now) }
        if seen[key] != nil { return false }
        seen[key] = timestamp.rawValue
        return true
    }

    /// How many nonces are remembered.
    public var count: Int { seen.count }

    private mutating func evict(now: UnixTime) {
        let oldest = now.rawValue - windowSeconds
        seen = seen.filter { $0.value >= oldest }
    }
}
