import Crypto
import Entitlements
import Identifiers

/// A bundle that passed every check, with its decoded payload.
public struct VerifiedBundle: Hashable, Sendable {
    /// The signed header.
    public let header: BundleHeader
    /// The decoded payload.
    public let payload: BundlePayload
    /// The bytes as received, to store and to pass on unchanged.
    public let bytes: [UInt8]
}

/// Why a validator refuses to install a bundle.
public enum BundleRefusal: Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not a readable bundle or payload; the error says where.
    case malformed(BundleError)
    /// A bundle of another kind was offered where this kind was expected.
    case wrongKind(expected: BundleKind, found: BundleKind)
    /// The bundle belongs to another community.
    case wrongCommunity(expected: String, found: String)
    /// It was signed by a key other than the pinned community root.
    case wrongSigner(expected: KeyID, found: KeyID)
    /// The signature does not verify.
    case badSignature
    /// Older than the installed version: a rollback, never allowed.
    case rollback(installed: UInt32, offered: UInt32)
    /// The installed version again (a replay, or a retry after success).
    case notNewer(installed: UInt32)
    /// Its expiry has passed.
    case expired(expiresAt: UnixTime)
    /// Its issue time is further in the future than the allowed clock skew.
    case notYetIssued(issuedAt: UnixTime)
    /// A trust bundle whose root differs from the pinned root.
    case rootMismatch

    /// A stable name for logs and metrics.
    public var name: String {
        switch self {
        case .malformed: "malformed"
        case .wrongKind: "wrong-kind"
        case .wrongCommunity: "wrong-community"
        case .wrongSigner: "wrong-signer"
        case .badSignature: "bad-signature"
        case .rollback: "rollback"
        case .notNewer: "not-newer"
        case .expired: "expired"
        case .notYetIssued: "not-yet-issued"
        case .rootMismatch: "root-mismatch"
        }
    }

    /// The name and the facts.
    public var description: String {
        switch self {
        case .malformed(let error): "malformed: \(error)"
        case .wrongKind(let expected, let found): "wrong-kind: expected \(expected), found \(found)"
        case .wrongCommunity(let expected, let found): "wrong-community: expected \(expected), found \(found)"
        case .wrongSigner(let expected, let found): "wrong-signer: expected root \(expected), found \(found)"
        case .badSignature: "bad-signature"
        case .rollback(let installed, let offered): "rollback: version \(offered) is older than the installed \(installed)"
        case .notNewer(let installed): "not-newer: version \(installed) is already installed"
        case .expired(let expiresAt): "expired: at \(expiresAt.safeText)"
        case .notYetIssued(let issuedAt): "not-yet-issued: issued at \(issuedAt.safeText)"
        case .rootMismatch: "root-mismatch: the trust bundle's root is not the pinned root"
        }
    }
}

/// Accept or refuse.
public enum BundleVerdict: Hashable, Sendable {
    /// Install it.
    case accept(VerifiedBundle)
    /// Keep what is installed, and why.
    case refuse(BundleRefusal)
}

/// Decides whether a validator may install a candidate bundle (pure: `now` is a parameter).
///
/// Order of checks: readable, kind, community, signer, signature, then version, dates and
/// payload. Nothing a bundle says about itself is believed before its signature verifies,
/// except what is needed to find the key. The version check refuses both rollbacks and
/// replays of the installed version, so an attacker who recorded an old, validly signed deny
/// list cannot take a blocked card off it.
public struct BundleAcceptance: Sendable {
    /// The community this validator serves.
    public let community: String
    /// The pinned root key's identifier.
    public let rootKeyID: KeyID
    /// The pinned root public key.
    public let rootPublicKey: SigningPublicKey
    /// How far in the future `issuedAt` may lie, for validators whose clock runs slow.
    public let allowedClockSkewSeconds: Int64

    /// Creates the policy.
    public init(community: String, rootKeyID: KeyID, rootPublicKey: SigningPublicKey, allowedClockSkewSeconds: Int64 = 300) {
        self.community = community
        self.rootKeyID = rootKeyID
        self.rootPublicKey = rootPublicKey
        self.allowedClockSkewSeconds = allowedClockSkewSeconds
    }

    /// Evaluates `bytes` as a bundle of `kind`, given the version installed (nil if none).
    public func evaluate(_ bytes: [UInt8], kind: BundleKind, installedVersion: UInt32?, now: UnixTime) -> BundleVerdict {
        let bundle: SignedBundle
        do {
            bundle = try SignedBundle(decoding: bytes)
        } catch {
            return .refuse(.malformed(error))
        }
        let header = bundle.header
        guard header.kind == kind else { return .refuse(.wrongKind(expected: kind, found: header.kind)) }
        guard header.community == community else {
            return .refuse(.wrongCommunity(expected: community, found: header.community))
        }
        guard header.signerKeyID == rootKeyID else {
            return .refuse(.wrongSigner(expected: rootKeyID, found: header.signerKeyID))
        }
        guard bundle.isSignatureValid(by: rootPublicKey) else { return .refuse(.badSignature) }
        if let installedVersion {
            if header.version < installedVersion {
                return .refuse(.rollback(installed: installedVersion, offered: header.version))
            }
            if header.version == installedVersion { return .refuse(.notNewer(installed: installedVersion)) }
        }
        guard now <= header.expiresAt else { return .refuse(.expired(expiresAt: header.expiresAt)) }
        guard header.issuedAt.rawValue <= now.rawValue + allowedClockSkewSeconds else {
            return .refuse(.notYetIssued(issuedAt: header.issuedAt))
        }
        let payload: BundlePayload
        do {
            payload = try BundlePayload(decoding: bundle.payload, under: header)
        } catch {
            return .refuse(.malformed(error))
        }
        if case .trust(let trust) = payload, trust.rootKeyID != rootKeyID || trust.rootPublicKey != rootPublicKey {
            return .refuse(.rootMismatch)
        }
        return .accept(VerifiedBundle(header: header, payload: payload, bytes: bytes))
    }
}

extension SignedBundle {
    /// Builds and signs a bundle for `payload` (the kind comes from the payload).
    public static func make(
        _ payload: BundlePayload, community: String, version: UInt32, issuedAt: UnixTime, expiresAt: UnixTime,
        rootKeyID: KeyID, rootKey: Curve25519.Signing.PrivateKey
    ) throws(BundleError) -> SignedBundle {
        let header = BundleHeader(kind: payload.kind, community: community, version: version,
                                  issuedAt: issuedAt, expiresAt: expiresAt, signerKeyID: rootKeyID)
        return try sign(header: header, payload: try payload.encoded(), with: rootKey)
    }
}
