import Crypto
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension KeyID {
    /// The first four bytes (big-endian) of SHA-256 of the raw public key.
    public init(derivedFrom publicKey: SigningPublicKey) {
        let digest = Array(SHA256.hash(data: publicKey.rawRepresentation))
        self.init(rawValue: digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
    }
}

/// What a certified key may do.
///
/// Roles are checked on every use: a validator's device key cannot issue entitlements even
/// though the root certified it, so a stolen bus computer cannot mint free rides.
public enum KeyRole: UInt8, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The community root: certifies every other key. Never certified by anything but itself.
    case root = 1
    /// An issuance desk: signs entitlements.
    case issuer = 2
    /// A validator device: signs ledger checkpoints.
    case validator = 3
    /// The accounting service: signs upload receipts.
    case accounting = 4
    /// The community's finance officer: signs closing records of reconciled months and report manifests.
    case finance = 5

    /// The role's stable name.
    public var description: String {
        switch self {
        case .root: "root"
        case .issuer: "issuer"
        case .validator: "validator"
        case .accounting: "accounting"
        case .finance: "finance"
        }
    }
}

/// An Ed25519 public key as its 32 raw bytes (RFC 8032 encoding).
public struct SigningPublicKey: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 32 bytes.
    public let rawRepresentation: [UInt8]

    /// Wraps 32 raw bytes; throws `.invalidKey` for any other length.
    public init<Bytes: Collection<UInt8>>(rawRepresentation bytes: Bytes) throws {
        guard bytes.count == 32 else {
            throw EntitlementError(.invalidKey, "an Ed25519 public key has 32 bytes, not \(bytes.count)")
        }
        self.rawRepresentation = Array(bytes)
    }

    /// The raw bytes of a swift-crypto public key.
    public init(_ key: Curve25519.Signing.PublicKey) {
        self.rawRepresentation = Array(key.rawRepresentation)
    }

    /// The key in swift-crypto's form.
    public func cryptoKey() throws -> Curve25519.Signing.PublicKey {
        do {
            return try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
        } catch {
            throw EntitlementError(.invalidKey, "not an Ed25519 public key: \(error)")
        }
    }

    /// Hex of the key (public, safe to print).
    public var description: String { Hex.encode(rawRepresentation) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let bytes = Hex.decode(text), bytes.count == 32 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not 64 hex digits")
        }
        self.rawRepresentation = bytes
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An Ed25519 signature: 64 bytes.
public struct Ed25519Signature: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 64 bytes.
    public let rawRepresentation: [UInt8]

    /// Wraps 64 raw bytes; throws `.invalidField` for any other length.
    public init<Bytes: Collection<UInt8>>(rawRepresentation bytes: Bytes) throws {
        guard bytes.count == 64 else {
            throw EntitlementError(.invalidField, "an Ed25519 signature has 64 bytes, not \(bytes.count)")
        }
        self.rawRepresentation = Array(bytes)
    }

    /// Hex of the signature.
    public var description: String { Hex.encode(rawRepresentation) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let bytes = Hex.decode(text), bytes.count == 64 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not 128 hex digits")
        }
        self.rawRepresentation = bytes
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
