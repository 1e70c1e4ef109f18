import Crypto
import Entitlements
import Identifiers

/// A community signing key (root, issuer, validator device, accounting) with its id and role.
///
/// `description` never shows the private key: a key that ends up in a log line or an error
/// message by accident leaks nothing.
public struct CommunitySigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key's id (derived from its public key).
    public let keyID: KeyID
    /// What it may do.
    public let role: KeyRole
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// Wraps a private key; the id is derived from the public key.
    public init(role: KeyRole, privateKey: Curve25519.Signing.PrivateKey) {
        self.role = role
        self.privateKey = privateKey
        self.keyID = KeyID(derivedFrom: SigningPublicKey(privateKey.publicKey))
    }

    /// A fresh key from `rng`, which must be cryptographically secure outside tests.
    public static func generate(role: KeyRole, using rng: inout some RandomNumberGenerator) -> CommunitySigningKey {
        let seed = randomBytes(32, using: &rng)
        // 32 bytes are always a valid Ed25519 seed.
        return CommunitySigningKey(role: role, privateKey: try! Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    /// The public half.
    public var publicKey: SigningPublicKey { SigningPublicKey(privateKey.publicKey) }

    /// Role and id; the secret is redacted.
    public var description: String { "CommunitySigningKey(\(role) \(keyID), private key redacted)" }
    /// Same as `description`.
    public var debugDescription: String { description }
}

/// The roles of the AES-128 card master keys, from which each card's keys are diversified.
public enum CardMasterKeyRole: String, CaseIterable, Hashable, Sendable, Codable {
    /// The card-level (PICC) master key, which replaces the factory key at personalization.
    case piccMaster
    /// The application master key (key 0 of the application).
    case applicationMaster
    /// Read-only devices.
    case read
    /// Bus validators.
    case validate
    /// The issuance desk.
    case issue
}

/// One AES-128 card master key of one role and version.
///
/// Versions let cards in the field keep working after a rotation: a card personalized with
/// version 1 keys is read with version 1 until the desk rekeys it. `description` redacts.
public struct CardMasterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The role.
    public let role: CardMasterKeyRole
    /// The version, 1–255 (the DESFire key version byte).
    public let version: UInt8
    /// The key.
    public let key: SymmetricKey

    /// Wraps a key.
    public init(role: CardMasterKeyRole, version: UInt8, key: SymmetricKey) {
        self.role = role
        self.version = version
        self.key = key
    }

    /// A fresh key from `rng`.
    public static func generate(role: CardMasterKeyRole, version: UInt8, using rng: inout some RandomNumberGenerator) -> CardMasterKey {
        CardMasterKey(role: role, version: version, key: SymmetricKey(data: randomBytes(16, using: &rng)))
    }

    /// Role and version; the key is redacted.
    public var description: String { "CardMasterKey(\(role.rawValue) v\(version), key redacted)" }
    /// Same as `description`.
    public var debugDescription: String { description }
}

/// `count` bytes from `rng`.
func randomBytes(_ count: Int, using rng: inout some RandomNumberGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count {
        var word = rng.next()
        for _ in 0..<8 where bytes.count < count {
            bytes.append(UInt8(truncatingIfNeeded: word))
            word >>= 8
        }
    }
    return bytes
}
