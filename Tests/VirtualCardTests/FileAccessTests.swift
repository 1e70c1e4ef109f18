import Testing
@testable import VirtualCard

/// Access rights, the three communication modes under both secure-messaging schemes, chaining
/// in both directions, value and record file rules.
@Suite struct FileAccessTests {
    @Test func accessRightsDecideWhoAndHow() {
        let (_, reader) = Fixture.make()
        reader.session = nil
        _ = reader.select(Fixture.aid)
        #expect(reader.exchange(0xBD, [Fixture.standardPlain, 0, 0, 0, 4, 0, 0]).status == 0xAE)   // key 1 needed
        #expect(reader.exchange(0xBD, [Fixture.never, 0, 0, 0, 4, 0, 0]).status == 0x9D)           // never
        // Free read is plain even though the file is enciphered.
        #expect(reader.exchange(0xBD, [Fixture.freeRead, 0, 0, 0, 0, 0, 0]) == ([UInt8](repeating: 0, count: 8), 0x00))
        // Authenticated with another key: still plain (and CMACed in an AES session).
        reader.aes(4)
        let free = reader.readData(Fixture.freeRead, mode: .plain, expect: 8)
        #expect(free.ok && free.data == [UInt8](repeating: 0, count: 8))
        #expect(reader.readData(Fixture.standardPlain, length: 4, mode: .plain, expect: 4).status == 0xAE)
        // With the read&write key the file's own mode applies: enciphered.
        reader.aes(3)
        let own = reader.readData(Fixture.freeRead, mode: .enciphered, expect: 8)
        #expect(own.ok && own.data == [UInt8](repeating: 0, count: 8))
        // The write key may write but not read; the read key may read but not write.
        reader.aes(2)
        #expect(reader.writeData(Fixture.standardPlain, [1, 2, 3], mode: .plain).ok)
        #expect(reader.readData(Fixture.standardPlain, length: 3, mode: .plain, expect: 3).status == 0xAE)
        reader.aes(1)
        #expect(reader.readData(Fixture.standardPlain, length: 3, mode: .plain, expect: 3).data == [1, 2, 3])
        #expect(reader.writeData(Fixture.standardPlain, [9], mode: .plain).status == 0xAE)
        reader.aes(1)
        #expect(reader.writeData(Fixture.never, [9], mode: .plain).status == 0x9D)
    }

    @Test func readDataBoundaries() {
        let (_, reader) = Fixture.make()
        reader.aes(1)
        #expect(reader.readData(Fixture.standardPlain, offset: 60, length: 5, mode: .plain, expect: 5).status == 0xBE)
        reader.aes(1)
        #expect(reader.readData(Fixture.standardPlain, offset: 64, mode: .plain, expect: 0).status == 0xBE)
        reader.aes(1)
        #expect(reader.readData(Fixture.standardPlain, offset: 60, mode: .plain, expect: 4).data.count == 4)
        #expect(reader.readData(0x1E, mode: .plain, expect: 0).status == 0xF0)
        reader.aes(1)
        #expect(reader.readData(Fixture.valueEnciphered, mode: .plain, expect: 0).status == 0x9E)    // not a data file
        reader.aes(2)
        #expect(reader.writeData(Fixture.standardPlain, offset: 63, [1, 2], mode: .plain).status == 0xBE)
    }

    /// 100 bytes enciphered: the write takes three frames (7 + 112 bytes), the read two.
    @Test func encipheredDataChainsBothWays() {
        let (card, reader) = Fixture.make()
        let data = (0..<100).map { UInt8($0 ^ 0x5A) }
        reader.aes(2)
        #expect(reader.writeData(Fixture.standardEnciphered, data, mode: .enciphered).ok)
        let frames = reader.log.suffix(2).map(\.command)
        #expect(frames.allSatisfy { $0[1] == 0xAF })
        reader.aes(1)
        let read = reader.readData(Fixture.standardEnciphered, mode: .enciphered, expect: 100)
        #expect(read.ok && read.data == data)
        #expect(reader.log.last?.command[1] == 0xAF)
        // A corrupted cryptogram fails its CRC: integrity error, session gone.
        reader.aes(2)
        let body = [Fixture.standardEnciphered, 0, 0, 0, 4, 0, 0] + [UInt8](repeating: 0x33, count: 16)
        #expect(reader.exchange(0x3D, body).status == 0x1E)
        #expect(!card.isAuthenticated)
    }

    @Test func macedWritesAreCheckedAndMACedReadsVerify() {
        let (card, reader) = Fixture.make()
        reader.aes(2)
        #expect(reader.writeData(Fixture.backupMACed, offset: 2, [7, 8, 9], mode: .maced).ok)
        #expect(reader.commit().ok)
        reader.aes(1)
        let read = reader.readData(Fixture.backupMACed, length: 6, mode: .maced, expect: 6)
        #expect(read.ok && read.data == [0, 0, 7, 8, 9, 0])
        // A wrong CMAC is an integrity error.
        reader.aes(2)
        let tampered = [Fixture.backupMACed, 0, 0, 0, 1, 0, 0, 0x42] + [UInt8](repeating: 0, count: 8)
        #expect(reader.exchange(0x3D, tampered).status == 0x1E)
        #expect(!card.isAuthenticated)
    }

    /// Legacy (0x0A) secure messaging: 4-byte DES MAC over the data, CRC16 inside enciphered
    /// data, zero IV each time, plain responses unchanged.
    @Test func legacySecureMessagingOnAThreeDESApplication() {
        let card = makeCard()
        let reader = TestReader(card: card)
        #expect(reader.exchange(0xCA, [0x07, 0x00, 0x00, 0x0F, 0x03]).status == 0x00)
        _ = reader.select(0x000007)
        let key1 = HostKey.des((0..<16).map { UInt8($0 * 3 + 1) })
        reader.authenticate(0x0A, keyNumber: 0, key: .zeroDES)
        #expect(reader.changeKey(1, to: key1, oldKey: .zeroDES).ok)
        #expect(reader.send(0xCD, data: [1, 0x01, 0x11, 0x11] + le(40, 3)).ok)     // MACed, key 1 for all
        #expect(reader.send(0xCD, data: [2, 0x03, 0x11, 0x11] + le(40, 3)).ok)     // enciphered
        #expect(reader.send(0xCC, data: [3, 0x03, 0x11, 0x11] + le(-50, 4) + le(50, 4) + le(0, 4) + [0]).ok)
        #expect(reader.authenticate(0x0A, keyNumber: 1, key: key1) == 0x00)
        let data = (0..<40).map { UInt8($0 + 100) }
        #expect(reader.writeData(1, data, mode: .maced).ok)
        #expect(reader.writeData(2, data, mode: .enciphered).ok)
        #expect(reader.readData(1, mode: .maced, expect: 40).data == data)
        let enciphered = reader.readData(2, mode: .enciphered, expect: 40)
        #expect(enciphered.ok && enciphered.data == data)
        #expect(reader.value(0xDC, 3, 20, mode: .enciphered).ok)
        #expect(reader.commit().ok)
        let value = reader.getValue(3, mode: .enciphered)
        #expect(value.ok && value.data.int32 == -20)
        // A wrong legacy MAC: integrity error.
        #expect(reader.exchange(0x3D, [1, 0, 0, 0, 1, 0, 0, 0x55, 1, 2, 3, 4]).status == 0x1E)
    }

    @Test func valueFileRules() {
        let (card, reader) = Fixture.make()
        reader.aes(1)
        #expect(reader.getValue(Fixture.valueEnciphered, mode: .enciphered).data.int32 == 100)
        #expect(reader.value(0x0C, Fixture.valueEnciphered, 5, mode: .enciphered).status == 0xAE)   // credit: RW only
        reader.aes(1)
        #expect(reader.value(0xDC, Fixture.valueEnciphered, 101, mode: .enciphered).status == 0xBE) // below lower
        reader.aes(1)
        #expect(reader.value(0xDC, Fixture.valueEnciphered, 60, mode: .enciphered).ok)
        #expect(reader.value(0xDC, Fixture.valueEnciphered, 40, mode: .enciphered).ok)
        #expect(reader.value(0xDC, Fixture.valueEnciphered, 1, mode: .enciphered).status == 0xBE)   // pending value 0
        // The boundary error aborted the transaction: nothing to commit.
        reader.aes(1)
        #expect(reader.commit().status == 0x0C)
        reader.aes(3)
        #expect(reader.value(0xDC, Fixture.valueEnciphered, 30, mode: .enciphered).ok)
        #expect(reader.value(0x0C, Fixture.valueEnciphered, 930, mode: .enciphered).ok)
        #expect(reader.value(0x0C, Fixture.valueEnciphered, 1, mode: .enciphered).status == 0xBE)   // above upper
        reader.aes(3)
        #expect(reader.value(0x0C, Fixture.valueEnciphered, -1, mode: .enciphered).status == 0x9E)
        reader.aes(3)
        #expect(reader.value(0xDC, Fixture.valueEnciphered, 30, mode: .enciphered).ok)
        #expect(reader.commit().ok)
        #expect(reader.getValue(Fixture.valueEnciphered, mode: .enciphered).data.int32 == 70)
        // LimitedCredit: with the write key, up to the debits of the last committed transaction.
        reader.aes(2)
        #expect(reader.value(0x1C, Fixture.valueEnciphered, 31, mode: .enciphered).status == 0xBE)
        reader.aes(2)
        #expect(reader.value(0x1C, Fixture.valueEnciphered, 30, mode: .enciphered).ok)
        #expect(reader.commit().ok)
        #expect(reader.send(0xF5, header: [Fixture.valueEnciphered]).data.suffix(5) == le(0, 4) + [0x01])
        reader.aes(2)
        #expect(reader.value(0x1C, Fixture.valueEnciphered, 1, mode: .enciphered).status == 0xBE)
        guard case .value(let state) = card.image.applications[0].files[2].content else {
            Issue.record("file 3 is not a value file")
            return
        }
        #expect(state.value == 100 && state.limitedCreditValue == 0)
    }

    @Test func limitedCreditMustBeEnabled() {
        let (_, reader) = Fixture.make()
        #expect(reader.send(0xCC, data: [0x12, 0x00, 0x30, 0x12] + le(0, 4) + le(100, 4) + le(50, 4) + [0x00]).ok)
        reader.aes(3)
        #expect(reader.value(0xDC, 0x12, 10, mode: .plain).ok)
        #expect(reader.commit().ok)
        reader.aes(3)
        #expect(reader.value(0x1C, 0x12, 10, mode: .plain).status == 0x9D)
    }

    @Test func recordFileRules() {
        let (card, reader) = Fixture.make()
        reader.aes(3)
        #expect(reader.send(0xBB, header: [Fixture.cyclicPlain] + le(0, 3) + le(0, 3)).status == 0xBE)   // empty
        for round in 1...5 {
            reader.aes(3)
            #expect(reader.send(0x3B, header: [Fixture.cyclicPlain] + le(0, 3) + le(2, 3), data: [UInt8(round), 0xAA]).ok)
            #expect(reader.send(0x3B, header: [Fixture.cyclicPlain] + le(15, 3) + le(1, 3), data: [UInt8(round)]).ok)
            #expect(reader.commit().ok)
        }
        // Four records allocated, three kept (one is the spare); oldest first.
        #expect(reader.send(0xF5, header: [Fixture.cyclicPlain]).data.suffix(3) == le(3, 3))
        let all = reader.send(0xBB, header: [Fixture.cyclicPlain] + le(0, 3) + le(0, 3))
        #expect(all.data.count == 48)
        #expect([all.data[0], all.data[16], all.data[32]] == [3, 4, 5])
        #expect(all.data[15] == 3 && all.data[1] == 0xAA && all.data[2] == 0)
        #expect(reader.send(0xBB, header: [Fixture.cyclicPlain] + le(2, 3) + le(1, 3)).data.first == 3)
        #expect(reader.send(0xBB, header: [Fixture.cyclicPlain] + le(1, 3) + le(3, 3)).status == 0xBE)
        // Linear file: full after two records.
        reader.aes(2)
        for _ in 0..<2 {
            #expect(reader.send(0x3B, header: [Fixture.linearPlain] + le(0, 3) + le(8, 3), data: [UInt8](repeating: 1, count: 8)).ok)
            #expect(reader.commit().ok)
        }
        #expect(reader.send(0x3B, header: [Fixture.linearPlain] + le(0, 3) + le(1, 3), data: [1]).status == 0xBE)
        reader.aes(2)
        #expect(reader.send(0x3B, header: [Fixture.linearPlain] + le(8, 3) + le(1, 3), data: [1]).status == 0xBE)
        // Clearing needs the read&write key, and no record may be written after it in the same transaction.
        reader.aes(2)
        #expect(reader.send(0xEB, header: [Fixture.linearPlain]).status == 0xAE)
        reader.aes(3)
        #expect(reader.send(0xEB, header: [Fixture.linearPlain]).ok)
        #expect(reader.send(0x3B, header: [Fixture.linearPlain] + le(0, 3) + le(1, 3), data: [1]).status == 0x9D)
        reader.aes(3)
        #expect(reader.commit().status == 0x0C)     // the error aborted the clear
        reader.aes(3)                               // and, being an error, ended the EV1 session
        #expect(reader.send(0xEB, header: [Fixture.linearPlain]).ok)
        #expect(reader.commit().ok)
        guard case .linearRecord(let state) = card.image.applications[0].files[6].content else {
            Issue.record("file 7 is not a linear record file")
            return
        }
        #expect(state.records.isEmpty)
    }

    @Test func interruptedChainsAreAborted() {
        let (_, reader) = Fixture.make()
        reader.aes(1)
        #expect(reader.frame(0x6A, []).status == 0x9D)                       // not at PICC level
        reader.aes(1)
        // A 100-byte read sends two frames; a new command in between aborts it.
        let first = reader.frame(0xBD, [Fixture.standardEnciphered, 0, 0, 0, 0, 0, 0])
        #expect(first.status == 0xAF)
        #expect(reader.frame(0x6F, []).status == 0xCA)
        #expect(reader.frame(0xAF, []).status == 0x1C)
    }
}
