/// A community key directory that cannot be created, read or changed as asked.
///
/// Equality compares the code only.
public struct CommunityKeysError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// The directory already holds a community.
        public static let alreadyExists = Code("already-exists")
        /// The directory holds no community (no `community.json`).
        public static let notACommunity = Code("not-a-community")
        /// A file could not be read, written or renamed; the reason carries the system error.
        public static let fileSystem = Code("file-system")
        /// A secret file can be read by group or others; it is refused until fixed.
        public static let insecurePermissions = Code("insecure-permissions")
        /// A key or data file is not in the documented format.
        public static let malformedFile = Code("malformed-file")
        /// No key with this id, or not of the expected role.
        public static let unknownKey = Code("unknown-key")
        /// The key is already revoked, or is the root.
        public static let cannotRevoke = Code("cannot-revoke")
        /// A bundle version not above the last one signed for that kind.
        public static let versionNotNewer = Code("version-not-newer")
        /// The input file for a bundle is invalid.
        public static let invalidInput = Code("invalid-input")
        /// An argument is out of range.
        public static let invalidArgument = Code("invalid-argument")
    }

    /// What went wrong.
    public let code: Code
    /// A human explanation; never contains key material.
    public let reason: String
    /// Source file that raised it.
    public let file: String
    /// Source line that raised it.
    public let line: UInt

    /// Creates an error.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Equal when the codes are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    /// `code: reason`.
    public var description: String { "\(code): \(reason)" }
    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: CommunityKeysError) -> Bool { error.code == pattern }
}
