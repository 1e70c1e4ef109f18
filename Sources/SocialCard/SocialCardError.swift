/// Everything that can go wrong between the desk or a validator and a social card, as one error
/// with a stable code.
///
/// A card that is not ours, not finished or not readable is a fact about the card, not a bug:
/// callers show the code's message and carry on. The card's own failures pass through unchanged
/// (`CardError` when it left the field, `DESFireError` when it said no), because tearing recovery
/// keys on them. Equality compares the code only.
public struct SocialCardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable, kebab-case name.
        public let name: String
        /// Creates a code; use the named constants.
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The card's keys are not the community's (PICC key unknown, authentication refused).
        public static let notOurCard = Code("not-our-card")
        /// The card has no application with the layout's AID.
        public static let noApplication = Code("no-application")
        /// The card says it was personalized with a layout version this program does not know.
        public static let layoutVersionUnknown = Code("layout-version-unknown")
        /// The card belongs to another community.
        public static let otherCommunity = Code("other-community")
        /// A file's contents cannot be decoded with the layout's record formats.
        public static let malformedFile = Code("malformed-file")
        /// The card's personalization was started but not finished (no card info yet).
        public static let personalizationIncomplete = Code("personalization-incomplete")
        /// The card is already personalized for another serial.
        public static let alreadyPersonalized = Code("already-personalized")
        /// The application's files or keys differ from what the layout says.
        public static let layoutMismatch = Code("layout-mismatch")
        /// The layout lacks a file, record format or field a social card needs.
        public static let layoutUnsupported = Code("layout-unsupported")
        /// The card's keys are of a version whose master keys are not held here.
        public static let unknownKeyVersion = Code("unknown-key-version")
        /// A master key this operation needs is not held here (a validator has no issue key).
        public static let missingKey = Code("missing-key")
        /// The issuance request cannot be written as asked (too many entitlements, bad sizes...).
        public static let invalidRequest = Code("invalid-request")
        /// The card's state contradicts itself or the request (a purse credited with another sum).
        public static let inconsistentCard = Code("inconsistent-card")
    }

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

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: SocialCardError) -> Bool { error.code == pattern }
}
