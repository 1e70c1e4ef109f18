import SmartCard

/// A DESFire EV1 card on a ``CardChannel``: one async method per command, the session's
/// secure messaging applied on the way.
///
/// Each method sends exactly the APDUs its command needs and no more: one, plus one per
/// additional frame of data in either direction (``apduCount`` counts them). Authentication is
/// two. GetVersion is three. A tap that authenticates, reads a record, debits a value file,
/// writes a record and commits is 2 + 1 + 1 + 1 + 1 = 6 APDUs.
///
/// The card is a value: keep it in a `var` for the conversation with one card, e.g. inside
/// `reader.withCard { channel in var card = DESFireCard(channel: channel) … }`.
///
/// Errors: ``DESFireError`` when the card says no or its answer does not verify; the channel's
/// `CardError` / `ReaderError` pass through unchanged. After any error the session is no
/// longer authenticated (the card has dropped the authentication too, or its state is unknown).
public struct DESFireCard<Channel: CardChannel>: Sendable {
    /// The channel to the card.
    public let channel: Channel
    /// The session state: selected application, authentication, IV.
    public private(set) var session: DESFireSession
    /// Frame sizes for chained commands.
    public var limits: DESFireFrameLimits
    /// How many APDUs this value has sent.
    public private(set) var apduCount = 0

    /// A card on `channel`, freshly activated unless `session` says otherwise.
    public init(channel: Channel, session: DESFireSession = DESFireSession(), limits: DESFireFrameLimits = .standard) {
        self.channel = channel
        self.session = session
        self.limits = limits
    }

    // MARK: Any command

    /// Sends any command through the session and returns its plain answer.
    @discardableResult
    public mutating func execute(_ command: DESFireCommand) async throws -> [UInt8] {
        let frame = try session.prepare(command)
        let response = try await exchange(frame)
        return try session.open(response)
    }

    /// Carries one native frame, with chaining both ways.
    private mutating func exchange(_ frame: PreparedFrame) async throws -> DESFireResponse {
        var exchange = DESFireExchange(frame, limits: limits)
        var command = exchange.firstCommand
        while true {
            let answer: ResponseAPDU
            let step: DESFireExchange.Step
            do {
                apduCount += 1
                answer = try await channel.transmit(command)
                step = try exchange.receive(answer)
            } catch {
                session.abandon()
                throw error
            }
            switch step {
            case .send(let next): command = next
            case .finished(let response): return response
            }
        }
    }

    // MARK: Authentication

    /// EV1 AES authentication (0xAA) with key `keyNumber` of the selected application. 2 APDUs.
    ///
    /// `generator` supplies RndA; use `SystemRandomNumberGenerator` outside tests.
    public mutating func authenticateAES(keyNumber: UInt8, key: DESFireKey, using generator: inout some RandomNumberGenerator) async throws {
        try await authenticate(.aes, keyNumber: keyNumber, key: key, using: &generator)
    }

    /// Legacy authentication (0x0A) with a DES or 2K3DES key, e.g. a blank card's PICC master
    /// key (``DESFireKey/factoryDefault``). 2 APDUs.
    public mutating func authenticateLegacy(keyNumber: UInt8, key: DESFireKey, using generator: inout some RandomNumberGenerator) async throws {
        try await authenticate(.legacy, keyNumber: keyNumber, key: key, using: &generator)
    }

    /// EV1 ISO authentication (0x1A) with a DES, 2K3DES or 3K3DES key: EV1 secure messaging
    /// (CMAC chain, CRC32) over DES blocks. 2 APDUs.
    public mutating func authenticateISO(keyNumber: UInt8, key: DESFireKey, using generator: inout some RandomNumberGenerator) async throws {
        try await authenticate(.iso, keyNumber: keyNumber, key: key, using: &generator)
    }

    private mutating func authenticate(_ scheme: DESFireSession.Scheme, keyNumber: UInt8, key: DESFireKey, using generator: inout some RandomNumberGenerator) async throws {
        let start = try session.beginAuthentication(scheme, keyNumber: keyNumber, key: key)
        let challenge = try await exchange(start)
        let answer = try session.answerChallenge(challenge, using: &generator)
        let proof = try await exchange(answer)
        try session.completeAuthentication(proof)
    }

    // MARK: Card level

    /// GetVersion: hardware, software and production data. 3 APDUs.
    public mutating func getVersion() async throws -> VersionInfo {
        try VersionInfo(bytes: try await execute(.getVersion))
    }

    /// FormatPICC: deletes every application. 1 APDU.
    public mutating func formatPICC() async throws {
        try await execute(.formatPICC)
    }

    /// FreeMemory: free EEPROM bytes. 1 APDU.
    public mutating func freeMemory() async throws -> Int {
        let bytes = try await execute(.freeMemory)
        return Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
    }

    /// GetCardUID: the real 7-byte UID, even when the card hides it behind a random ID.
    /// Needs authentication. 1 APDU.
    public mutating func getCardUID() async throws -> [UInt8] {
        try await execute(.getCardUID)
    }

    // MARK: Applications

    /// CreateApplication. 1 APDU.
    public mutating func createApplication(_ application: ApplicationID, settings: KeySettings, keyCount: Int, family: KeyFamily) async throws {
        try await execute(try .createApplication(application, settings: settings, keyCount: keyCount, family: family))
    }

    /// DeleteApplication. Refused unless the PICC level is selected (deleting the selected
    /// application would end the session in a way the answer does not say). 1 APDU.
    public mutating func deleteApplication(_ application: ApplicationID) async throws {
        guard session.selectedApplication == .picc else {
            throw DESFireError(.wrongState, "select the PICC level before deleting an application")
        }
        try await execute(try .deleteApplication(application))
    }

    /// SelectApplication; ends any authentication. 1 APDU.
    public mutating func selectApplication(_ application: ApplicationID) async throws {
        try await execute(.selectApplication(application))
    }

    /// GetApplicationIDs. 1 APDU, 2 when more than 19 applications (with a MAC) need a second frame.
    public mutating func getApplicationIDs() async throws -> [ApplicationID] {
        let bytes = try await execute(.getApplicationIDs)
        var ids: [ApplicationID] = []
        for start in stride(from: 0, to: bytes.count, by: 3) {
            ids.append(try ApplicationID(wireBytes: Array(bytes[start..<start + 3])))
        }
        return ids
    }

    // MARK: Keys

    /// ChangeKey: sets key `keyNumber` of the selected application (or the PICC master key,
    /// key 0 at the PICC level, where the new key's family is set too). `currentKey` is needed
    /// when the key is not the one the session is authenticated with. Changing the
    /// authenticated key ends the session. 1 APDU.
    public mutating func changeKey(_ keyNumber: UInt8, to newKey: DESFireKey, currentKey: DESFireKey? = nil) async throws {
        try await execute(try session.changeKey(keyNumber, to: newKey, currentKey: currentKey))
    }

    /// GetKeySettings. 1 APDU.
    public mutating func getKeySettings() async throws -> KeyConfiguration {
        try KeyConfiguration(bytes: try await execute(.getKeySettings))
    }

    /// ChangeKeySettings (needs the master key). 1 APDU.
    public mutating func changeKeySettings(_ settings: KeySettings) async throws {
        try await execute(try .changeKeySettings(settings))
    }

    /// GetKeyVersion. 1 APDU.
    public mutating func getKeyVersion(keyNumber: UInt8) async throws -> UInt8 {
        try await execute(try .getKeyVersion(keyNumber: keyNumber))[0]
    }

    // MARK: Files

    /// GetFileIDs. 1 APDU.
    public mutating func getFileIDs() async throws -> [FileNumber] {
        var files: [FileNumber] = []
        for byte in try await execute(.getFileIDs) {
            guard let file = FileNumber(rawValue: byte) else {
                throw DESFireError(.malformedResponse, "GetFileIDs listed file number \(byte)")
            }
            files.append(file)
        }
        return files
    }

    /// GetFileSettings. 1 APDU.
    public mutating func getFileSettings(_ file: FileNumber) async throws -> FileSettings {
        try FileSettings(bytes: try await execute(.getFileSettings(file)))
    }

    /// ChangeFileSettings. 1 APDU.
    public mutating func changeFileSettings(_ file: FileNumber, communicationMode: CommunicationMode, accessRights: AccessRights, requestMode: CommunicationMode) async throws {
        try await execute(try .changeFileSettings(file, communicationMode: communicationMode, accessRights: accessRights, requestMode: requestMode))
    }

    /// CreateStdDataFile. 1 APDU.
    public mutating func createStandardDataFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, size: Int) async throws {
        try await execute(try .createStandardDataFile(file, mode: mode, access: access, size: size))
    }

    /// CreateBackupDataFile. 1 APDU.
    public mutating func createBackupDataFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, size: Int) async throws {
        try await execute(try .createBackupDataFile(file, mode: mode, access: access, size: size))
    }

    /// CreateValueFile. 1 APDU.
    public mutating func createValueFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, settings: ValueFileSettings) async throws {
        try await execute(try .createValueFile(file, mode: mode, access: access, settings: settings))
    }

    /// CreateLinearRecordFile. 1 APDU.
    public mutating func createLinearRecordFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, recordSize: Int, maxRecords: Int) async throws {
        try await execute(try .createLinearRecordFile(file, mode: mode, access: access, recordSize: recordSize, maxRecords: maxRecords))
    }

    /// CreateCyclicRecordFile. 1 APDU.
    public mutating func createCyclicRecordFile(_ file: FileNumber, mode: CommunicationMode, access: AccessRights, recordSize: Int, maxRecords: Int) async throws {
        try await execute(try .createCyclicRecordFile(file, mode: mode, access: access, recordSize: recordSize, maxRecords: maxRecords))
    }

    /// DeleteFile. 1 APDU.
    public mutating func deleteFile(_ file: FileNumber) async throws {
        try await execute(.deleteFile(file))
    }

    // MARK: Data

    /// ReadData: `length` bytes from `offset`. 1 APDU, plus one per further 59-byte answer frame.
    public mutating func readData(file: FileNumber, offset: Int = 0, length: Int, mode: CommunicationMode) async throws -> [UInt8] {
        try await execute(try .readData(file: file, offset: offset, length: length, mode: mode))
    }

    /// WriteData: `data` at `offset`. 1 APDU, plus one per further command frame.
    public mutating func writeData(file: FileNumber, offset: Int = 0, data: [UInt8], mode: CommunicationMode) async throws {
        try await execute(try .writeData(file: file, offset: offset, data: data, mode: mode))
    }

    /// GetValue. 1 APDU.
    public mutating func getValue(file: FileNumber, mode: CommunicationMode) async throws -> Int32 {
        let bytes = try await execute(.getValue(file: file, mode: mode))
        return Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
    }

    /// Credit (effective at CommitTransaction). 1 APDU.
    public mutating func credit(file: FileNumber, amount: Int32, mode: CommunicationMode) async throws {
        try await execute(try .credit(file: file, amount: amount, mode: mode))
    }

    /// Debit (effective at CommitTransaction). 1 APDU.
    public mutating func debit(file: FileNumber, amount: Int32, mode: CommunicationMode) async throws {
        try await execute(try .debit(file: file, amount: amount, mode: mode))
    }

    /// LimitedCredit (effective at CommitTransaction). 1 APDU.
    public mutating func limitedCredit(file: FileNumber, amount: Int32, mode: CommunicationMode) async throws {
        try await execute(try .limitedCredit(file: file, amount: amount, mode: mode))
    }

    /// WriteRecord (effective at CommitTransaction). 1 APDU, plus one per further command frame.
    public mutating func writeRecord(file: FileNumber, offset: Int = 0, data: [UInt8], mode: CommunicationMode) async throws {
        try await execute(try .writeRecord(file: file, offset: offset, data: data, mode: mode))
    }

    /// ReadRecords: `count` records, `offset` back from the newest, oldest first, split into
    /// records. 1 APDU, plus one per further answer frame.
    public mutating func readRecords(file: FileNumber, offset: Int = 0, count: Int, recordSize: Int, mode: CommunicationMode) async throws -> [[UInt8]] {
        let bytes = try await execute(try .readRecords(file: file, offset: offset, count: count, recordSize: recordSize, mode: mode))
        return split(bytes, recordSize: recordSize)
    }

    /// ReadRecords of every record the file holds (at most `maxRecords`), oldest first.
    public mutating func readAllRecords(file: FileNumber, recordSize: Int, maxRecords: Int, mode: CommunicationMode) async throws -> [[UInt8]] {
        let bytes = try await execute(try .readAllRecords(file: file, recordSize: recordSize, maxRecords: maxRecords, mode: mode))
        return split(bytes, recordSize: recordSize)
    }

    private func split(_ bytes: [UInt8], recordSize: Int) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: recordSize).map { Array(bytes[$0..<min(bytes.count, $0 + recordSize)]) }
    }

    /// ClearRecordFile (effective at CommitTransaction). 1 APDU.
    public mutating func clearRecordFile(_ file: FileNumber) async throws {
        try await execute(.clearRecordFile(file))
    }

    /// CommitTransaction. 1 APDU.
    public mutating func commitTransaction() async throws {
        try await execute(.commitTransaction)
    }

    /// AbortTransaction. 1 APDU.
    public mutating func abortTransaction() async throws {
        try await execute(.abortTransaction)
    }
}
