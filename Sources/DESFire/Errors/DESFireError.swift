// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// Everything that can go wrong talking to a DESFire card, as one error with a stable code.
///
/// Two kinds share the type: the card said no (its status byte is in ``status`` and the code is
/// named after it, e.g. ``Code/permissionDenied``), or the client refused what came back or
/// what it was asked to do (a MAC that does not verify, a CRC that does not match, a response
/// too short or too long, a command in the wrong state). Equality compares the code only, so
/// tests and callers match on codes: `catch DESFireError.Code.boundaryError`.
///
/// Errors of the card in the field itself (removed, torn) are not wrapped: the channel's
/// `CardError` and `ReaderError` pass through unchanged, because tearing recovery keys on them.
public struct DESFireError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<DESFireError>

    /// What went wrong.
    public let code: Code
    /// The card's status byte, when the card said no; nil for errors the client raised.
    public let status: DESFireStatus?
    /// A sentence for logs and operators; never contains key material.
    public let reason: String
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: UInt

    /// Creates an error raised by the client.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.status = nil
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Creates the error for a status byte the card answered to a command.
    public init(status: DESFireStatus, command: InstructionCode, file: String = #fileID, line: UInt = #line) {
        self.code = Code(status: status)
        self.status = status
        self.reason = "card answered \(status) to \(command)"
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == DESFireError {
    // MARK: The card's statuses

    /// The card answered 0x0C: nothing to commit or abort.
    public static var noChanges: Self { Self("no-changes") }
    /// The card answered 0x0E: out of EEPROM.
    public static var outOfEEPROM: Self { Self("out-of-eeprom") }
    /// The card answered 0x1C: it does not know the command.
    public static var illegalCommand: Self { Self("illegal-command") }
    /// The card answered 0x1E: a CRC, MAC or padding it received was wrong.
    public static var integrityError: Self { Self("integrity-error") }
    /// The card answered 0x40: no such key.
    public static var noSuchKey: Self { Self("no-such-key") }
    /// The card answered 0x7E: the command length is wrong.
    public static var lengthError: Self { Self("length-error") }
    /// The card answered 0x9D: permission denied.
    public static var permissionDenied: Self { Self("permission-denied") }
    /// The card answered 0x9E: a parameter is not valid.
    public static var parameterError: Self { Self("parameter-error") }
    /// The card answered 0xA0: no such application.
    public static var applicationNotFound: Self { Self("application-not-found") }
    /// The card answered 0xA1: application integrity error.
    public static var applicationIntegrityError: Self { Self("application-integrity-error") }
    /// The card answered 0xAE: authentication failed or is required.
    public static var authenticationError: Self { Self("authentication-error") }
    /// The card answered 0xAF where no further frame was expected: it wants more data than
    /// the command has.
    public static var additionalFrame: Self { Self("additional-frame") }
    /// The card answered 0xBE: beyond the file's or record's limits (also a value out of
    /// the value file's limits).
    public static var boundaryError: Self { Self("boundary-error") }
    /// The card answered 0xC1: card integrity error.
    public static var cardIntegrityError: Self { Self("card-integrity-error") }
    /// The card answered 0xCA: the previous command was not completed.
    public static var commandAborted: Self { Self("command-aborted") }
    /// The card answered 0xCD: the card is disabled.
    public static var cardDisabled: Self { Self("card-disabled") }
    /// The card answered 0xCE: too many applications.
    public static var countError: Self { Self("count-error") }
    /// The card answered 0xDE: the application or file already exists.
    public static var duplicateError: Self { Self("duplicate-error") }
    /// The card answered 0xEE: EEPROM error.
    public static var eepromError: Self { Self("eeprom-error") }
    /// The card answered 0xF0: no such file.
    public static var fileNotFound: Self { Self("file-not-found") }
    /// The card answered 0xF1: file integrity error.
    public static var fileIntegrityError: Self { Self("file-integrity-error") }
    /// The card answered a status byte the datasheet does not define.
    public static var unknownStatus: Self { Self("unknown-status") }

    // MARK: Refused by the client

    /// The response's MAC (EV1 CMAC or legacy 4-byte MAC) does not verify.
    public static var responseMACMismatch: Self { Self("response-mac-mismatch") }
    /// The CRC inside a deciphered response does not match, or its padding is wrong.
    public static var crcMismatch: Self { Self("crc-mismatch") }
    /// The response is shorter than the command produces (missing data, MAC or CRC).
    public static var truncatedResponse: Self { Self("truncated-response") }
    /// The response has more frames or bytes than the command can produce.
    public static var oversizedResponse: Self { Self("oversized-response") }
    /// The response has the right size but cannot be what the command produces
    /// (a length that is not a multiple of the block, a chained frame without data, ...).
    public static var malformedResponse: Self { Self("malformed-response") }
    /// The response APDU does not end in `91 xx`: the card did not answer as DESFire.
    public static var unexpectedStatusWord: Self { Self("unexpected-status-word") }
    /// The command's communication mode needs an authenticated session and there is none.
    public static var notAuthenticated: Self { Self("not-authenticated") }
    /// The session or exchange was used out of order (a response with no command in flight,
    /// an authentication step out of sequence, ...).
    public static var wrongState: Self { Self("wrong-state") }
    /// The card's answer to the authentication challenge does not prove it knows the key:
    /// the card (or something pretending to be it) is not the one the key belongs to.
    public static var cardAuthenticationFailed: Self { Self("card-authentication-failed") }
    /// An argument is out of the range the command allows (offset, length, key number, ...).
    public static var invalidArgument: Self { Self("invalid-argument") }
    /// The key's type cannot be used for this authentication or command.
    public static var unsupportedKeyType: Self { Self("unsupported-key-type") }

    /// The code for a status byte the card answered.
    public init(status: DESFireStatus) {
        self = DESFireError.codeByStatus[status] ?? .unknownStatus
    }
}

// A stored table cannot live in an extension of the generic `ErrorCode`, so it lives here.
extension DESFireError {
    /// The code named after each status byte the datasheet defines.
    static let codeByStatus: [DESFireStatus: Code] = [
        .noChanges: .noChanges,
        .outOfEEPROM: .outOfEEPROM,
        .illegalCommand: .illegalCommand,
        .integrityError: .integrityError,
        .noSuchKey: .noSuchKey,
        .lengthError: .lengthError,
        .permissionDenied: .permissionDenied,
        .parameterError: .parameterError,
        .applicationNotFound: .applicationNotFound,
        .applicationIntegrityError: .applicationIntegrityError,
        .authenticationError: .authenticationError,
        .additionalFrame: .additionalFrame,
        .boundaryError: .boundaryError,
        .cardIntegrityError: .cardIntegrityError,
        .commandAborted: .commandAborted,
        .cardDisabled: .cardDisabled,
        .countError: .countError,
        .duplicateError: .duplicateError,
        .eepromError: .eepromError,
        .fileNotFound: .fileNotFound,
        .fileIntegrityError: .fileIntegrityError,
    ]
}
