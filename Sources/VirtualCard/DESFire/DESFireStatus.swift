/// A DESFire status byte, as the card puts it in SW2 of a `91 xx` response.
///
/// Names follow NXP's status table so code reads `.permissionDenied`, not `0x9D`.
public struct DESFireStatus: Hashable, Sendable, CustomStringConvertible {
    /// The raw status byte.
    public let code: UInt8

    /// A status from its byte.
    public init(_ code: UInt8) { self.code = code }

    /// The command succeeded.
    public static let operationOK = DESFireStatus(0x00)
    /// CommitTransaction / AbortTransaction with nothing to commit or abort.
    public static let noChanges = DESFireStatus(0x0C)
    /// Not enough free memory for the file or application.
    public static let outOfEEPROM = DESFireStatus(0x0E)
    /// The command code is not supported.
    public static let illegalCommand = DESFireStatus(0x1C)
    /// CRC or MAC does not match the data, or padding bytes are not valid.
    public static let integrityError = DESFireStatus(0x1E)
    /// The key number does not exist.
    public static let noSuchKey = DESFireStatus(0x40)
    /// The command's length is wrong.
    public static let lengthError = DESFireStatus(0x7E)
    /// The current configuration or status does not allow the command.
    public static let permissionDenied = DESFireStatus(0x9D)
    /// A parameter's value is not valid.
    public static let parameterError = DESFireStatus(0x9E)
    /// The application does not exist.
    public static let applicationNotFound = DESFireStatus(0xA0)
    /// The current authentication status does not allow the command.
    public static let authenticationError = DESFireStatus(0xAE)
    /// More frames follow (in either direction).
    public static let additionalFrame = DESFireStatus(0xAF)
    /// Beyond a file's, record's or value's limits.
    public static let boundaryError = DESFireStatus(0xBE)
    /// The previous command was not completed (not all frames sent or requested).
    public static let commandAborted = DESFireStatus(0xCA)
    /// The maximum number of applications is reached.
    public static let countError = DESFireStatus(0xCE)
    /// An application or file with that identifier exists already.
    public static let duplicateError = DESFireStatus(0xDE)
    /// The non-volatile write did not complete (the emulator could not save its image).
    public static let eepromError = DESFireStatus(0xEE)
    /// The file does not exist.
    public static let fileNotFound = DESFireStatus(0xF0)

    /// Matches a status in `switch` statements.
    public static func ~= (pattern: DESFireStatus, value: DESFireStatus) -> Bool { pattern == value }

    /// True for the statuses a real card treats as a failed command (not OK, not "more frames").
    public var isError: Bool { self != .operationOK && self != .additionalFrame }

    private static let names: [UInt8: String] = [
        0x00: "operation ok", 0x0C: "no changes", 0x0E: "out of EEPROM", 0x1C: "illegal command",
        0x1E: "integrity error", 0x40: "no such key", 0x7E: "length error", 0x9D: "permission denied",
        0x9E: "parameter error", 0xA0: "application not found", 0xAE: "authentication error",
        0xAF: "additional frame", 0xBE: "boundary error", 0xCA: "command aborted", 0xCE: "count error",
        0xDE: "duplicate error", 0xEE: "EEPROM error", 0xF0: "file not found",
    ]

    public var description: String {
        let hex = String(code, radix: 16, uppercase: true)
        let padded = hex.count == 1 ? "0" + hex : hex
        return Self.names[code].map { "91\(padded) (\($0))" } ?? "91\(padded)"
    }
}
