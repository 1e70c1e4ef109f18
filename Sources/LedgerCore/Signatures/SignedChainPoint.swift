import Crypto
import Tariff

/// The bytes an Ed25519 signature over a chain point covers: a domain tag, then device id (u32),
/// sequence (u64) and chain hash (32 bytes), big-endian.
///
/// The tag differs between checkpoints and receipts, so a device's checkpoint can never be
/// passed off as the service's receipt (or the reverse), even if one key were used for both.
func chainPointBytes(tag: [UInt8], deviceID: DeviceID, sequence: UInt64, chainHash: ChainHash) -> [UInt8] {
    var bytes = tag
    bytes.appendBigEndian(deviceID.rawValue)
    bytes.appendBigEndian(sequence)
    bytes.append(contentsOf: chainHash.bytes)
    return bytes
}

func signChainPoint(_ bytes: [UInt8], with key: Curve25519.Signing.PrivateKey) throws -> [UInt8] {
    do {
        return Array(try key.signature(for: bytes))
    } catch {
        throw LedgerError(.signingFailed, "Ed25519 signing failed: \(error)")
    }
}

func checkSignatureLength(_ signature: [UInt8]) throws {
    guard signature.count == 64 else {
        throw LedgerError(.invalidKey, "an Ed25519 signature has 64 bytes, not \(signature.count)")
    }
}
