import Crypto
import Tariff

/// The accounting service's signed statement that it holds a device's chain up to a sequence.
///
/// Why: the validator deletes old entries only when the service has provably taken them. The
/// receipt names the exact chain hash, so it covers only the entries this device actually
/// wrote; a receipt for another chain (or a forged one) does not match and prunes nothing.
public struct Receipt: Hashable, Sendable, CustomStringConvertible {
    /// The domain tag at the start of the signed bytes: "HromadaCard ledger receipt v1" and a zero byte.
    public static let domainTag: [UInt8] = Array("HromadaCard ledger receipt v1".utf8) + [0]

    /// The device whose entries are covered.
    public let deviceID: DeviceID
    /// The last entry covered; every entry up to it is held by the service.
    public let sequence: UInt64
    /// The hash of entry `sequence` as the service verified it.
    public let chainHash: ChainHash
    /// The service's Ed25519 signature (64 bytes) over `signedBytes`.
    public let signature: [UInt8]

    /// A receipt as received; check it with `isValid(signedBy:)`.
    public init(deviceID: DeviceID, sequence: UInt64, chainHash: ChainHash, signature: [UInt8]) throws {
        try checkSignatureLength(signature)
        self.deviceID = deviceID
        self.sequence = sequence
        self.chainHash = chainHash
        self.signature = signature
    }

    /// Signs a receipt for the chain at `head` with the service key (the accounting service's side).
    public init(signing head: ChainHead, with serviceKey: Curve25519.Signing.PrivateKey) throws {
        let bytes = chainPointBytes(
            tag: Self.domainTag, deviceID: head.deviceID, sequence: head.sequence, chainHash: head.hash)
        try self.init(
            deviceID: head.deviceID, sequence: head.sequence, chainHash: head.hash,
            signature: try signChainPoint(bytes, with: serviceKey))
    }

    /// The bytes the signature covers (docs/ledger-format.md).
    public var signedBytes: [UInt8] {
        chainPointBytes(tag: Self.domainTag, deviceID: deviceID, sequence: sequence, chainHash: chainHash)
    }

    /// Whether the signature verifies under the service's public key.
    public func isValid(signedBy servicePublicKey: Curve25519.Signing.PublicKey) -> Bool {
        servicePublicKey.isValidSignature(signature, for: signedBytes)
    }

    /// `receipt device/sequence/hash`.
    public var description: String { "receipt \(deviceID)/\(sequence)/\(chainHash)" }
}
