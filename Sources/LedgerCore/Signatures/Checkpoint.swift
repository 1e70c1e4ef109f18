import Crypto
import Tariff

/// The device's signature over its chain at one sequence number.
///
/// Why: the hash chain alone shows that entries were not changed *relative to each other*;
/// someone with write access could rewrite an entry and recompute every later hash. A
/// checkpoint signed with the device key (which never leaves the validator) pins the chain at
/// that point, so rewriting anything up to it needs the key. Written every N entries, at
/// shutdown and before each upload.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    /// The domain tag at the start of the signed bytes: "HromadaCard ledger checkpoint v1" and a zero byte.
    public static let domainTag: [UInt8] = Array("HromadaCard ledger checkpoint v1".utf8) + [0]

    /// The device that signed.
    public let deviceID: DeviceID
    /// The entry the checkpoint covers (and every entry before it).
    public let sequence: UInt64
    /// The hash of entry `sequence`.
    public let chainHash: ChainHash
    /// The Ed25519 signature (64 bytes) over `signedBytes`.
    public let signature: [UInt8]

    /// A checkpoint as stored or received; the signature is checked by `isValid(signedBy:)`.
    public init(deviceID: DeviceID, sequence: UInt64, chainHash: ChainHash, signature: [UInt8]) throws {
        try checkSignatureLength(signature)
        self.deviceID = deviceID
        self.sequence = sequence
        self.chainHash = chainHash
        self.signature = signature
    }

    /// Signs the chain at `head` with the device key.
    public init(signing head: ChainHead, with deviceKey: Curve25519.Signing.PrivateKey) throws {
        let bytes = chainPointBytes(
            tag: Self.domainTag, deviceID: head.deviceID, sequence: head.sequence, chainHash: head.hash)
        try self.init(
            deviceID: head.deviceID, sequence: head.sequence, chainHash: head.hash,
            signature: try signChainPoint(bytes, with: deviceKey))
    }

    /// The bytes the signature covers (docs/ledger-format.md).
    public var signedBytes: [UInt8] {
        chainPointBytes(tag: Self.domainTag, deviceID: deviceID, sequence: sequence, chainHash: chainHash)
    }

    /// Whether the signature verifies under the device's public key.
    public func isValid(signedBy devicePublicKey: Curve25519.Signing.PublicKey) -> Bool {
        devicePublicKey.isValidSignature(signature, for: signedBytes)
    }

    /// `checkpoint device/sequence/hash`.
    public var description: String { "checkpoint \(deviceID)/\(sequence)/\(chainHash)" }
}
