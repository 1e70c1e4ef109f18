import Crypto
import Entitlements
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a bundle carries.
public enum BundleKind: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Root key, certificates and revocations.
    case trust = 1
    /// The tariff: categories, fares, routes, anti-passback and transfer rules.
    case tariff = 2
    /// Blocked card serials.
    case denyList = 3

    /// The name used on command lines and in file names: `trust`, `tariff`, `denylist`.
    public var description: String {
        switch self {
        case .trust: "trust"
        case .tariff: "tariff"
        case .denyList: "denylist"
        }
    }

    /// Parses `trust`, `tariff` or `denylist`.
    public init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = kind
    }
}

/// The signed facts about a bundle other than its payload.
public struct BundleHeader: Hashable, Sendable {
    /// What the payload is.
    public var kind: BundleKind
    /// The community it belongs to (1–64 bytes of UTF-8).
    public var community: String
    /// Increases with every published bundle of this kind; validators never go back.
    public var version: UInt32
    /// When it was signed.
    public var issuedAt: UnixTime
    /// After this instant validators refuse to install it.
    public var expiresAt: UnixTime
    /// The key that signed it: the community root.
    public var signerKeyID: KeyID

    /// Creates a header.
    public init(kind: BundleKind, community: String, version: UInt32, issuedAt: UnixTime, expiresAt: UnixTime, signerKeyID: KeyID) {
        self.kind = kind
        self.community = community
        self.version = version
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.signerKeyID = signerKeyID
    }
}

/// A bundle as it travels: header, canonical payload bytes and the root's Ed25519 signature.
///
/// Signed by the community root key itself rather than by a delegated key: a trust bundle
/// carries the very certificates a delegated key would need, and the root is already pinned on
/// every validator, so there is nothing to bootstrap and nothing extra to revoke. Bundles are
/// rare, deliberate acts of the operator, which suits a key kept offline. The signature covers
/// a domain tag and every byte before it (docs/bundles.md), so no field can change unnoticed and
/// a bundle signature can never be confused with an entitlement or certificate signature.
public struct SignedBundle: Hashable, Sendable {
    /// `HRBN`: the first four bytes of every bundle.
    public static let magic: [UInt8] = Array("HRBN".utf8)
    /// The envelope format this code writes and reads.
    public static let formatVersion: UInt8 = 1
    /// Prepended to the signed bytes so this signature cannot be replayed as another kind.
    public static let signingDomain: [UInt8] = Array("HromadaCard bundle v1\u{0}".utf8)
    /// Largest payload accepted, so a hostile length cannot make a validator allocate gigabytes.
    public static let maximumPayloadSize = 16 * 1024 * 1024

    /// The signed header.
    public let header: BundleHeader
    /// The canonical payload bytes.
    public let payload: [UInt8]
    /// The signature over `signingDomain + unsignedBytes`.
    public let signature: Ed25519Signature

    /// Pairs the parts (no check is made; see `BundleAcceptance`).
    public init(header: BundleHeader, payload: [UInt8], signature: Ed25519Signature) {
        self.header = header
        self.payload = payload
        self.signature = signature
    }

    /// Signs `payload` under `header` with the root key.
    public static func sign(
        header: BundleHeader, payload: [UInt8], with rootKey: Curve25519.Signing.PrivateKey
    ) throws(BundleError) -> SignedBundle {
        let body = try encodeBody(header: header, payload: payload)
        let signatureBytes: Data
        do {
            signatureBytes = try rootKey.signature(for: signingDomain + body)
        } catch {
            throw BundleError(.signingFailed, "Ed25519 signing failed: \(error)")
        }
        guard let signature = try? Ed25519Signature(rawRepresentation: Array(signatureBytes)) else {
            throw BundleError(.signingFailed, "the signature is not 64 bytes")
        }
        return SignedBundle(header: header, payload: payload, signature: signature)
    }

    /// The bytes before the signature: header and payload.
    public func unsignedBytes() throws(BundleError) -> [UInt8] {
        try Self.encodeBody(header: header, payload: payload)
    }

    /// The whole bundle: header, payload, signature.
    public func encoded() throws(BundleError) -> [UInt8] {
        try unsignedBytes() + signature.rawRepresentation
    }

    /// Whether `signature` is `publicKey`'s over this bundle.
    public func isSignatureValid(by publicKey: SigningPublicKey) -> Bool {
        guard let key = try? publicKey.cryptoKey(), let body = try? unsignedBytes() else { return false }
        return key.isValidSignature(signature.rawRepresentation, for: Self.signingDomain + body)
    }

    static func encodeBody(header: BundleHeader, payload: [UInt8]) throws(BundleError) -> [UInt8] {
        let community = Array(header.community.utf8)
        guard (1...64).contains(community.count) else {
            throw BundleError(.invalidField, "the community name must be 1-64 bytes of UTF-8")
        }
        guard header.issuedAt <= header.expiresAt else {
            throw BundleError(.invalidField, "issued-at \(header.issuedAt.safeText) is after expires-at \(header.expiresAt.safeText)")
        }
        guard payload.count <= maximumPayloadSize else {
            throw BundleError(.tooLarge, "payload of \(payload.count) bytes exceeds \(maximumPayloadSize)")
        }
        var writer = BundleWriter()
        writer.raw(magic)
        writer.u8(formatVersion)
        writer.u8(header.kind.rawValue)
        writer.u8(UInt8(community.count))
        writer.raw(community)
        writer.u32(header.version)
        writer.i64(header.issuedAt.rawValue)
        writer.i64(header.expiresAt.rawValue)
        writer.u32(header.signerKeyID.rawValue)
        writer.u32(UInt32(payload.count))
        writer.raw(payload)
        return writer.bytes
    }

    /// Decodes a bundle from untrusted bytes; never traps, throws `BundleError`.
    public init(decoding bytes: [UInt8]) throws(BundleError) {
        var reader = BundleReader(bytes, what: "bundle")
        guard try reader.raw(4, "magic") == Self.magic else {
            throw BundleError(.notABundle, "the bytes do not start with HRBN")
        }
        let format = try reader.u8("format")
        guard format == Self.formatVersion else {
            throw BundleError(.unsupportedFormat, "bundle format \(format), this code reads \(Self.formatVersion)")
        }
        let kindByte = try reader.u8("kind")
        guard let kind = BundleKind(rawValue: kindByte) else {
            throw BundleError(.invalidField, "unknown bundle kind \(kindByte)")
        }
        let communityLength = Int(try reader.u8("community length"))
        let communityBytes = try reader.raw(communityLength, "community")
        guard communityLength >= 1, let community = String(validating: communityBytes, as: UTF8.self) else {
            throw BundleError(.invalidField, "the community name is empty or not UTF-8")
        }
        let version = try reader.u32("version")
        let issuedAt = UnixTime(try reader.i64("issued at"))
        let expiresAt = UnixTime(try reader.i64("expires at"))
        guard issuedAt <= expiresAt else {
            throw BundleError(.invalidField, "issued-at \(issuedAt.safeText) is after expires-at \(expiresAt.safeText)")
        }
        let signer = KeyID(try reader.u32("signer key id"))
        let payloadLength = Int(try reader.u32("payload length"))
        guard payloadLength <= Self.maximumPayloadSize else {
            throw BundleError(.tooLarge, "payload of \(payloadLength) bytes exceeds \(Self.maximumPayloadSize)")
        }
        let payload = try reader.raw(payloadLength, "payload")
        let signatureBytes = try reader.raw(64, "signature")
        try reader.expectEnd()
        guard let signature = try? Ed25519Signature(rawRepresentation: signatureBytes) else {
            throw BundleError(.truncated, "signature")
        }
        self.init(
            header: BundleHeader(kind: kind, community: community, version: version, issuedAt: issuedAt,
                                 expiresAt: expiresAt, signerKeyID: signer),
            payload: payload, signature: signature)
    }
}
