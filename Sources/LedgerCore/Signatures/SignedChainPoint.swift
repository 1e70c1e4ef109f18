import Crypto
import Identifiers

/// Who signs a chain point, and the domain tag that keeps one signer's statements from passing
/// for another's.
public protocol ChainPointSigner: Sendable {
    /// The tag at the start of the signed bytes (ASCII text and a zero byte).
    static var domainTag: [UInt8] { get }
    /// How the statement is named in text (`checkpoint`, `receipt`).
    static var name: String { get }
}

/// A signed statement about a device's chain at one sequence number: the device's own
/// ``Checkpoint`` or the accounting service's ``Receipt``.
///
/// Both sign the same fields, (device id, sequence, chain hash), behind different domain tags
/// (docs/ledger-format.md), so a checkpoint can never be replayed as a receipt or the other way
/// round; the generic parameter keeps them apart in the type system too.
public struct SignedChainPoint<Signer: ChainPointSigner>: Hashable, Sendable, CustomStringConvertible {
    /// The domain tag at the start of the signed bytes.
    public static var domainTag: [UInt8] { Signer.domainTag }

    /// The device whose chain this is about.
    public let deviceID: DeviceID
    /// The entry covered (and every entry before it).
    public let sequence: UInt64
    /// The hash of entry `sequence`.
    public let chainHash: ChainHash
    /// The Ed25519 signature (64 bytes) over `signedBytes`.
    public let signature: [UInt8]

    /// A statement as stored or received; the signature is checked by `isValid(signedBy:)`.
    public init(deviceID: DeviceID, sequence: UInt64, chainHash: ChainHash, signature: [UInt8]) throws {
        guard signature.count == 64 else {
            throw LedgerError(.invalidKey, "an Ed25519 signature has 64 bytes, not \(signature.count)")
        }
        self.deviceID = deviceID
        self.sequence = sequence
        self.chainHash = chainHash
        self.signature = signature
    }

    /// Signs the chain at `head` (with the device key for a checkpoint, the service key for a receipt).
    public init(signing head: ChainHead, with key: Curve25519.Signing.PrivateKey) throws {
        let bytes = Self.signedBytes(deviceID: head.deviceID, sequence: head.sequence, chainHash: head.hash)
        let signature: [UInt8]
        do {
            signature = Array(try key.signature(for: bytes))
        } catch {
            throw LedgerError(.signingFailed, "Ed25519 signing failed: \(error)")
        }
        try self.init(deviceID: head.deviceID, sequence: head.sequence, chainHash: head.hash, signature: signature)
    }

    /// The bytes the signature covers: domain tag, device id, sequence (both big-endian), chain hash.
    public var signedBytes: [UInt8] { Self.signedBytes(deviceID: deviceID, sequence: sequence, chainHash: chainHash) }

    /// Whether the signature verifies under the signer's public key.
    public func isValid(signedBy publicKey: Curve25519.Signing.PublicKey) -> Bool {
        publicKey.isValidSignature(signature, for: signedBytes)
    }

    /// `checkpoint device/sequence/hash` or `receipt device/sequence/hash`.
    public var description: String { "\(Signer.name) \(deviceID)/\(sequence)/\(chainHash)" }

    private static func signedBytes(deviceID: DeviceID, sequence: UInt64, chainHash: ChainHash) -> [UInt8] {
        var bytes = Signer.domainTag
        bytes.appendBigEndian(deviceID.rawValue)
        bytes.appendBigEndian(sequence)
        bytes.append(contentsOf: chainHash.bytes)
        return bytes
    }
}

/// The device's signature over its chain at one sequence number.
///
/// Why: the hash chain alone shows that entries were not changed *relative to each other*;
/// someone with write access could rewrite an entry and recompute every later hash. A
/// checkpoint signed with the device key (which never leaves the validator) pins the chain at
/// that point, so rewriting anything up to it needs the key. Written every N entries, at
/// shutdown and before each upload.
public typealias Checkpoint = SignedChainPoint<DeviceCheckpointSigner>

/// Checkpoints are signed by the validator's device key.
public enum DeviceCheckpointSigner: ChainPointSigner {
    /// "HromadaCard ledger checkpoint v1" and a zero byte.
    public static let domainTag: [UInt8] = Array("HromadaCard ledger checkpoint v1".utf8) + [0]
    public static let name = "checkpoint"
}

/// The accounting service's signed statement that it holds a device's chain up to a sequence.
///
/// Why: the validator deletes old entries only when the service has provably taken them. The
/// receipt names the exact chain hash, so it covers only the entries this device actually
/// wrote; a receipt for another chain (or a forged one) does not match and prunes nothing.
public typealias Receipt = SignedChainPoint<ServiceReceiptSigner>

/// Receipts are signed by the accounting service's key.
public enum ServiceReceiptSigner: ChainPointSigner {
    /// "HromadaCard ledger receipt v1" and a zero byte.
    public static let domainTag: [UInt8] = Array("HromadaCard ledger receipt v1".utf8) + [0]
    public static let name = "receipt"
}
