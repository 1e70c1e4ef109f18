import Testing
@testable import VirtualCard

/// Applications, files, keys and key settings: happy paths and the statuses a real card gives.
@Suite struct ApplicationAndKeyTests {
    @Test func applicationLifecycleAndMemory() {
        let card = makeCard()
        let reader = TestReader(card: card)
        // Factory settings 0x0F allow free creation: no authentication needed.
        #expect(reader.exchange(0xCA, [0x01, 0x00, 0x00, 0x0F, 0x82]).status == 0x00)
        #expect(reader.exchange(0xCA, [0x01, 0x00, 0x00, 0x0F, 0x82]).status == 0xDE)   // duplicate
        #expect(reader.exchange(0xCA, [0x00, 0x00, 0x00, 0x0F, 0x82]).status == 0x9E)   // AID 0
        #expect(reader.exchange(0xCA, [0x02, 0x00, 0x00, 0x0F, 0x8F]).status == 0x9E)   // 15 keys
        #expect(reader.exchange(0xCA, [0x02, 0x00, 0x00, 0x0F, 0xC2]).status == 0x9E)   // AES and 3K3DES
        #expect(reader.exchange(0xCA, [0x02, 0x00, 0x00, 0x0F]).status == 0x7E)
        #expect(reader.exchange(0xCA, [0x02, 0x00, 0x00, 0x0F, 0x42]).status == 0x00)
        // One 32-byte block of directory plus the keys in 32-byte blocks.
        #expect(card.image.freeMemory == 2048 - 64 - 96)
        #expect(reader.exchange(0x6A, []) == ([0x01, 0x00, 0x00, 0x02, 0x00, 0x00], 0x00))
        #expect(reader.select(0x000003) == 0xA0)
        // Deleting needs the PICC master key (or the application's own master key).
        #expect(reader.exchange(0xDA, [0x01, 0x00, 0x00]).status == 0xAE)
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.send(0xDA, data: [0x01, 0x00, 0x00]).ok)
        #expect(reader.send(0xDA, data: [0x01, 0x00, 0x00]).status == 0xA0)
        #expect(reader.exchange(0x6A, []) == ([0x02, 0x00, 0x00], 0x00))
        // A real card gives deleted memory back only at FormatPICC.
        #expect(card.image.freeMemory == 2048 - 64 - 96)
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.send(0xFC).ok)
        #expect(card.image.freeMemory == 2048)
        #expect(reader.exchange(0x6A, []) == ([], 0x00))
    }

    @Test func applicationMasterKeyDeletesItsOwnApplication() {
        let (card, reader) = Fixture.make()
        // The session's application is gone: like ChangeKey of the session key, the card answers
        // in plain, without a CMAC.
        let reply = reader.send(0xDA, data: Fixture.aidBytes)
        #expect(reply.status == 0x00 && reply.data.isEmpty)
        #expect(card.image.applications.isEmpty)
        #expect(!card.isAuthenticated)   // the selected application is gone: back at PICC level
    }

    @Test func twentyEightApplicationsAtMostAndTheirListIsChained() {
        let card = makeCard()
        let reader = TestReader(card: card)
        for number in 1...28 {
            #expect(reader.exchange(0xCA, [UInt8(number), 0x00, 0x00, 0x0F, 0x00]).status == 0x00)
        }
        #expect(reader.exchange(0xCA, [29, 0x00, 0x00, 0x0F, 0x00]).status == 0xCE)
        let first = reader.frame(0x6A, [])
        #expect(first.status == 0xAF && first.data.count == 57)    // 19 AIDs per frame
        let second = reader.frame(0xAF, [])
        #expect(second.status == 0x00 && second.data.count == 27)
        #expect(first.data.prefix(3) == [1, 0, 0] && second.data.suffix(3) == [28, 0, 0])
    }

    @Test func memoryRunsOut() {
        let (card, reader) = Fixture.make()
        #expect(card.image.freeMemory == 2048 - Fixture.allocated)
        #expect(reader.send(0xCD, data: [0x10, 0x00] + Fixture.rights + le(card.image.freeMemory + 1, 3)).status == 0x0E)
        #expect(reader.send(0xCD, data: [0x10, 0x00] + Fixture.rights + le(card.image.freeMemory, 3)).ok)
        #expect(card.image.freeMemory == 0)
        #expect(reader.exchange(0x6E, []) == ([0, 0, 0], 0x00))
    }

    @Test func fileManagementStatuses() {
        let (card, reader) = Fixture.make()
        #expect(reader.send(0xCD, data: [Fixture.standardPlain, 0x00] + Fixture.rights + le(8, 3)).status == 0xDE)
        reader.aes(0)
        #expect(reader.send(0xCD, data: [0x20, 0x00] + Fixture.rights + le(8, 3)).status == 0x9E)     // number 32
        reader.aes(0)
        #expect(reader.send(0xCD, data: [0x11, 0x02] + Fixture.rights + le(8, 3)).status == 0x9E)     // mode 2
        reader.aes(0)
        #expect(reader.send(0xCC, data: [0x11, 0x00] + Fixture.rights + le(10, 4) + le(5, 4) + le(7, 4) + [0]).status == 0x9E)
        reader.aes(0)
        #expect(reader.send(0xC0, data: [0x11, 0x00] + Fixture.rights + le(4, 3) + le(1, 3)).status == 0x9E)  // cyclic needs 2
        reader.aes(0)
        #expect(reader.send(0x6F).data == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(reader.send(0xF5, header: [Fixture.standardPlain]).data == [0x00, 0x00, 0x30, 0x12, 64, 0, 0])
        #expect(reader.send(0xF5, header: [Fixture.valueEnciphered]).data
            == [0x02, 0x03, 0x30, 0x12] + le(0, 4) + le(1000, 4) + le(0, 4) + [0x01])
        #expect(reader.send(0xF5, header: [Fixture.cyclicPlain]).data == [0x04, 0x00, 0x30, 0x12] + le(16, 3) + le(4, 3) + le(0, 3))
        #expect(reader.send(0xF5, header: [0x1F]).status == 0xF0)
        reader.aes(0)
        #expect(reader.send(0xDF, header: [Fixture.never]).ok)
        #expect(reader.send(0x6F).data == [1, 2, 3, 4, 5, 6, 7])
        #expect(card.image.freeMemory == 2048 - Fixture.allocated)   // not freed until FormatPICC
    }

    @Test func keySettingsGovernDirectoryAndConfiguration() {
        let (card, reader) = Fixture.make()
        // 0x09: master key changeable, configuration changeable, no free listing, no free create.
        #expect(reader.send(0x54, data: [0x09], mode: .enciphered).ok)
        #expect(reader.send(0x45).data == [0x09, 0x85])
        reader.session = nil
        #expect(reader.select(Fixture.aid) == 0x00)
        #expect(reader.exchange(0x6F, []).status == 0xAE)
        #expect(reader.exchange(0xF5, [0x01]).status == 0xAE)
        #expect(reader.exchange(0x45, []).status == 0xAE)
        #expect(reader.exchange(0xCD, [0x12, 0x00, 0x30, 0x12, 8, 0, 0]).status == 0xAE)
        reader.aes(0)
        #expect(reader.send(0x6F).ok)
        // Freeze the configuration: further changes are refused for good.
        #expect(reader.send(0x54, data: [0x01], mode: .enciphered).ok)
        #expect(reader.send(0x54, data: [0x0F], mode: .enciphered).status == 0x9D)
        reader.aes(1)
        #expect(reader.send(0x54, data: [0x0F], mode: .enciphered).status == 0xAE)    // not the master key
        #expect(card.image.applications[0].keySettings == 0x01)
    }

    @Test func piccSettingsProtectTheApplicationDirectory() {
        let card = makeCard()
        let reader = TestReader(card: card)
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.send(0x54, data: [0x09], mode: .enciphered).ok)   // legacy: CRC16, deciphered
        #expect(card.image.piccKeySettings == 0x09)
        reader.session = nil
        _ = reader.select(0)
        #expect(reader.exchange(0x6A, []).status == 0xAE)
        #expect(reader.exchange(0xCA, [0x05, 0x00, 0x00, 0x0F, 0x01]).status == 0xAE)
        #expect(reader.exchange(0x45, []).status == 0xAE)
        #expect(reader.exchange(0x6E, []).status == 0x00)                    // FreeMemory stays free
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.send(0xCA, data: [0x05, 0x00, 0x00, 0x0F, 0x01]).ok)
        #expect(reader.send(0x6A).data == [0x05, 0x00, 0x00])
    }

    @Test func changeKeyFollowsTheChangeKeyRights() {
        let (card, reader) = Fixture.make()
        let key1 = HostKey.aes((0..<16).map { UInt8(0x10 + $0) })
        let key2 = HostKey.aes((0..<16).map { UInt8(0x20 + $0) })
        // Settings 0x0F: change key access 0 = the master key changes the others (XOR + CRC32).
        #expect(reader.changeKey(1, to: key1, version: 7, oldKey: .zeroAES).ok)
        #expect(reader.send(0x64, header: [1]).data == [7])
        #expect(reader.authenticate(0xAA, keyNumber: 1, key: .zeroAES) == 0xAE)
        #expect(reader.authenticate(0xAA, keyNumber: 1, key: key1) == 0x00)
        #expect(reader.changeKey(2, to: key2, oldKey: .zeroAES).status == 0xAE)   // key 1 may not
        reader.aes(0)
        #expect(reader.changeKey(9, to: key2, oldKey: .zeroAES).status == 0x40)
        // 0xEF: each key changes itself; the master key still changes itself.
        reader.aes(0)
        #expect(reader.send(0x54, data: [0xEF], mode: .enciphered).ok)
        reader.aes(0)
        #expect(reader.changeKey(2, to: key2, oldKey: .zeroAES).status == 0xAE)
        reader.aes(2)
        let own = reader.changeKey(2, to: key2, version: 3)
        #expect(own.ok && own.data.isEmpty)                                        // no CMAC: session gone
        #expect(!card.isAuthenticated)
        #expect(reader.authenticate(0xAA, keyNumber: 2, key: key2) == 0x00)
        // 0xFF: other keys frozen.
        reader.aes(0)
        #expect(reader.send(0x54, data: [0xFF], mode: .enciphered).ok)
        reader.aes(0)
        #expect(reader.changeKey(3, to: key2, oldKey: .zeroAES).status == 0x9D)
        // Master key not changeable (bit 0 clear).
        reader.aes(0)
        #expect(reader.send(0x54, data: [0xFE], mode: .enciphered).ok)
        reader.aes(0)
        #expect(reader.changeKey(0, to: key2).status == 0x9D)
    }

    @Test func changeKeyWithABadChecksumIsAnIntegrityErrorAndEndsTheSession() {
        let (card, reader) = Fixture.make()
        // Claim the wrong old key: the CRC of the new key no longer matches after the XOR.
        let key1 = HostKey.aes((0..<16).map { UInt8(0x10 + $0) })
        #expect(reader.changeKey(1, to: key1, oldKey: key1).status == 0x1E)
        #expect(!card.isAuthenticated)
        #expect(card.image.applications[0].keys[1] == .zero(.aes))
    }

    @Test func legacyDESApplicationKeysAndParityVersions() {
        let card = makeCard()
        let reader = TestReader(card: card)
        #expect(reader.exchange(0xCA, [0x01, 0x00, 0x00, 0x0F, 0x03]).status == 0x00)
        _ = reader.select(0x000001)
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        // libfreefare's "App.B Master Key": a 3DES key whose parity bits spell version 0x83.
        let appKey = HostKey.des(Array("App.B Master Key".utf8))
        #expect(reader.changeKey(1, to: appKey, oldKey: .zeroDES).ok)                // legacy, other key
        #expect(reader.exchange(0x64, [0x01]) == ([0x83], 0x00))
        #expect(reader.authenticate(0x0A, keyNumber: 1, key: appKey) == 0x00)
        #expect(reader.authenticate(0x1A, keyNumber: 1, key: appKey) == 0x00)
        #expect(reader.authenticate(0xAA, keyNumber: 1, key: .zeroAES) == 0xAE)
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.changeKey(0, to: appKey).ok)                                    // legacy, same key
        #expect(!card.isAuthenticated)
        #expect(reader.authenticate(0x0A, keyNumber: 0, key: appKey) == 0x00)
    }

    @Test func getCardUIDIsEncipheredAndNeedsAuthentication() {
        let (card, reader) = Fixture.make()
        #expect(reader.send(0x51, responseMode: .enciphered, responseLength: 7).data == card.image.uid)
        reader.session = nil
        _ = reader.select(0)
        #expect(reader.exchange(0x51, []).status == 0xAE)
        reader.authenticate(0xAA, keyNumber: 0, key: .zeroAES)
        let reply = reader.send(0x51, responseMode: .enciphered, responseLength: 7)
        #expect(reply.ok && reply.data == card.image.uid)
        // Legacy session: CRC16 inside, zero IV.
        let legacy = makeCard()
        let legacyReader = TestReader(card: legacy)
        legacyReader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        let legacyReply = legacyReader.send(0x51, responseMode: .enciphered, responseLength: 7)
        #expect(legacyReply.ok && legacyReply.data == legacy.image.uid)
    }
}
