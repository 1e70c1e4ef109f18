/// Something the validator cannot do: a card it cannot use, a configuration it cannot load, a
/// ledger it cannot write.
///
/// A refused ride is not an error (that is a `Decision.deny`); this is thrown for foreign or
/// malformed cards, broken configuration and unusable storage. Equality compares the code only.
public struct ValidatorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name (also the `reason` of a declined tap in the JSON line).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// The card's ATR is not a DESFire card's.
        public static let notDESFire = Code("not-desfire")
        /// A DESFire card without this community's application.
        public static let noApplication = Code("no-application")
        /// The card carries another community's card, or a layout this validator does not know.
        public static let foreignLayout = Code("foreign-layout")
        /// A file on the card does not decode as its layout says.
        public static let malformedCard = Code("malformed-card")
        /// The card refused the validate key: not personalized by this community, or cloned.
        public static let authenticationFailed = Code("authentication-failed")
        /// The card's keys are of a version whose master keys this validator does not hold.
        public static let unknownKeyVersion = Code("unknown-key-version")
        /// The card did not finish the tap within the time allowed.
        public static let timeout = Code("card-timeout")
        /// The card left the field or answered garbage during the tap.
        public static let cardFailed = Code("card-failed")
        /// The reader or the PC/SC service failed.
        public static let readerFailed = Code("reader-failed")
        /// The ledger cannot record, so nothing may be charged.
        public static let outOfService = Code("out-of-service")
        /// The configuration file is missing, unreadable or inconsistent.
        public static let invalidConfiguration = Code("invalid-configuration")
        /// A key, certificate or bundle file cannot be used.
        public static let invalidKeyMaterial = Code("invalid-key-material")
        /// A signed bundle was refused (signature, version, expiry, community).
        public static let bundleRefused = Code("bundle-refused")
    }

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

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    /// The code and the reason.
    public var description: String { "\(code): \(reason)" }

    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: ValidatorError) -> Bool { error.code == pattern }
}
