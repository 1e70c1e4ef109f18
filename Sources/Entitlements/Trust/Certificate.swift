import Identifiers

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

    /// Creates certificate terms.
    public init(
        keyID: KeyID, role: KeyRole, publicKey: SigningPublicKey,
        notBefore: UnixTime, notAfter: UnixTime, issuerKeyID: KeyID
    ) {
        self.keyID = keyID
        self.role = role
        self.publicKey = publicKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuerKeyID = issuerKeyID
    }
}

/// A community key certified by the root: identifier, role, public key, validity, root signature.
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
