import Identifiers
import SmartCard

/// A native DESFire command code (the INS byte once wrapped in an ISO 7816 APDU).
public struct InstructionCode: Hashable, Sendable, CustomStringConvertible {
    /// The command byte.
    public let rawValue: UInt8

    /// Wraps a command byte.
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// 0x0A: legacy (DES/2K3DES) authentication.
    public static let authenticateLegacy = InstructionCode(0x0A)
    /// 0x1A: EV1 ISO authentication (DES, 2K3DES, 3K3DES keys).
    public static let authenticateISO = InstructionCode(0x1A)
    /// 0xAA: EV1 AES authentication.
    public static let authenticateAES = InstructionCode(0xAA)
    /// 0xAF: additional frame (continue a chained exchange).
    public static let additionalFrame = InstructionCode(0xAF)
    /// 0x54: ChangeKeySettings.
    public static let changeKeySettings = InstructionCode(0x54)
    /// 0x45: GetKeySettings.
    public static let getKeySettings = InstructionCode(0x45)
    /// 0xC4: ChangeKey.
    public static let changeKey = InstructionCode(0xC4)
    /// 0x64: GetKeyVersion.
    public static let getKeyVersion = InstructionCode(0x64)
    /// 0xCA: CreateApplication.
    public static let createApplication = InstructionCode(0xCA)
    /// 0xDA: DeleteApplication.
    public static let deleteApplication = InstructionCode(0xDA)
    /// 0x6A: GetApplicationIDs.
    public static let getApplicationIDs = InstructionCode(0x6A)
    /// 0x6E: FreeMemory.
    public static let freeMemory = InstructionCode(0x6E)
    /// 0x5A: SelectApplication.
    public static let selectApplication = InstructionCode(0x5A)
    /// 0xFC: FormatPICC.
    public static let formatPICC = InstructionCode(0xFC)
    /// 0x60: GetVersion.
    public static let getVersion = InstructionCode(0x60)
    /// 0x51: GetCardUID.
    public static let getCardUID = InstructionCode(0x51)
    /// 0x6F: GetFileIDs.
    public static let getFileIDs = InstructionCode(0x6F)
    /// 0xF5: GetFileSettings.
    public static let getFileSettings = InstructionCode(0xF5)
    /// 0x5F: ChangeFileSettings.
    public static let changeFileSettings = InstructionCode(0x5F)
    /// 0xCD: CreateStdDataFile.
    public static let createStandardDataFile = InstructionCode(0xCD)
    /// 0xCB: CreateBackupDataFile.
    public static let createBackupDataFile = InstructionCode(0xCB)
    /// 0xCC: CreateValueFile.
    public static let createValueFile = InstructionCode(0xCC)
    /// 0xC1: CreateLinearRecordFile.
    public static let createLinearRecordFile = InstructionCode(0xC1)
    /// 0xC0: CreateCyclicRecordFile.
    public static let createCyclicRecordFile = InstructionCode(0xC0)
    /// 0xDF: DeleteFile.
    public static let deleteFile = InstructionCode(0xDF)
    /// 0xBD: ReadData.
    public static let readData = InstructionCode(0xBD)
    /// 0x3D: WriteData.
    public static let writeData = InstructionCode(0x3D)
    /// 0x6C: GetValue.
    public static let getValue = InstructionCode(0x6C)
    /// 0x0C: Credit.
    public static let credit = InstructionCode(0x0C)
    /// 0xDC: Debit.
    public static let debit = InstructionCode(0xDC)
    /// 0x1C: LimitedCredit.
    public static let limitedCredit = InstructionCode(0x1C)
    /// 0x3B: WriteRecord.
    public static let writeRecord = InstructionCode(0x3B)
    /// 0xBB: ReadRecords.
    public static let readRecords = InstructionCode(0xBB)
    /// 0xEB: ClearRecordFile.
    public static let clearRecordFile = InstructionCode(0xEB)
    /// 0xC7: CommitTransaction.
    public static let commitTransaction = InstructionCode(0xC7)
    /// 0xA7: AbortTransaction.
    public static let abortTransaction = InstructionCode(0xA7)

    static let names: [UInt8: String] = [
        0x0A: "Authenticate", 0x1A: "AuthenticateISO", 0xAA: "AuthenticateAES", 0xAF: "AdditionalFrame",
        0x54: "ChangeKeySettings", 0x45: "GetKeySettings", 0xC4: "ChangeKey", 0x64: "GetKeyVersion",
        0xCA: "CreateApplication", 0xDA: "DeleteApplication", 0x6A: "GetApplicationIDs", 0x6E: "FreeMemory",
        0x5A: "SelectApplication", 0xFC: "FormatPICC", 0x60: "GetVersion", 0x51: "GetCardUID",
        0x6F: "GetFileIDs", 0xF5: "GetFileSettings", 0x5F: "ChangeFileSettings", 0xCD: "CreateStdDataFile",
        0xCB: "CreateBackupDataFile", 0xCC: "CreateValueFile", 0xC1: "CreateLinearRecordFile",
        0xC0: "CreateCyclicRecordFile", 0xDF: "DeleteFile", 0xBD: "ReadData", 0x3D: "WriteData",
        0x6C: "GetValue", 0x0C: "Credit", 0xDC: "Debit", 0x1C: "LimitedCredit", 0x3B: "WriteRecord",
        0xBB: "ReadRecords", 0xEB: "ClearRecordFile", 0xC7: "CommitTransaction", 0xA7: "AbortTransaction",
    ]

    public var description: String {
        "\(Self.names[rawValue] ?? "command") (0x\(Hex.encode([rawValue], case: .upper)))"
    }
}
