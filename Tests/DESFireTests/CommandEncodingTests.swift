import SmartCard
import Testing
@testable import DESFire

private let keys1230 = AccessRights(read: .key(1), write: .key(2), readWrite: .key(3), change: .key(0))

/// Every builder's native bytes, written out from the EV1 command formats (all multi-byte
/// fields least significant byte first).
private let encodings: [(String, DESFireCommand, String)] = {
    func build(_ make: () throws -> DESFireCommand) -> DESFireCommand {
        do { return try make() } catch { preconditionFailure("a test command failed to build: \(error)") }
    }
    return [
        ("GetVersion", .getVersion, "60"),
        ("FormatPICC", .formatPICC, "FC"),
        ("FreeMemory", .freeMemory, "6E"),
        ("CreateApplication", build { try .createApplication(0x123456, settings: KeySettings(byte: 0x0B), keyCount: 3, family: .aes) }, "CA5634120B83"),
        ("CreateApplication 3K3DES", build { try .createApplication(0x00DE24, settings: .factoryDefault, keyCount: 14, family: .tripleDES3K) }, "CA24DE000F4E"),
        ("DeleteApplication", build { try .deleteApplication(0x123456) }, "DA563412"),
        ("SelectApplication", .selectApplication(0x123456), "5A563412"),
        ("GetApplicationIDs", .getApplicationIDs, "6A"),
        ("GetKeySettings", .getKeySettings, "45"),
        ("GetKeyVersion", build { try .getKeyVersion(keyNumber: 2) }, "6402"),
        ("GetFileIDs", .getFileIDs, "6F"),
        ("GetFileSettings", .getFileSettings(3), "F503"),
        ("ChangeFileSettings plain", build { try .changeFileSettings(1, communicationMode: .maced, accessRights: keys1230, requestMode: .plain) }, "5F01013012"),
        ("CreateStdDataFile", build { try .createStandardDataFile(1, mode: .plain, access: keys1230, size: 32) }, "CD01003012200000"),
        ("CreateBackupDataFile", build { try .createBackupDataFile(2, mode: .maced, access: AccessRights(read: .free, write: .free, readWrite: .free, change: .key(0)), size: 256) }, "CB0201E0EE000100"),
        ("CreateValueFile", build { try .createValueFile(3, mode: .enciphered, access: keys1230, settings: ValueFileSettings(lowerLimit: 0, upperLimit: 100_000, limitedCreditValue: 500, limitedCreditEnabled: true)) }, "CC03033012" + "00000000" + "A0860100" + "F4010000" + "01"),
        ("CreateValueFile negative limit, free GetValue", build { try .createValueFile(3, mode: .plain, access: keys1230, settings: ValueFileSettings(lowerLimit: -10, upperLimit: 10, limitedCreditValue: 0, limitedCreditEnabled: false, freeGetValue: true)) }, "CC03003012" + "F6FFFFFF" + "0A000000" + "00000000" + "02"),
        ("CreateLinearRecordFile", build { try .createLinearRecordFile(4, mode: .plain, access: keys1230, recordSize: 16, maxRecords: 10) }, "C1040030121000000A0000"),
        ("CreateCyclicRecordFile", build { try .createCyclicRecordFile(5, mode: .maced, access: keys1230, recordSize: 32, maxRecords: 11) }, "C0050130122000000B0000"),
        ("DeleteFile", .deleteFile(6), "DF06"),
        ("ReadData", build { try .readData(file: 7, offset: 0x000102, length: 0x30, mode: .plain) }, "BD07020100300000"),
        ("WriteData", build { try .writeData(file: 1, offset: 0, data: [1, 2, 3], mode: .plain) }, "3D01000000030000010203"),
        ("GetValue", .getValue(file: 3, mode: .plain), "6C03"),
        ("Credit", build { try .credit(file: 3, amount: 100, mode: .plain) }, "0C0364000000"),
        ("Debit", build { try .debit(file: 3, amount: 0x0102_0304, mode: .plain) }, "DC0304030201"),
        ("LimitedCredit", build { try .limitedCredit(file: 3, amount: 5, mode: .plain) }, "1C0305000000"),
        ("WriteRecord", build { try .writeRecord(file: 4, offset: 2, data: [0xAA, 0xBB], mode: .plain) }, "3B04020000020000AABB"),
        ("ReadRecords", build { try .readRecords(file: 4, offset: 1, count: 2, recordSize: 16, mode: .plain) }, "BB04010000020000"),
        ("ReadRecords all", build { try .readAllRecords(file: 4, recordSize: 16, maxRecords: 10, mode: .plain) }, "BB04000000000000"),
        ("ClearRecordFile", .clearRecordFile(4), "EB04"),
        ("CommitTransaction", .commitTransaction, "C7"),
        ("AbortTransaction", .abortTransaction, "A7"),
    ]
}()

@Suite("Command encoding")
struct CommandEncodingTests {
    /// The native frame of each command in an unauthenticated session, and its ISO 7816 wrapping.
    @Test(arguments: encodings)
    func nativeBytes(_ name: String, _ command: DESFireCommand, _ expected: String) throws {
        var session = DESFireSession()
        let frame = try session.prepare(command)
        #expect([frame.instruction.rawValue] + frame.body == bytes(expected), "\(name)")
        let exchange = DESFireExchange(frame)
        #expect(exchange.firstCommand.bytes == wrappedCommand(bytes(expected)), "\(name)")
        #expect(exchange.commandFrameCount == 1)
    }

    /// ISO 7816 wrapping: `90 INS 00 00 Lc data 00`, and `90 INS 00 00 00` without data.
    @Test func wrapping() throws {
        var session = DESFireSession()
        let getVersion = DESFireExchange(try session.prepare(.getVersion))
        #expect(getVersion.firstCommand.bytes == [0x90, 0x60, 0x00, 0x00, 0x00])
        _ = try session.open(DESFireResponse(status: .operationOK, data: [UInt8](repeating: 0, count: 28)))
        let select = DESFireExchange(try session.prepare(.selectApplication(0xF54230)))
        #expect(select.firstCommand.bytes == [0x90, 0x5A, 0x00, 0x00, 0x03, 0x30, 0x42, 0xF5, 0x00])
    }

    /// Arguments out of range are refused before anything is sent.
    @Test func argumentsAreValidated() {
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.readData(file: 1, offset: 0, length: 0, mode: .plain) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.readData(file: 1, offset: 0x100_0000, length: 1, mode: .plain) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.writeData(file: 1, offset: 0, data: [], mode: .plain) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.debit(file: 1, amount: -1, mode: .plain) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.getKeyVersion(keyNumber: 14) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.createApplication(.picc, settings: .factoryDefault, keyCount: 1, family: .aes) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.createApplication(1, settings: .factoryDefault, keyCount: 15, family: .aes) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.createApplication(1, settings: .factoryDefault, keyCount: 0, family: .aes) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.deleteApplication(.picc) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) {
            try DESFireCommand.createStandardDataFile(1, mode: .plain, access: AccessRights(read: .key(14), write: .free, readWrite: .free, change: .free), size: 1)
        }
        #expect(throws: DESFireError.Code.invalidArgument.expected) {
            try DESFireCommand.createValueFile(1, mode: .plain, access: keys1230, settings: ValueFileSettings(lowerLimit: 0, upperLimit: 10, limitedCreditValue: 11, limitedCreditEnabled: false))
        }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.createCyclicRecordFile(1, mode: .plain, access: keys1230, recordSize: 8, maxRecords: 1) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.readRecords(file: 1, count: 0, recordSize: 8, mode: .plain) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try DESFireCommand.changeFileSettings(1, communicationMode: .plain, accessRights: keys1230, requestMode: .maced) }
        #expect(throws: DESFireError.Code.invalidArgument.expected) { try KeySettings(changeKeyAccess: .key(0), settingsChangeable: true, freeCreateDelete: true, freeDirectoryListing: true, masterKeyChangeable: true).byte() }
    }

    /// Answers parsed by the client's methods, over a scripted card.
    @Test func answersAreParsed() async throws {
        let channel = ScriptedChannel(nativeScript([
            ("6E", "00E00F00"),
            ("6A", "00563412" + "16AE00"),
            ("6F", "00000105"),
            ("F503", "00" + "0203301200000000A0860100F401000001"),
            ("F504", "00" + "040130122000000B0000050000"),
            ("45", "000B83"),
            ("6C03", "00FEFFFFFF"),
            ("6402", "0010"),
            ("BB04010000020000", "00" + String(repeating: "AB", count: 16) + String(repeating: "CD", count: 16)),
        ]))
        var card = DESFireCard(channel: channel)
        #expect(try await card.freeMemory() == 4064)
        #expect(try await card.getApplicationIDs() == [0x123456, 0x00AE16])
        #expect(try await card.getFileIDs() == [0, 1, 5])
        let value = try await card.getFileSettings(3)
        #expect(value == FileSettings(kind: .value(ValueFileSettings(lowerLimit: 0, upperLimit: 100_000, limitedCreditValue: 500, limitedCreditEnabled: true)), communicationMode: .enciphered, accessRights: keys1230))
        let cyclic = try await card.getFileSettings(4)
        #expect(cyclic.kind == .cyclicRecord(RecordFileSettings(recordSize: 32, maxRecords: 11, currentRecords: 5)))
        #expect(cyclic.communicationMode == .maced)
        let keys = try await card.getKeySettings()
        #expect(keys == KeyConfiguration(settings: KeySettings(byte: 0x0B), keyCount: 3, family: .aes))
        #expect(try await card.getValue(file: 3, mode: .plain) == -2)
        #expect(try await card.getKeyVersion(keyNumber: 2) == 0x10)
        let records = try await card.readRecords(file: 4, offset: 1, count: 2, recordSize: 16, mode: .plain)
        #expect(records == [[UInt8](repeating: 0xAB, count: 16), [UInt8](repeating: 0xCD, count: 16)])
        #expect(card.apduCount == 9)
        #expect(await channel.remaining == 0)
    }

    /// GetVersion's three frames, parsed as the published trace's card (NXP, EV1 software 1.4,
    /// 8 KiB).
    @Test func getVersionReadsThreeFrames() async throws {
        let channel = ScriptedChannel(nativeScript([
            ("60", "AF04010101001A05"),
            ("AF", "AF04010101041A05"),
            ("AF", "0004063F72633480BA4519E3204913"),
        ]))
        var card = DESFireCard(channel: channel)
        let version = try await card.getVersion()
        #expect(version.hardware.vendorID == 0x04)
        #expect(version.software.majorVersion == 1)
        #expect(version.software.minorVersion == 4)
        #expect(version.hardware.storageBytes == 8192)
        #expect(version.uid == bytes("04063F72633480"))
        #expect(version.batchNumber == bytes("BA4519E320"))
        #expect(version.productionWeek == 0x49)
        #expect(version.productionYear == 0x13)
        #expect(card.apduCount == 3)
    }
}
