import Identifiers

/// The byte layouts a certificate can have (docs/keys.md, "Certificate format").
///
/// Why versions: format 1 certified a key and a role but said nothing about which device the
/// key belongs to, so one validator key could be registered as two devices and upload under
/// both. Format 2 adds the device id, signed by the root, for validator keys. Format 1 still
/// decodes so that existing trust bundles, key directories and registrations stay readable
/// while a community re-certifies its validators; what each part accepts is documented in
/// docs/keys.md ("Migrating from format 1").
public enum CertificateFormat: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Key id, role, public key, validity, issuer: no device id.
    case v1 = 1
    /// Format 1 followed by the device id (a validator's; zero for every other role).
    case v2 = 2

    /// The format new certificates are made in.
    public static let current = CertificateFormat.v2

    /// Length of the encoded terms in this format.
    public var termsSize: Int {
        switch self {
        case .v1: 50
        case .v2: 54
        }
    }

    /// Length of an encoded certificate (terms and the 64-byte signature) in this format.
    public var certificateSize: Int { termsSize + 64 }

    /// "v1" or "v2".
    public var description: String { "v\(rawValue)" }
}

/// The terms of a key certificate, before the root signs them.
public struct CertificateTerms: Hashable, Sendable {
    /// The certified key's identifier.
    public var keyID: KeyID
    /// What the key may do.
    public var role: KeyRole
    /// The certified public key.
    public var publicKey: SigningPublicKey
    /// The first instant the certificate is good for.
    public var notBefore: UnixTime
    /// The last instant the certificate is good for (inclusive).
    public var notAfter: UnixTime
    /// The key that signs the certificate: the community root.
    public var issuerKeyID: KeyID
    /// The device the key belongs to: set for validator keys in format 2, nil otherwise.
    ///
    /// Signed by the root, so a device key speaks for this one device only: the accounting
    /// service registers the key under this id and no other, and a validator whose configured
    /// id differs refuses to start. A format 1 validator certificate has none (legacy).
    public var deviceID: DeviceID?
    /// The byte layout the terms are encoded in; decoding keeps the one read, so the signed
    /// bytes of an old certificate are reproduced exactly.
    public var format: CertificateFormat

    /// Creates certificate terms; a validator key's terms name its device (`deviceID`).
    ///
    /// Format 2 requires `deviceID` for the validator role and refuses it for every other role
    /// (`encoded()` throws otherwise); format 1 carries no device id at all and exists for
    /// reading and testing certificates made before format 2.
    public init(
        keyID: KeyID, role: KeyRole, publicKey: SigningPublicKey,
        notBefore: UnixTime, notAfter: UnixTime, issuerKeyID: KeyID,
        deviceID: DeviceID? = nil, format: CertificateFormat = .current
    ) {
        self.keyID = keyID
        self.role = role
        self.publicKey = publicKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuerKeyID = issuerKeyID
        self.deviceID = deviceID
        self.format = format
    }
}

/// A community key certified by the root: identifier, role, public key, validity, the device a
/// validator key belongs to, root signature.
///
/// There is exactly one level: the root certifies desks, validators and the accounting service
/// directly. A short chain keeps verification to two signature checks and leaves no room for
/// path-building mistakes.
@dynamicMemberLookup
public struct Certificate: Hashable, Sendable {
    /// The signed terms.
    public let terms: CertificateTerms
    /// The root's signature over the canonical encoding of `terms`.
    public let signature: Ed25519Signature

    /// Pairs terms with a signature (no check is made; see `TrustStore`).
    public init(terms: CertificateTerms, signature: Ed25519Signature) {
        self.terms = terms
        self.signature = signature
    }

    /// Reads a field of the terms.
    public subscript<Value>(dynamicMember keyPath: KeyPath<CertificateTerms, Value>) -> Value {
        terms[keyPath: keyPath]
    }
}

/// How a certificate's device binding relates to a device id someone claims for its key.
public enum DeviceBinding: Hashable, Sendable {
    /// The certificate names exactly this device.
    case matches
    /// The certificate names another device.
    case namesAnotherDevice(DeviceID)
    /// A format 1 certificate: it names no device, so nothing can be compared.
    case unbound
}

extension Certificate {
    /// Compares the device the certificate names with `device`.
    ///
    /// Every part that pairs a key with a device id (registration, request authentication,
    /// validator start-up, ledger verification) asks this one question, so they agree.
    public func binding(to device: DeviceID) -> DeviceBinding {
        guard let named = terms.deviceID else { return .unbound }
        return named == device ? .matches : .namesAnotherDevice(named)
    }
}
/// One revoked key.
public struct Revocation: Hashable, Sendable, Codable {
    /// Why a key was revoked.
    public enum Reason: String, Hashable, Sendable, Codable, CaseIterable {
        /// The private key is, or may be, known to someone else.
        case keyCompromise = "key-compromise"
        /// The device or desk was taken out of service.
        case retired
        /// Replaced by a new key in a planned rotation.
        case superseded
        /// Anything else; the note says what.
        case other
    }

    /// The revoked key.
    public var keyID: KeyID
    /// When it was revoked (for the record; a revoked key is refused at every instant).
    public var revokedAt: UnixTime
    /// Why.
    public var reason: Reason

    /// Creates a revocation.
    public init(keyID: KeyID, revokedAt: UnixTime, reason: Reason) {
        self.keyID = keyID
        self.revokedAt = revokedAt
        self.reason = reason
    }
}

/// The community's revoked keys, versioned (distributed inside the signed trust bundle).
public struct RevocationList: Hashable, Sendable, Codable {
    /// Increases with every published change.
    public var version: UInt32
    /// The revoked keys.
    public var revocations: [Revocation]

    /// Creates a list.
    public init(version: UInt32 = 0, revocations: [Revocation] = []) {
        self.version = version
        self.revocations = revocations
    }

    /// The revocation of `keyID`, if any.
    public func revocation(of keyID: KeyID) -> Revocation? {
        revocations.first { $0.keyID == keyID }
    }
}
