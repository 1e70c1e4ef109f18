/// Builders for the EV1 commands this client speaks. Each validates its arguments (throwing
/// ``DESFireError/Code/invalidArgument``) and says what its answer may look like, so the
/// session can refuse anything else.
///
/// `mode` is the communication mode the file actually uses for this access: the file's own
/// setting, except that an access right granted to everyone (`.free`) makes it plain.
extension DESFireCommand {
    /// The most applications an EV1 card holds.
    public static let maxApplications = 28
    /// The most files an EV1 application holds.
    public static let maxFiles = 32

    // MARK: Card level

    /// GetVersion (0x60): three frames, 28 bytes. Parse with ``VersionInfo/init(bytes:)``.
    public static var getVersion: DESFireCommand {
        var command = DESFireCommand(.getVersion, response: .exactly(VersionInfo.byteCount))
        command.maxResponseFrames = 3
        return command
    }

    /// FormatPICC (0xFC): deletes every application (needs the PICC master key).
    public static var formatPICC: DESFireCommand { DESFireCommand(.formatPICC) }

    /// FreeMemory (0x6E): 3 bytes, the free EEPROM in bytes.
    public static var freeMemory: DESFireCommand { DESFireCommand(.freeMemory, response: .exactly(3)) }

    /// GetCardUID (0x51): the real 7-byte UID, enciphered (needs authentication).
    public static var getCardUID: DESFireCommand {
        DESFireCommand(.getCardUID, responseMode: .enciphered, response: .exactly(7))
    }

    // MARK: Applications

    /// CreateApplication (0xCA) with `keyCount` keys (1 to 14) of one family.
    public static func createApplication(_ application: ApplicationID, settings: KeySettings, keyCount: Int, family: KeyFamily) throws(DESFireError) -> DESFireCommand {
        guard application != .picc else {
            throw DESFireError(.invalidArgument, "application 0x000000 is the PICC level and cannot be created")
        }
        let configuration = try KeyConfiguration(settings: settings, keyCount: keyCount, family: family).bytes()
        return DESFireCommand(.createApplication, header: application.wireBytes + configuration)
    }

    /// DeleteApplication (0xDA).
    public static func deleteApplication(_ application: ApplicationID) throws(DESFireError) -> DESFireCommand {
        guard application != .picc else {
            throw DESFireError(.invalidArgument, "the PICC level cannot be deleted")
        }
        return DESFireCommand(.deleteApplication, header: application.wireBytes)
    }

    /// SelectApplication (0x5A): ends any authentication.
    public static func selectApplication(_ application: ApplicationID) -> DESFireCommand {
        var command = DESFireCommand(.selectApplication, header: application.wireBytes)
        command.effect = .selectsApplication(application)
        return command
    }

    /// GetApplicationIDs (0x6A): 3 bytes per application, up to 28.
    public static var getApplicationIDs: DESFireCommand {
        DESFireCommand(.getApplicationIDs, response: .multiple(of: 3, upTo: 3 * maxApplications))
    }

    // MARK: Keys

    /// GetKeySettings (0x45): 2 bytes. Parse with ``KeyConfiguration/init(bytes:)``.
    public static var getKeySettings: DESFireCommand { DESFireCommand(.getKeySettings, response: .exactly(2)) }

    /// ChangeKeySettings (0x54): always enciphered (needs the master key).
    public static func changeKeySettings(_ settings: KeySettings) throws(DESFireError) -> DESFireCommand {
        DESFireCommand(.changeKeySettings, data: [try settings.byte()], requestMode: .enciphered, responseMode: .plain)
    }

    /// GetKeyVersion (0x64): 1 byte.
    public static func getKeyVersion(keyNumber: UInt8) throws(DESFireError) -> DESFireCommand {
        try require(Int(keyNumber), in: 0...13, "the key number")
        return DESFireCommand(.getKeyVersion, header: [keyNumber], response: .exactly(1))
    }

    // MARK: Files

    /// GetFileIDs (0x6F): one byte per file.
    public static var getFileIDs: DESFireCommand { DESFireCommand(.getFileIDs, response: .upTo(maxFiles)) }

    /// GetFileSettings (0xF5). Parse with ``FileSettings/init(bytes:)``.
    public static func getFileSettings(_ file: FileNumber) -> DESFireCommand {
        DESFireCommand(.getFileSettings, header: [file.rawValue], response: .upTo(17))
    }

    /// ChangeFileSettings (0x5F): new communication mode and access rights. `requestMode` is
    /// enciphered when the file's change right is a key, plain when it is free.
    public static func changeFileSettings(_ file: FileNumber, communicationMode: CommunicationMode, accessRights: AccessRights, requestMode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        guard requestMode != .maced else {
            throw DESFireError(.invalidArgument, "ChangeFileSettings travels enciphered or plain")
        }
        return DESFireCommand(.changeFileSettings, header: [file.rawValue], data: [communicationMode.rawValue] + (try accessRights.bytes()), requestMode: requestMode)
    }

    /// CreateStdDataFile (0xCD) of `size` bytes.
    public static func createStandardDataFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, size: Int) throws(DESFireError) -> DESFireCommand {
        try createFile(.createStandardDataFile, file, FileSettings(kind: .standardData(size: size), communicationMode: mode, accessRights: access))
    }

    /// CreateBackupDataFile (0xCB) of `size` bytes (writes take effect at CommitTransaction).
    public static func createBackupDataFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, size: Int) throws(DESFireError) -> DESFireCommand {
        try createFile(.createBackupDataFile, file, FileSettings(kind: .backupData(size: size), communicationMode: mode, accessRights: access))
    }

    /// CreateValueFile (0xCC); `settings.limitedCreditValue` is the initial value.
    public static func createValueFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, settings: ValueFileSettings) throws(DESFireError) -> DESFireCommand {
        guard settings.lowerLimit <= settings.limitedCreditValue, settings.limitedCreditValue <= settings.upperLimit else {
            throw DESFireError(.invalidArgument, "a value file's initial value lies between its limits")
        }
        return try createFile(.createValueFile, file, FileSettings(kind: .value(settings), communicationMode: mode, accessRights: access))
    }

    /// CreateLinearRecordFile (0xC1).
    public static func createLinearRecordFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, recordSize: Int, maxRecords: Int) throws(DESFireError) -> DESFireCommand {
        try require(recordSize, in: 1...0xFF_FFFF, "the record size")
        try require(maxRecords, in: 1...0xFF_FFFF, "the number of records")
        return try createFile(.createLinearRecordFile, file, FileSettings(kind: .linearRecord(RecordFileSettings(recordSize: recordSize, maxRecords: maxRecords)), communicationMode: mode, accessRights: access))
    }

    /// CreateCyclicRecordFile (0xC0); one record is kept free by the card, so `maxRecords` is
    /// at least 2.
    public static func createCyclicRecordFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, recordSize: Int, maxRecords: Int) throws(DESFireError) -> DESFireCommand {
        try require(recordSize, in: 1...0xFF_FFFF, "the record size")
        try require(maxRecords, in: 2...0xFF_FFFF, "the number of records")
        return try createFile(.createCyclicRecordFile, file, FileSettings(kind: .cyclicRecord(RecordFileSettings(recordSize: recordSize, maxRecords: maxRecords)), communicationMode: mode, accessRights: access))
    }

    private static func createFile(_ instruction: InstructionCode, _ file: FileNumber, _ settings: FileSettings) throws(DESFireError) -> DESFireCommand {
        var bytes = try settings.bytes()
        bytes.removeFirst()  // the file type is the command itself
        if case .linearRecord = settings.kind { bytes.removeLast(3) }  // no current-record count at creation
        if case .cyclicRecord = settings.kind { bytes.removeLast(3) }
        return DESFireCommand(instruction, header: [file.rawValue] + bytes)
    }

    /// DeleteFile (0xDF).
    public static func deleteFile(_ file: FileNumber) -> DESFireCommand {
        DESFireCommand(.deleteFile, header: [file.rawValue])
    }

    // MARK: Data files

    /// ReadData (0xBD) of `length` bytes (1 to 0xFFFFFF) from `offset`.
    public static func readData(file: FileNumber, offset: Int, length: Int, mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try require(offset, in: 0...0xFF_FFFF, "the offset")
        try require(length, in: 1...0xFF_FFFF, "the length")
        return DESFireCommand(.readData, header: [file.rawValue] + uint24Bytes(offset) + uint24Bytes(length), responseMode: mode, response: .exactly(length))
    }

    /// WriteData (0x3D) of `data` (1 to 0xFFFFFF bytes) at `offset`.
    public static func writeData(file: FileNumber, offset: Int, data: [UInt8], mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try require(offset, in: 0...0xFF_FFFF, "the offset")
        try require(data.count, in: 1...0xFF_FFFF, "the data length")
        return DESFireCommand(.writeData, header: [file.rawValue] + uint24Bytes(offset) + uint24Bytes(data.count), data: data, requestMode: mode)
    }

    // MARK: Value files

    /// GetValue (0x6C): the 32-bit signed value.
    public static func getValue(file: FileNumber, mode: CommunicationMode) -> DESFireCommand {
        DESFireCommand(.getValue, header: [file.rawValue], responseMode: mode, response: .exactly(4))
    }

    /// Credit (0x0C) by `amount` (0 or more), effective at CommitTransaction.
    public static func credit(file: FileNumber, amount: Int32, mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try valueOperation(.credit, file, amount, mode)
    }

    /// Debit (0xDC) by `amount` (0 or more), effective at CommitTransaction.
    public static func debit(file: FileNumber, amount: Int32, mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try valueOperation(.debit, file, amount, mode)
    }

    /// LimitedCredit (0x1C) by `amount` (0 or more), at most what the last debits took.
    public static func limitedCredit(file: FileNumber, amount: Int32, mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try valueOperation(.limitedCredit, file, amount, mode)
    }

    private static func valueOperation(_ instruction: InstructionCode, _ file: FileNumber, _ amount: Int32, _ mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        guard amount >= 0 else {
            throw DESFireError(.invalidArgument, "\(instruction) takes an amount of 0 or more, not \(amount)")
        }
        return DESFireCommand(instruction, header: [file.rawValue], data: int32Bytes(amount), requestMode: mode)
    }

    // MARK: Record files

    /// WriteRecord (0x3B): `data` into the record being built, at `offset` inside the record.
    public static func writeRecord(file: FileNumber, offset: Int = 0, data: [UInt8], mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try require(offset, in: 0...0xFF_FFFF, "the offset")
        try require(data.count, in: 1...0xFF_FFFF, "the data length")
        return DESFireCommand(.writeRecord, header: [file.rawValue] + uint24Bytes(offset) + uint24Bytes(data.count), data: data, requestMode: mode)
    }

    /// ReadRecords (0xBB): `count` records (1 or more) of `recordSize` bytes, starting `offset`
    /// records back from the newest (0 is the newest), returned oldest first.
    public static func readRecords(file: FileNumber, offset: Int = 0, count: Int, recordSize: Int, mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try require(offset, in: 0...0xFF_FFFF, "the record offset")
        try require(count, in: 1...0xFF_FFFF, "the number of records")
        try require(recordSize, in: 1...0xFF_FFFF, "the record size")
        try require(count * recordSize, in: 1...0xFF_FFFF, "the bytes to read")
        return DESFireCommand(.readRecords, header: [file.rawValue] + uint24Bytes(offset) + uint24Bytes(count), responseMode: mode, response: .exactly(count * recordSize))
    }

    /// ReadRecords (0xBB) of every record (count 0): as many as the file holds, at most
    /// `maxRecords` of `recordSize` bytes.
    public static func readAllRecords(file: FileNumber, recordSize: Int, maxRecords: Int, mode: CommunicationMode) throws(DESFireError) -> DESFireCommand {
        try require(recordSize, in: 1...0xFF_FFFF, "the record size")
        try require(maxRecords, in: 1...0xFF_FFFF, "the number of records")
        try require(recordSize * maxRecords, in: 1...0xFF_FFFF, "the bytes to read")
        return DESFireCommand(.readRecords, header: [file.rawValue] + uint24Bytes(0) + uint24Bytes(0), responseMode: mode, response: .multiple(of: recordSize, upTo: recordSize * maxRecords))
    }

    /// ClearRecordFile (0xEB), effective at CommitTransaction.
    public static func clearRecordFile(_ file: FileNumber) -> DESFireCommand {
        DESFireCommand(.clearRecordFile, header: [file.rawValue])
    }

    // MARK: Transactions

    /// CommitTransaction (0xC7): makes every change to backup, value and record files of the
    /// selected application take effect at once.
    public static var commitTransaction: DESFireCommand { DESFireCommand(.commitTransaction) }

    /// AbortTransaction (0xA7): drops every pending change.
    public static var abortTransaction: DESFireCommand { DESFireCommand(.abortTransaction) }
}
