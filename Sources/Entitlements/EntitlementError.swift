/// A malformed entitlement, certificate or community data file, or a key that cannot be used.
///
/// Thrown only for input that cannot be read or values that cannot be encoded. A valid-looking
/// entitlement that is simply not good today is not an error: it is an `EntitlementVerdict`.
/// Equality compares the code only.
public struct EntitlementError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// The bytes ended before the structure did.
        public static let truncated = Code("truncated")
        /// Bytes were left over after a complete structure.
        public static let trailingBytes = Code("trailing-bytes")
        /// The format byte names a version this code does not know.
        public static let unsupportedFormat = Code("unsupported-format")
        /// A field holds a value outside its allowed range.
        public static let invalidField = Code("invalid-field")
        /// The bytes decode, but not in the one canonical form (e.g. unsorted or repeated set members).
        public static let nonCanonical = Code("non-canonical")
        /// The value does not fit its encoding (too many members, a date out of range, too large).
        public static let tooLarge = Code("too-large")
        /// A key could not be used (wrong length, not a valid curve point).
        public static let invalidKey = Code("invalid-key")
        /// Signing failed inside the crypto library.
        public static let signingFailed = Code("signing-failed")
        /// Community data (JSON) is inconsistent: repeated codes, empty names, bad ranges.
        public static let invalidCommunityData = Code("invalid-community-data")
    }

    /// What went wrong.
    public let code: Code
    /// A human explanation naming the field or value at fault.
    public let reason: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error with a code and a human reason; the location is filled in for you.
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
    public static func ~= (pattern: Code, error: EntitlementError) -> Bool { error.code == pattern }
}
