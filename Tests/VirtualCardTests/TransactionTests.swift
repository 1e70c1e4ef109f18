import Testing
@testable import VirtualCard

/// Uncommitted backup, value and record changes roll back on every event a real card rolls
/// back on, and are invisible until CommitTransaction.
@Suite struct TransactionTests {
    enum Interruption: String, CaseIterable, CustomTestStringConvertible {
        case abortTransaction, leaveField, powerOff, reset, selectApplication, authenticate, error

        var testDescription: String { rawValue }
    }

    /// Writes a backup file, debits the value file and writes a cyclic record, all uncommitted.
    static func writePending(_ reader: TestReader) {
        reader.aes(3)
        Fixture.expectOK(reader.writeData(Fixture.backupMACed, [0xB1, 0xB2], mode: .maced))
        Fixture.expectOK(reader.value(0xDC, Fixture.valueEnciphered, 10, mode: .enciphered))
        Fixture.expectOK(reader.send(0x3B, header: [Fixture.cyclicPlain] + le(0, 3) + le(1, 3), data: [0xC1]))
    }

    /// The committed state as the reader sees it: backup bytes 0–1, value, record count.
    static func visibleState(_ reader: TestReader) -> ([UInt8], Int32, [UInt8]) {
        reader.session = nil
        _ = reader.select(Fixture.aid)
        reader.aes(3)
        let backup = reader.readData(Fixture.backupMACed, length: 2, mode: .maced, expect: 2).data
        let value = reader.getValue(Fixture.valueEnciphered, mode: .enciphered).data.int32
        let records = Array(reader.send(0xF5, header: [Fixture.cyclicPlain]).data.suffix(3))
        return (backup, value, records)
    }

    @Test func pendingChangesAreInvisibleUntilCommit() {
        let (card, reader) = Fixture.make()
        Self.writePending(reader)
        #expect(card.hasPendingTransaction)
        #expect(reader.readData(Fixture.backupMACed, length: 2, mode: .maced, expect: 2).data == [0, 0])
        #expect(reader.getValue(Fixture.valueEnciphered, mode: .enciphered).data.int32 == 100)
        #expect(reader.send(0xBB, header: [Fixture.cyclicPlain] + le(0, 3) + le(0, 3)).status == 0xBE)
        // That error aborted everything, so write again and commit.
        Self.writePending(reader)
        #expect(reader.commit().ok)
        #expect(!card.hasPendingTransaction)
        let (backup, value, records) = Self.visibleState(reader)
        #expect(backup == [0xB1, 0xB2] && value == 90 && records == le(1, 3))
    }

    @Test(arguments: Interruption.allCases)
    func interruptionRollsBack(_ interruption: Interruption) {
        let (card, reader) = Fixture.make()
        Self.writePending(reader)
        switch interruption {
        case .abortTransaction:
            #expect(reader.abort().ok)
        case .leaveField:
            card.leaveField()
        case .powerOff:
            card.powerOff()
            card.powerOn()
        case .reset:
            card.reset()
        case .selectApplication:
            #expect(reader.select(0) == 0x00)
        case .authenticate:
            reader.aes(3)
        case .error:
            #expect(reader.readData(0x1D, mode: .plain, expect: 0).status == 0xF0)
        }
        #expect(!card.hasPendingTransaction)
        let (backup, value, records) = Self.visibleState(reader)
        #expect(backup == [0, 0] && value == 100 && records == le(0, 3))
        reader.aes(3)
        #expect(reader.commit().status == 0x0C)
    }

    /// libfreefare's test suite, run against real cards, commits records written before a later
    /// authentication; the option reproduces that behaviour.
    @Test func authenticationMayKeepTheTransactionWhenConfigured() {
        let (card, reader) = Fixture.make(options: .init(authenticationAbortsTransaction: false))
        Self.writePending(reader)
        reader.aes(1)
        #expect(card.hasPendingTransaction)
        #expect(reader.commit().ok)
        reader.aes(1)
        #expect(reader.getValue(Fixture.valueEnciphered, mode: .enciphered).data.int32 == 90)
    }

    @Test func standardFilesNeedNoCommit() {
        let (card, reader) = Fixture.make()
        reader.aes(2)
        #expect(reader.writeData(Fixture.standardPlain, [1, 2, 3], mode: .plain).ok)
        #expect(!card.hasPendingTransaction)
        #expect(reader.commit().status == 0x0C)
        card.leaveField()
        _ = reader.select(Fixture.aid)
        reader.aes(1)
        #expect(reader.readData(Fixture.standardPlain, length: 3, mode: .plain, expect: 3).data == [1, 2, 3])
    }
}
