import Identifiers
import SmartCard

/// The one-byte status a DESFire card ends every native response with (`91 xx` when wrapped).
///
/// Statuses read as names: `case .permissionDenied:` rather than `0x9D`. Every value of the
/// byte can be represented; ``isKnown`` says whether the EV1 datasheet defines it.
public struct DESFireStatus: Hashable, Sendable, CustomStringConvertible {
    /// The status byte as the card sent it.
    public let rawValue: UInt8

    /// Wraps a status byte.
    public init(_ rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// 0x00: the command succeeded.
    public static let operationOK = DESFireStatus(0x00)
    /// 0x0C: nothing to commit or abort (no changes were made to backup files).
    public static let noChanges = DESFireStatus(0x0C)
    /// 0x0E: not enough EEPROM left to finish the command.
    public static let outOfEEPROM = DESFireStatus(0x0E)
    /// 0x1C: the command code is not supported.
    public static let illegalCommand = DESFireStatus(0x1C)
    /// 0x1E: a CRC or MAC did not match the data, or padding bytes were not valid.
    public static let integrityError = DESFireStatus(0x1E)
    /// 0x40: the key number does not exist.
    public static let noSuchKey = DESFireStatus(0x40)
    /// 0x7E: the command's length is wrong.
    public static let lengthError = DESFireStatus(0x7E)
    /// 0x9D: the current configuration or status does not allow the command.
    public static let permissionDenied = DESFireStatus(0x9D)
    /// 0x9E: a parameter value is not valid.
    public static let parameterError = DESFireStatus(0x9E)
    /// 0xA0: the requested application is not present.
    public static let applicationNotFound = DESFireStatus(0xA0)
    /// 0xA1: an unrecoverable error inside the application; the application will be disabled.
    public static let applicationIntegrityError = DESFireStatus(0xA1)
    /// 0xAE: the authentication failed or the command needs a prior authentication.
    public static let authenticationError = DESFireStatus(0xAE)
    /// 0xAF: the card has more frames to send, or expects more frames.
    public static let additionalFrame = DESFireStatus(0xAF)
    /// 0xBE: an attempt to read or write beyond the file's or record's limits.
    public static let boundaryError = DESFireStatus(0xBE)
    /// 0xC1: an unrecoverable error inside the card; the card will be disabled.
    public static let cardIntegrityError = DESFireStatus(0xC1)
    /// 0xCA: the previous command was not fully completed.
    public static let commandAborted = DESFireStatus(0xCA)
    /// 0xCD: the card was disabled by an unrecoverable error.
    public static let cardDisabled = DESFireStatus(0xCD)
    /// 0xCE: the number of applications is limited to 28; no more can be created.
    public static let countError = DESFireStatus(0xCE)
    /// 0xDE: the application or file to create already exists.
    public static let duplicateError = DESFireStatus(0xDE)
    /// 0xEE: the EEPROM could not be written or read.
    public static let eepromError = DESFireStatus(0xEE)
    /// 0xF0: the file does not exist.
    public static let fileNotFound = DESFireStatus(0xF0)
    /// 0xF1: an unrecoverable error inside the file; the file will be disabled.
    public static let fileIntegrityError = DESFireStatus(0xF1)

    /// Every status the EV1 datasheet defines, with its name.
    public static let known: [DESFireStatus: String] = [
        .operationOK: "operation ok",
        .noChanges: "no changes",
        .outOfEEPROM: "out of EEPROM",
        .illegalCommand: "illegal command",
        .integrityError: "integrity error",
        .noSuchKey: "no such key",
        .lengthError: "length error",
        .permissionDenied: "permission denied",
        .parameterError: "parameter error",
        .applicationNotFound: "application not found",
        .applicationIntegrityError: "application integrity error",
        .authenticationError: "authentication error",
        .additionalFrame: "additional frame",
        .boundaryError: "boundary error",
        .cardIntegrityError: "card integrity error",
        .commandAborted: "command aborted",
        .cardDisabled: "card disabled",
        .countError: "count error",
        .duplicateError: "duplicate error",
        .eepromError: "EEPROM error",
        .fileNotFound: "file not found",
        .fileIntegrityError: "file integrity error",
    ]

    /// The datasheet's name for this status, or nil for a byte the datasheet does not define.
    public var name: String? { Self.known[self] }

    /// Whether the datasheet defines this status.
    public var isKnown: Bool { name != nil }

    /// Matches a status against a named one in `switch` statements.
    public static func ~= (pattern: DESFireStatus, value: DESFireStatus) -> Bool { pattern == value }

    public var description: String {
        let hex = Hex.encode([rawValue], case: .upper)
        if let name { return "0x\(hex) (\(name))" }
        return "0x\(hex) (unknown)"
    }
}
