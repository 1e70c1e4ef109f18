// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// Everything that can go wrong between the desk or a validator and a social card, as one error
/// with a stable code.
///
/// A card that is not ours, not finished or not readable is a fact about the card, not a bug:
/// callers show the code's message and carry on. The card's own failures pass through unchanged
/// (`CardError` when it left the field, `DESFireError` when it said no), because tearing recovery
/// keys on them. Equality compares the code only.
public struct SocialCardError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<SocialCardError>

    /// What went wrong.
    public let code: Code
    /// A sentence for logs and operators; never key material.
    public let reason: String
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: UInt

    /// Creates an error.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == SocialCardError {
    /// The card's keys are not the community's (PICC key unknown, authentication refused).
    public static var notOurCard: Self { Self("not-our-card") }
    /// The card has no application with the layout's AID.
    public static var noApplication: Self { Self("no-application") }
    /// The card says it was personalized with a layout version this program does not know.
    public static var layoutVersionUnknown: Self { Self("layout-version-unknown") }
    /// The card belongs to another community.
    public static var otherCommunity: Self { Self("other-community") }
    /// A file's contents cannot be decoded with the layout's record formats.
    public static var malformedFile: Self { Self("malformed-file") }
    /// The card's personalization was started but not finished (no card info yet).
    public static var personalizationIncomplete: Self { Self("personalization-incomplete") }
    /// The card is already personalized for another serial.
    public static var alreadyPersonalized: Self { Self("already-personalized") }
    /// The application's files or keys differ from what the layout says.
    public static var layoutMismatch: Self { Self("layout-mismatch") }
    /// The layout lacks a file, record format or field a social card needs.
    public static var layoutUnsupported: Self { Self("layout-unsupported") }
    /// The card's keys are of a version whose master keys are not held here.
    public static var unknownKeyVersion: Self { Self("unknown-key-version") }
    /// A master key this operation needs is not held here (a validator has no issue key).
    public static var missingKey: Self { Self("missing-key") }
    /// The issuance request cannot be written as asked (too many entitlements, bad sizes...).
    public static var invalidRequest: Self { Self("invalid-request") }
    /// The card's state contradicts itself or the request (a purse credited with another sum).
    public static var inconsistentCard: Self { Self("inconsistent-card") }
}
