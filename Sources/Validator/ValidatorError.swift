// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// Something the validator cannot do: a card it cannot use, a configuration it cannot load, a
/// ledger it cannot write.
///
/// A refused ride is not an error (that is a `Decision.deny`); this is thrown for foreign or
/// malformed cards, broken configuration and unusable storage. Equality compares the code only.
public struct ValidatorError: CodedError {
    /// What went wrong, as a stable name (also the `reason` of a declined tap in the JSON line).
    public typealias Code = ErrorCode<ValidatorError>

    /// What went wrong.
    public let code: Code
    /// A human explanation; never key material or personal data.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == ValidatorError {
    /// The card's ATR is not a DESFire card's.
    public static var notDESFire: Self { Self("not-desfire") }
    /// A DESFire card without this community's application.
    public static var noApplication: Self { Self("no-application") }
    /// The card carries another community's card, or a layout this validator does not know.
    public static var foreignLayout: Self { Self("foreign-layout") }
    /// A file on the card does not decode as its layout says.
    public static var malformedCard: Self { Self("malformed-card") }
    /// The card refused the validate key: not personalized by this community, or cloned.
    public static var authenticationFailed: Self { Self("authentication-failed") }
    /// The card's keys are of a version whose master keys this validator does not hold.
    public static var unknownKeyVersion: Self { Self("unknown-key-version") }
    /// The card did not finish the tap within the time allowed.
    public static var timeout: Self { Self("card-timeout") }
    /// The card left the field or answered garbage during the tap.
    public static var cardFailed: Self { Self("card-failed") }
    /// The reader or the PC/SC service failed.
    public static var readerFailed: Self { Self("reader-failed") }
    /// The ledger cannot record, so nothing may be charged.
    public static var outOfService: Self { Self("out-of-service") }
    /// The configuration file is missing, unreadable or inconsistent.
    public static var invalidConfiguration: Self { Self("invalid-configuration") }
    /// A key, certificate or bundle file cannot be used.
    public static var invalidKeyMaterial: Self { Self("invalid-key-material") }
    /// A signed bundle was refused (signature, version, expiry, community).
    public static var bundleRefused: Self { Self("bundle-refused") }
}
