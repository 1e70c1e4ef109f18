import Crypto
import CryptoExtras

/// A keyed block cipher as DESFire secure messaging uses it: AES-128 (EV1) or DES and
/// two-key triple DES (legacy sessions).
///
/// Only the block operation comes from here; every mode DESFire uses (CBC, its legacy "send
/// mode", CMAC) is built on top in this module, because DESFire chains IVs across messages in
/// ways no library mode offers.
enum BlockCipher: Sendable {
    case aes(SymmetricKey)
    case des(DES)
    case tripleDES(TripleDES)

    /// Bytes in one block: 16 for AES, 8 for DES.
    var blockSize: Int {
        switch self {
        case .aes: 16
        case .des, .tripleDES: 8
        }
    }

    /// Enciphers one block.
    func encrypt(_ block: [UInt8]) -> [UInt8] {
        precondition(block.count == blockSize)
        switch self {
        case .aes(let key):
            var out = block
            do { try AES.permute(&out, key: key) } catch { preconditionFailure("AES-128 key and block sizes are fixed: \(error)") }
            return out
        case .des(let des):
            return des.encrypt(UInt64(bigEndianBytes: block)).bigEndianBytes
        case .tripleDES(let tdes):
            return tdes.encrypt(UInt64(bigEndianBytes: block)).bigEndianBytes
        }
    }

    /// Deciphers one block.
    func decrypt(_ block: [UInt8]) -> [UInt8] {
        precondition(block.count == blockSize)
        switch self {
        case .aes(let key):
            var out = block
            do { try AES.inversePermute(&out, key: key) } catch { preconditionFailure("AES-128 key and block sizes are fixed: \(error)") }
            return out
        case .des(let des):
            return des.decrypt(UInt64(bigEndianBytes: block)).bigEndianBytes
        case .tripleDES(let tdes):
            return tdes.decrypt(UInt64(bigEndianBytes: block)).bigEndianBytes
        }
    }

    /// CBC encryption of whole blocks (`data.count` a multiple of the block size).
    func cbcEncrypt(_ data: [UInt8], iv: [UInt8]) -> [UInt8] {
        precondition(data.count % blockSize == 0 && iv.count == blockSize)
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var chain = iv
        for start in stride(from: 0, to: data.count, by: blockSize) {
            chain = encrypt(xor(Array(data[start..<start + blockSize]), chain))
            out += chain
        }
        return out
    }

    /// CBC decryption of whole blocks (`data.count` a multiple of the block size).
    func cbcDecrypt(_ data: [UInt8], iv: [UInt8]) -> [UInt8] {
        precondition(data.count % blockSize == 0 && iv.count == blockSize)
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var chain = iv
        for start in stride(from: 0, to: data.count, by: blockSize) {
            let block = Array(data[start..<start + blockSize])
            out += xor(decrypt(block), chain)
            chain = block
        }
        return out
    }

    /// The legacy (DESFire EV0) "send mode": the reader only ever *deciphers*, chaining before
    /// the block operation, Y(i) = D(X(i) xor Y(i-1)), Y(0) = 0, so the card can use the
    /// cheaper encipher direction on its side.
    func legacySendDecipher(_ data: [UInt8]) -> [UInt8] {
        precondition(data.count % blockSize == 0)
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var chain = [UInt8](repeating: 0, count: blockSize)
        for start in stride(from: 0, to: data.count, by: blockSize) {
            chain = decrypt(xor(Array(data[start..<start + blockSize]), chain))
            out += chain
        }
        return out
    }
}

/// Byte-wise XOR of two equally long arrays.
func xor(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    precondition(a.count == b.count)
    var out = a
    for index in out.indices { out[index] ^= b[index] }
    return out
}

/// Compares secrets (MACs, challenges) without stopping at the first difference, so the time
/// taken does not tell an attacker how many leading bytes they guessed right.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}

/// The length of `count` bytes padded up to whole blocks (zero stays zero).
func paddedLength(_ count: Int, blockSize: Int) -> Int {
    (count + blockSize - 1) / blockSize * blockSize
}
