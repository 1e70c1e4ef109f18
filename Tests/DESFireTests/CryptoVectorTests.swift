import Crypto
import CryptoExtras
import PropertyBased
import SmartCard
import PropertyTesting
import Testing
@testable import DESFire

private struct CMACFile: Decodable {
    struct Subkeys: Decodable { let aesOfZero: String, k1: String, k2: String }
    struct Example: Decodable { let name: String, message: String, mac: String }
    let source: String
    let key: String
    let subkeys: Subkeys
    let examples: [Example]
}

private struct DESFile: Decodable {
    struct ECB: Decodable { let source: String, key: String, plaintext: String, ciphertext: String }
    struct CBC: Decodable { let source: String, key: String, iv: String, plaintext: String, ciphertext: String }
    struct Decrypt: Decodable { let source: String, key: String, ciphertext: String, plaintext: String }
    struct MAC: Decodable { let source: String, key: String, iv: String, message: String, cmac: String }
    let desECB: [ECB]
    let desCBC: [CBC]
    let tripleDESECB: [ECB]
    let desfireTraceCBCDecrypt: [Decrypt]
    let cmac64: [MAC]
}

private struct CRCFile: Decodable {
    struct Entry: Decodable { let source: String, data: String, crc: String }
    let crc32: [Entry]
    let crc16: [Entry]
}

/// A DES-family cipher for a key of 8, 16 or 24 bytes (single DES when 8).
private func desCipher(_ key: [UInt8]) -> BlockCipher {
    key.count == 8 ? .des(DES(key: key)) : .tripleDES(TripleDES(key: key))
}

@Suite("Crypto vectors")
struct CryptoVectorTests {
    // MARK: CMAC

    /// RFC 4493 §4 (= NIST SP 800-38B D.1): subkeys and the four AES-128 examples.
    @Test func cmacMatchesRFC4493() throws {
        let file = try Vectors.load("cmac-aes128-rfc4493", as: CMACFile.self)
        let cipher = BlockCipher.aes(SymmetricKey(data: bytes(file.key)))
        #expect(cipher.encrypt([UInt8](repeating: 0, count: 16)) == bytes(file.subkeys.aesOfZero))
        let (k1, k2) = CMAC.subkeys(cipher)
        #expect(k1 == bytes(file.subkeys.k1))
        #expect(k2 == bytes(file.subkeys.k2))
        #expect(file.examples.count == 4)
        for example in file.examples {
            let mac = CMAC.compute(bytes(example.message), cipher: cipher, iv: [UInt8](repeating: 0, count: 16))
            #expect(mac == bytes(example.mac), "\(example.name)")
        }
    }

    /// With a zero IV our CMAC is swift-crypto's AES.CMAC, for any message and key.
    @Test func cmacAgreesWithSwiftCrypto() async throws {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 16), Gen.uint8().array(of: 0...80)) { key, message in
            await failOnThrow {
                let reference = try AES.CMAC(key: SymmetricKey(data: key))
                var mac = reference
                mac.update(data: message)
                let expected = mac.finalize().withUnsafeBytes { Array($0) }
                let ours = CMAC.compute(message, cipher: .aes(SymmetricKey(data: key)), iv: [UInt8](repeating: 0, count: 16))
                #expect(ours == expected)
            }
        }
    }

    /// The 64-bit CMAC (Rb = 0x1B) over DES and 3K3DES with chained IVs, from the published
    /// EV1 trace's ISO sessions.
    @Test func cmac64MatchesPublishedTrace() throws {
        let file = try Vectors.load("des-nist", as: DESFile.self)
        #expect(file.cmac64.count == 4)
        for vector in file.cmac64 {
            let mac = CMAC.compute(bytes(vector.message), cipher: desCipher(bytes(vector.key)), iv: bytes(vector.iv))
            #expect(mac == bytes(vector.cmac), "\(vector.source)")
        }
    }

    // MARK: DES

    /// NIST SP 800-17 known-answer tables (variable plaintext, variable key, permutation,
    /// all 19 substitution-table entries) and FIPS 81's example, both directions.
    @Test func desMatchesNISTKnownAnswers() throws {
        let file = try Vectors.load("des-nist", as: DESFile.self)
        #expect(file.desECB.count == 28)
        for vector in file.desECB {
            let des = DES(key: bytes(vector.key))
            let plaintext = UInt64(bigEndianBytes: bytes(vector.plaintext))
            let ciphertext = UInt64(bigEndianBytes: bytes(vector.ciphertext))
            #expect(des.encrypt(plaintext) == ciphertext, "\(vector.source) \(vector.key)")
            #expect(des.decrypt(ciphertext) == plaintext, "\(vector.source) \(vector.key)")
        }
    }

    /// FIPS 81 appendix C: CBC with an IV, three blocks.
    @Test func desCBCMatchesFIPS81() throws {
        let file = try Vectors.load("des-nist", as: DESFile.self)
        for vector in file.desCBC {
            let cipher = desCipher(bytes(vector.key))
            #expect(cipher.cbcEncrypt(bytes(vector.plaintext), iv: bytes(vector.iv)) == bytes(vector.ciphertext))
            #expect(cipher.cbcDecrypt(bytes(vector.ciphertext), iv: bytes(vector.iv)) == bytes(vector.plaintext))
        }
    }

    /// NIST SP 800-67 appendix B: three-key triple DES.
    @Test func tripleDESMatchesSP80067() throws {
        let file = try Vectors.load("des-nist", as: DESFile.self)
        for vector in file.tripleDESECB {
            let tdes = TripleDES(key: bytes(vector.key))
            let plaintext = bytes(vector.plaintext)
            let ciphertext = bytes(vector.ciphertext)
            for block in stride(from: 0, to: plaintext.count, by: 8) {
                let p = UInt64(bigEndianBytes: plaintext[block..<block + 8])
                let c = UInt64(bigEndianBytes: ciphertext[block..<block + 8])
                #expect(tdes.encrypt(p) == c)
                #expect(tdes.decrypt(c) == p)
            }
        }
    }

    /// DES, 2K3DES and 3K3DES CBC decryption of DESFire challenges from the published trace.
    @Test func desFamilyDecryptsPublishedChallenges() throws {
        let file = try Vectors.load("des-nist", as: DESFile.self)
        #expect(file.desfireTraceCBCDecrypt.count == 4)
        for vector in file.desfireTraceCBCDecrypt {
            let cipher = desCipher(bytes(vector.key))
            let zero = [UInt8](repeating: 0, count: 8)
            #expect(cipher.cbcDecrypt(bytes(vector.ciphertext), iv: zero) == bytes(vector.plaintext), "\(vector.source)")
        }
    }

    /// Two-key triple DES with K1 = K2 is single DES; encryption and decryption invert.
    @Test func tripleDESWithEqualHalvesIsDES() async {
        await propertyCheck(input: Gen.uint8().array(of: 8), Gen.uint64()) { key, block in
            let des = DES(key: key)
            let tdes = TripleDES(key: key + key)
            #expect(tdes.encrypt(block) == des.encrypt(block))
            #expect(des.decrypt(des.encrypt(block)) == block)
        }
    }

    /// The legacy send mode is the inverse of plain CBC encryption: the card enciphers what the
    /// reader deciphered and gets the plaintext back.
    @Test func legacySendModeInvertsCBCEncryption() async {
        await propertyCheck(input: Gen.uint8().array(of: 16), Gen.uint8().array(of: 8...40)) { key, data in
            let cipher = BlockCipher.tripleDES(TripleDES(key: key))
            let padded = zeroPadded(data, blockSize: 8)
            let sent = cipher.legacySendDecipher(padded)
            // The card's side: X(i) = E(Y(i)) xor Y(i-1).
            var recovered: [UInt8] = []
            var previous = [UInt8](repeating: 0, count: 8)
            for start in stride(from: 0, to: sent.count, by: 8) {
                let block = Array(sent[start..<start + 8])
                recovered += xor(cipher.encrypt(block), previous)
                previous = block
            }
            #expect(recovered == padded)
        }
    }

    // MARK: CRC

    /// CRC32 without final XOR (JAMCRC) and CRC_A: catalogue check values, ISO 14443-3 annex B,
    /// and CRCs printed in the published trace.
    @Test func crcsMatchPublishedValues() throws {
        let file = try Vectors.load("crc", as: CRCFile.self)
        for entry in file.crc32 {
            #expect(DESFireCRC.crc32(bytes(entry.data)) == UInt32(entry.crc, radix: 16), "\(entry.source)")
        }
        for entry in file.crc16 {
            #expect(DESFireCRC.crc16(bytes(entry.data)) == UInt16(entry.crc, radix: 16), "\(entry.source)")
        }
        #expect(DESFireCRC.crc32Bytes(bytes("C40000102030405060708090A0B0B0A0908010")) == [0xD2, 0xC6, 0xE6, 0x6B])
        #expect(DESFireCRC.crc16Bytes([0x00, 0x00]) == [0xA0, 0x1E])
    }

    /// A CRC over data followed by its own CRC32 (without final XOR) leaves zero: the residue
    /// property a receiver can check.
    @Test func crc32ResidueIsZero() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...64)) { data in
            #expect(DESFireCRC.crc32(data + DESFireCRC.crc32Bytes(data)) == 0)
            #expect(DESFireCRC.crc16(data + DESFireCRC.crc16Bytes(data)) == 0)
        }
    }
}
