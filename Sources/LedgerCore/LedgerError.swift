/// Ledger bytes that cannot be read, or a value or key that cannot be encoded or used.
///
/// Thrown only for malformed input and unusable keys. A ledger that reads fine but has been
/// tampered with is not an error: verification returns a `LedgerVerification.broken` value.
/// Equality compares the code only.
public struct LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
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
        /// The kind byte names no known entry kind.
        public static let unknownKind = Code("unknown-kind")
        /// The bytes decode, but not in the one canonical form (an absent field not zero, unknown flags).
        public static let nonCanonical = Code("non-canonical")
        /// A field holds a value outside its allowed range (e.g. detail text not UTF-8).
        public static let invalidField = Code("invalid-field")
        /// A value does not fit its encoding (detail text too long).
        public static let tooLarge = Code("too-large")
        /// A key or signature has the wrong length or is not a valid curve point.
        public static let invalidKey = Code("invalid-key")
        /// Signing failed inside the crypto library.
        public static let signingFailed = Code("signing-failed")
        /// A signature does not verify under the key it was checked with.
        public static let invalidSignature = Code("invalid-signature")
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
    public static func ~= (pattern: Code, error: LedgerError) -> Bool { error.code == pattern }
}
