// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A malformed entitlement, certificate or community data file, or a key that cannot be used.
///
/// Thrown only for input that cannot be read or values that cannot be encoded. A valid-looking
/// entitlement that is simply not good today is not an error: it is an `EntitlementVerdict`.
/// Equality compares the code only.
public struct EntitlementError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<EntitlementError>

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
}

extension ErrorCode where Domain == EntitlementError {
    /// The bytes ended before the structure did.
    public static var truncated: Self { Self("truncated") }
    /// Bytes were left over after a complete structure.
    public static var trailingBytes: Self { Self("trailing-bytes") }
    /// The format byte names a version this code does not know.
    public static var unsupportedFormat: Self { Self("unsupported-format") }
    /// A field holds a value outside its allowed range.
    public static var invalidField: Self { Self("invalid-field") }
    /// The bytes decode, but not in the one canonical form (e.g. unsorted or repeated set members).
    public static var nonCanonical: Self { Self("non-canonical") }
    /// The value does not fit its encoding (too many members, a date out of range, too large).
    public static var tooLarge: Self { Self("too-large") }
    /// A key could not be used (wrong length, not a valid curve point).
    public static var invalidKey: Self { Self("invalid-key") }
    /// Signing failed inside the crypto library.
    public static var signingFailed: Self { Self("signing-failed") }
    /// Community data (JSON) is inconsistent: repeated codes, empty names, bad ranges.
    public static var invalidCommunityData: Self { Self("invalid-community-data") }
}
