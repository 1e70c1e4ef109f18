import Crypto
import SmartCard
import Testing
@testable import DESFire

private struct AN10922File: Decodable {
    let source: String
    let masterKey: String
    let uid: String
    let application: String
    let systemIdentifier: String
    let systemIdentifierText: String
    let cmacInput: String
    let diversifiedKey: String
}

@Suite("Keys")
struct KeyTests {
    /// NXP AN10922 "Symmetric key diversifications", §2.2.1: the AES-128 example with master
    /// key 00112233…EEFF, UID 04782E21801D80, AID 3042F5 and system identifier "NXP Abu".
    @Test func an10922AES128MatchesPublishedExample() throws {
        let vector = try Vectors.load("an10922-aes128", as: AN10922File.self)
        let master = try DESFireKey.aes128(SymmetricKey(data: bytes(vector.masterKey)))
        #expect(Array(vector.systemIdentifierText.utf8) == bytes(vector.systemIdentifier))
        let application = try ApplicationID(wireBytes: bytes(vector.application))
        #expect(bytes(vector.cmacInput) == [0x01] + bytes(vector.uid) + application.wireBytes + bytes(vector.systemIdentifier))

        let derived = try KeyDiversification.an10922AES128(
            masterKey: master,
            uid: bytes(vector.uid),
            application: application,
            systemIdentifier: bytes(vector.systemIdentifier),
            version: 0x10
        )
        #expect(derived.bytes == bytes(vector.diversifiedKey))
        #expect(derived.version == 0x10)
        #expect(derived.type == .aes128)
    }

    /// With a 31-byte input (32 with the constant) AN10922 masks with K1 and adds no padding:
    /// then it equals the standard CMAC of 0x01 || input.
    @Test func an10922FullLengthInputIsPlainCMAC() throws {
        let master = try DESFireKey.aes128(SymmetricKey(data: [UInt8](0..<16)))
        let input = [UInt8](100..<131)
        let derived = try KeyDiversification.an10922AES128(masterKey: master, input: input)
        let expected = CMAC.compute([0x01] + input, cipher: .aes(master.material), iv: [UInt8](repeating: 0, count: 16))
        #expect(derived.withUnsafeBytes { Array($0) } == expected)
        // A short input is padded to two blocks, which plain CMAC would not do.
        let short = try KeyDiversification.an10922AES128(masterKey: master, input: [0x42])
        #expect(short.withUnsafeBytes { Array($0) } != CMAC.compute([0x01, 0x42], cipher: .aes(master.material), iv: [UInt8](repeating: 0, count: 16)))
    }

    @Test func an10922RejectsBadInputs() throws {
        let master = try DESFireKey.aes128(SymmetricKey(data: [UInt8](repeating: 1, count: 16)))
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try KeyDiversification.an10922AES128(masterKey: master, input: []) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try KeyDiversification.an10922AES128(masterKey: master, input: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: DESFireError.Code.unsupportedKeyType.expected) { try KeyDiversification.an10922AES128(masterKey: .factoryDefault, input: [1]) }
    }

    /// DES-family key versions live in the parity bits of the first 8 bytes, most significant
    /// version bit first (the published trace's 00 10 20 31 … is version 0x10).
    @Test func desKeyVersionIsInParityBits() throws {
        let plain = SymmetricKey(data: bytes("00102030405060708090A0B0B0A09080"))
        let versioned = try DESFireKey.tripleDES2K(plain, version: 0x10)
        #expect(versioned.bytes == bytes("00102031405060708090A0B0B0A09080"))
        #expect(versioned.version == 0x10)
        let read = try DESFireKey.tripleDES2K(SymmetricKey(data: bytes("00102031405060708090A0B0B0A09080")))
        #expect(read.version == 0x10)
        let des = try DESFireKey.des(SymmetricKey(data: [UInt8](repeating: 0, count: 8)), version: 0xFF)
        #expect(des.bytes == [UInt8](repeating: 1, count: 8))
        #expect(des.cardBytes == [UInt8](repeating: 1, count: 16))
        #expect(des.isEffectivelySingleDES)
    }

    @Test func keySizesAreChecked() {
        let eight = SymmetricKey(data: [UInt8](repeating: 0, count: 8))
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireKey.aes128(eight) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireKey.tripleDES2K(eight) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireKey.tripleDES3K(eight) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireKey.des(SymmetricKey(data: [UInt8](repeating: 0, count: 16))) }
    }

    /// A 2K3DES key whose halves differ only in parity bits is single DES, as the card sees it.
    @Test func twoKeyTripleDESWithEqualHalvesIsSingleDES() throws {
        let equal = try DESFireKey.tripleDES2K(SymmetricKey(data: bytes("00112233445566770011223344556677")))
        #expect(equal.isEffectivelySingleDES)
        let parityOnly = try DESFireKey.tripleDES2K(SymmetricKey(data: bytes("00112233445566770110233245546776")))
        #expect(parityOnly.isEffectivelySingleDES)
        let different = try DESFireKey.tripleDES2K(SymmetricKey(data: bytes("00112233445566778899AABBCCDDEEFF")))
        #expect(!different.isEffectivelySingleDES)
    }

    /// Keys never print their bytes.
    @Test func descriptionRedactsKeyBytes() throws {
        let key = try DESFireKey.aes128(SymmetricKey(data: bytes("A8DD63A3B89D54B37CA802473FDA9175")), version: 3)
        #expect(!key.description.contains("A8DD"))
        #expect(!key.description.lowercased().contains("a8dd"))
        #expect(key.description.contains("aes128"))
        #expect(DESFireKey.factoryDefault.type == .des)
        #expect(DESFireKey.factoryDefault.bytes == [UInt8](repeating: 0, count: 8))
    }
}
