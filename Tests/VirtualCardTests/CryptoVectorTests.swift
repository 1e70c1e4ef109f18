import Testing
@testable import VirtualCard

/// The card's primitives (OpenSSL) and the tests' reader primitives (swift-crypto, ReferenceDES)
/// against published vectors, so neither side can be wrong in the same way as the other.
@Suite struct CryptoVectorTests {
    static let rfc4493Key = hexBytes("2b7e151628aed2a6abf7158809cf4f3c")
    static let rfc4493Message = hexBytes(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
    )

    /// RFC 4493 section 4: AES-CMAC of the empty, 16-, 40- and 64-byte messages.
    @Test(arguments: [
        (0, "bb1d6929e95937287fa37d129b756746"),
        (16, "070a16b46b4d4144f79bdd9dd04a287c"),
        (40, "dfa66747de9ae63030ca32611497c827"),
        (64, "51f0bebf7e3b9d92fc49741779363cfe"),
    ])
    func aesCMACMatchesRFC4493(length: Int, expected: String) {
        let message = Array(Self.rfc4493Message.prefix(length))
        let key = CardCipherKey(.aes128, bytes: Self.rfc4493Key)
        #expect(LibCrypto.cmac(key, message) == hexBytes(expected))
        #expect(LibCrypto.cmac(key, chainingValue: [UInt8](repeating: 0, count: 16), message) == hexBytes(expected))
        #expect(HostCipher.aes(Self.rfc4493Key).cmac(iv: [UInt8](repeating: 0, count: 16), message) == hexBytes(expected))
    }

    /// RFC 4493 section 2.4 subkeys.
    @Test func aesCMACSubkeysMatchRFC4493() {
        let (k1, k2) = LibCrypto.cmacSubkeys(CardCipherKey(.aes128, bytes: Self.rfc4493Key))
        #expect(k1 == hexBytes("fbeed618357133667c85e08f7236a8de"))
        #expect(k2 == hexBytes("f7ddac306ae266ccf90bc11ee46d513b"))
    }

    /// CMAC from a non-zero chaining value: the card's two code paths (EVP_MAC with the value
    /// folded into the first block, and the short-message path) against the reader's textbook one.
    @Test(arguments: [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 60])
    func chainedCMACAgreesWithReference(length: Int) {
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
        let aesIV = (0..<16).map { UInt8($0 * 7 + 1) }
        let aesKey = CardCipherKey(.aes128, bytes: Self.rfc4493Key)
        #expect(LibCrypto.cmac(aesKey, chainingValue: aesIV, message) == HostCipher.aes(Self.rfc4493Key).cmac(iv: aesIV, message))
        let desKeyBytes = hexBytes("0123456789ABCDEF FEDCBA9876543210")
        let desIV = (0..<8).map { UInt8($0 * 13 + 5) }
        let desKey = CardCipherKey(.tripleDESTwoKey, bytes: desKeyBytes)
        #expect(LibCrypto.cmac(desKey, chainingValue: desIV, message) == HostCipher.des(desKeyBytes).cmac(iv: desIV, message))
    }

    /// The classic DES example (key 0123456789ABCDEF, "Now is t" → 3FA40E8A984D4815), through the
    /// card's DES-EDE with K1 = K2 and through the reference DES.
    @Test func singleDESMatchesPublishedVector() {
        let key = hexBytes("0123456789ABCDEF")
        let plain = hexBytes("4E6F772069732074")
        let expected = hexBytes("3FA40E8A984D4815")
        #expect(LibCrypto.ecbEncrypt(CardCipherKey(.tripleDESTwoKey, bytes: key), plain) == expected)
        #expect(ReferenceDES(key: key).encrypt(plain) == expected)
        #expect(ReferenceDES(key: key).decrypt(expected) == plain)
    }

    /// NIST SP 800-67 (TDEA) example: keys 0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123,
    /// "The qufc" → A826FD8CE53B855F.
    @Test func tripleDESMatchesSP80067() {
        let key = hexBytes("0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123")
        let plain = hexBytes("5468652071756663")
        let expected = hexBytes("A826FD8CE53B855F")
        #expect(LibCrypto.ecbEncrypt(CardCipherKey(.tripleDESThreeKey, bytes: key), plain) == expected)
        #expect(HostCipher.des3(key).encryptBlock(plain) == expected)
        #expect(LibCrypto.ecbDecrypt(CardCipherKey(.tripleDESThreeKey, bytes: key), expected) == plain)
    }

    /// FIPS 197 appendix C.1: AES-128.
    @Test func aesMatchesFIPS197() {
        let key = CardCipherKey(.aes128, bytes: hexBytes("000102030405060708090a0b0c0d0e0f"))
        let plain = hexBytes("00112233445566778899aabbccddeeff")
        #expect(LibCrypto.ecbEncrypt(key, plain) == hexBytes("69c4e0d86a7b0430d8cdb78070b4c55a"))
        #expect(LibCrypto.cbcDecrypt(key, iv: [UInt8](repeating: 0, count: 16), hexBytes("69c4e0d86a7b0430d8cdb78070b4c55a")) == plain)
    }

    /// CBC on the card and on the reader agree over several blocks, both ways.
    @Test func cbcAgreesWithReference() {
        let data = (0..<48).map { UInt8($0) }
        let iv = (0..<16).map { UInt8(255 - $0) }
        let key = hexBytes("000102030405060708090a0b0c0d0e0f")
        let cipherText = LibCrypto.cbcEncrypt(CardCipherKey(.aes128, bytes: key), iv: iv, data)
        #expect(cipherText == HostCipher.aes(key).cbcEncrypt(iv: iv, data))
        #expect(LibCrypto.cbcDecrypt(CardCipherKey(.aes128, bytes: key), iv: iv, cipherText) == data)
        let desKey = hexBytes("0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123")
        let desIV = Array(iv.prefix(8))
        #expect(LibCrypto.cbcEncrypt(CardCipherKey(.tripleDESThreeKey, bytes: desKey), iv: desIV, data)
            == HostCipher.des3(desKey).cbcEncrypt(iv: desIV, data))
    }

    /// Check values: CRC-32 of "123456789" is CBF43926, so DESFire's un-inverted CRC32 is its
    /// complement; CRC-16/ISO-IEC-14443-3-A of "123456789" is BF05.
    @Test func checksumsMatchCheckValues() {
        let digits = Array("123456789".utf8)
        #expect(DESFireChecksum.crc32(digits) == [0xD9, 0xC6, 0x0B, 0x34])
        #expect(HostChecksum.crc32(digits) == [0xD9, 0xC6, 0x0B, 0x34])
        #expect(DESFireChecksum.crc16(digits) == [0x05, 0xBF])
        #expect(HostChecksum.crc16(digits) == [0x05, 0xBF])
        // From the published EV1 trace: ChangeKeySettings(0x0D) carries CRC32(54 0D) = ED 09 40 1E.
        #expect(DESFireChecksum.crc32([0x54, 0x0D]) == [0xED, 0x09, 0x40, 0x1E])
    }
}
