/// CMAC (NIST SP 800-38B, RFC 4493 for AES-128) over any ``BlockCipher``, with a chaining value.
///
/// swift-crypto's `AES.CMAC` always starts from a zero block. DESFire EV1 starts each CMAC
/// from the session's current IV (the previous CMAC or the last ciphertext block), which is
/// what ties every command and response of a session into one chain: a replayed, dropped or
/// reordered message no longer verifies. With a zero IV this is the standard CMAC, and the
/// tests check it against RFC 4493 and against swift-crypto.
enum CMAC {
    /// The full CMAC block of `message` under `cipher`, starting from `iv`.
    static func compute(_ message: [UInt8], cipher: BlockCipher, iv: [UInt8]) -> [UInt8] {
        let size = cipher.blockSize
        precondition(iv.count == size)
        let (k1, k2) = subkeys(cipher)
        var blocks: [UInt8]
        if !message.isEmpty && message.count % size == 0 {
            blocks = message
            xorLastBlock(&blocks, with: k1)
        } else {
            blocks = message + [0x80] + [UInt8](repeating: 0, count: paddedLength(message.count + 1, blockSize: size) - message.count - 1)
            xorLastBlock(&blocks, with: k2)
        }
        let ciphertext = cipher.cbcEncrypt(blocks, iv: iv)
        return Array(ciphertext.suffix(size))
    }

    /// The two subkeys: L = E(0), K1 = L·x, K2 = L·x² in GF(2^n).
    static func subkeys(_ cipher: BlockCipher) -> (k1: [UInt8], k2: [UInt8]) {
        let l = cipher.encrypt([UInt8](repeating: 0, count: cipher.blockSize))
        let k1 = doubled(l, blockSize: cipher.blockSize)
        return (k1, doubled(k1, blockSize: cipher.blockSize))
    }

    /// Multiplies by x: shift left one bit, and reduce by R(128) = 0x87 or R(64) = 0x1B.
    private static func doubled(_ block: [UInt8], blockSize: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: block.count)
        var carry: UInt8 = 0
        for index in block.indices.reversed() {
            out[index] = block[index] << 1 | carry
            carry = block[index] >> 7
        }
        if carry == 1 { out[out.count - 1] ^= blockSize == 16 ? 0x87 : 0x1B }
        return out
    }

    private static func xorLastBlock(_ blocks: inout [UInt8], with key: [UInt8]) {
        let start = blocks.count - key.count
        for index in key.indices { blocks[start + index] ^= key[index] }
    }
}
