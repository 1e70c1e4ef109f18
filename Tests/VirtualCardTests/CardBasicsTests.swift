import Testing
@testable import VirtualCard

/// Factory state, the PC/SC and ISO 7816 wrapping, GetVersion, and the three authentications.
@Suite struct CardBasicsTests {
    @Test func factoryStateIsAsShipped() {
        let card = makeCard()
        let reader = TestReader(card: card)
        #expect(card.atr == [0x3B, 0x81, 0x80, 0x01, 0x80, 0x80])
        #expect(card.respond(to: [0xFF, 0xCA, 0x00, 0x00, 0x00]) == [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x90, 0x00])
        #expect(reader.exchange(0x6E, []) == ([0x00, 0x08, 0x00], 0x00))      // 2048 bytes free
        #expect(reader.exchange(0x45, []) == ([0x0F, 0x01], 0x00))            // settings 0F, one DES key
        #expect(reader.exchange(0x64, [0x00]) == ([0x00], 0x00))              // key version 0
        #expect(reader.exchange(0x6A, []) == ([], 0x00))                      // no applications
        #expect(card.image.piccMasterKey == .zero(.des))
        #expect(reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES) == 0x00)
    }

    @Test func getVersionAnswersEV1TwoKilobyteInThreeFrames() {
        let card = makeCard()
        let reader = TestReader(card: card)
        #expect(reader.frame(0x60, []) == ([0x04, 0x01, 0x01, 0x01, 0x00, 0x16, 0x05], 0xAF))
        #expect(reader.frame(0xAF, []) == ([0x04, 0x01, 0x01, 0x01, 0x04, 0x16, 0x05], 0xAF))
        let last = reader.frame(0xAF, [])
        #expect(last.status == 0x00)
        #expect(last.data == card.image.uid + card.image.batchNumber + [card.image.productionWeek, card.image.productionYear])
        #expect(reader.frame(0xAF, []).status == 0x1C)                        // nothing left to continue
    }

    @Test func getVersionInAnAESSessionCarriesOneCMACOverAllFrames() {
        let (_, reader) = Fixture.make()
        let reply = reader.send(0x60)
        #expect(reply.ok)
        #expect(reply.data.count == 28)
    }

    @Test(arguments: [
        ([0x00, 0xA4, 0x04, 0x00, 0x00] as [UInt8], [0x6E, 0x00] as [UInt8]),  // ISO SELECT: other class
        ([0x90, 0x60, 0x01, 0x00, 0x00], [0x6B, 0x00]),                         // P1 must be 0
        ([0x90, 0x5A, 0x00, 0x00, 0x03, 0x00, 0x00], [0x67, 0x00]),             // Lc says 3, 2 follow
        ([0x90, 0x5A, 0x00, 0x00, 0x00, 0x00, 0x00], [0x67, 0x00]),             // Lc 0 with data
        ([0x90, 0x60], [0x67, 0x00]),                                           // too short
        ([0x90, 0x99, 0x00, 0x00, 0x00], [0x91, 0x1C]),                         // unknown command
        ([0x90, 0x6E, 0x00, 0x00, 0x01, 0x00, 0x00], [0x91, 0x7E]),             // FreeMemory takes no data
        ([0xFF, 0xCA, 0x00, 0x00, 0x04], [0x6C, 0x07]),                         // Le too short for the UID
        ([0xFF, 0xCA, 0x01, 0x00, 0x00], [0x80, 0x90, 0x00]),                   // historical bytes
        ([0xFF, 0xCA, 0x02, 0x00, 0x00], [0x6A, 0x81]),
        ([0xFF, 0xB0, 0x00, 0x00, 0x00], [0x6D, 0x00]),
    ])
    func wrappingErrorsAnswerISOStatuses(command: [UInt8], expected: [UInt8]) {
        #expect(makeCard().respond(to: command) == expected)
    }

    @Test func framesLongerThanSixtyBytesAreRefused() {
        let card = makeCard()
        let apdu: [UInt8] = [0x90, 0xCA, 0x00, 0x00, 60] + [UInt8](repeating: 1, count: 60) + [0x00]
        #expect(card.respond(to: apdu) == [0x91, 0x7E])
    }

    @Test func caseThreeAPDUWithoutLeIsAccepted() {
        let card = makeCard()
        #expect(card.respond(to: [0x90, 0x64, 0x00, 0x00, 0x01, 0x00]) == [0x00, 0x91, 0x00])
    }

    /// Legacy DES authentication with the factory key, then the PICC master key becomes AES
    /// through the 0x80 key-number flag (legacy cryptogram: key, version, CRC16).
    @Test func legacyAuthenticationThenPICCKeyBecomesAES() {
        let card = makeCard()
        let reader = TestReader(card: card)
        #expect(reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES) == 0x00)
        let newKey = HostKey.aes((0..<16).map { UInt8($0 + 0xA0) })
        let reply = reader.changeKey(0, to: newKey, version: 0x42, typeFlags: 0x80)
        #expect(reply.ok)
        #expect(reply.data.isEmpty)
        #expect(!card.isAuthenticated)
        #expect(reader.exchange(0x64, [0x00]) == ([0x42], 0x00))
        #expect(reader.exchange(0x45, []) == ([0x0F, 0x81], 0x00))
        #expect(reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES) == 0xAE)
        #expect(reader.authenticate(0xAA, keyNumber: 0, key: .zeroAES) == 0xAE)
        #expect(reader.authenticate(0xAA, keyNumber: 0, key: newKey) == 0x00)
        // And back to DES under AES secure messaging (CRC32, no version byte).
        #expect(reader.changeKey(0, to: .zeroDES).ok)
        #expect(reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES) == 0x00)
        #expect(card.image.piccMasterKey == .zero(.des))
    }

    @Test func authenticationErrors() {
        let card = makeCard()
        let reader = TestReader(card: card)
        #expect(reader.frame(0x0A, [0x01]).status == 0x40)                      // PICC has only key 0
        #expect(reader.frame(0x0A, []).status == 0x7E)
        #expect(reader.frame(0xAA, [0x00]).status == 0xAE)                      // DES key, AES command
        #expect(reader.frame(0x0A, [0x00]).status == 0xAF)
        #expect(reader.frame(0xAF, [UInt8](repeating: 0, count: 15)).status == 0x7E)
        #expect(reader.frame(0x0A, [0x00]).status == 0xAF)
        #expect(reader.frame(0xAF, [UInt8](repeating: 0, count: 16)).status == 0xAE)   // wrong RndB'
        #expect(!card.isAuthenticated)
        #expect(reader.authenticate(0x0A, keyNumber: 0, key: .des((0..<16).map { UInt8($0) })) == 0xAE)
        #expect(reader.authenticate(0x1A, keyNumber: 0, key: .zeroDES) == 0x00)   // ISO authentication
    }

    @Test func aesAuthenticationUsesTheInjectedChallenge() {
        let rndB: [UInt8] = (0..<16).map { UInt8(0xF0 - $0) }
        let card = VirtualDESFireCard(
            image: .factoryNew(uid: [0x04, 1, 2, 3, 4, 5, 6]),
            challenges: ScriptedChallengeSource([Array(repeating: 7, count: 8), rndB])
        )
        let reader = TestReader(card: card)
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.changeKey(0, to: .zeroAES, typeFlags: 0x80).ok)
        let first = reader.frame(0xAA, [0x00])
        #expect(first.status == 0xAF)
        #expect(first.data == HostCipher.aes([UInt8](repeating: 0, count: 16)).cbcEncrypt(iv: [UInt8](repeating: 0, count: 16), rndB))
    }
}
