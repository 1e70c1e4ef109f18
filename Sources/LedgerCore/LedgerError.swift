// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// Ledger bytes that cannot be read, or a value or key that cannot be encoded or used.
///
/// Thrown only for malformed input and unusable keys. A ledger that reads fine but has been
/// tampered with is not an error: verification returns a `LedgerVerification.broken` value.
/// Equality compares the code only.
public struct LedgerError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<LedgerError>

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

extension ErrorCode where Domain == LedgerError {
    /// The bytes ended before the structure did.
    public static var truncated: Self { Self("truncated") }
    /// Bytes were left over after a complete structure.
    public static var trailingBytes: Self { Self("trailing-bytes") }
    /// The format byte names a version this code does not know.
    public static var unsupportedFormat: Self { Self("unsupported-format") }
    /// The kind byte names no known entry kind.
    public static var unknownKind: Self { Self("unknown-kind") }
    /// The bytes decode, but not in the one canonical form (an absent field not zero, unknown flags).
    public static var nonCanonical: Self { Self("non-canonical") }
    /// A field holds a value outside its allowed range (e.g. detail text not UTF-8).
    public static var invalidField: Self { Self("invalid-field") }
    /// A value does not fit its encoding (detail text too long).
    public static var tooLarge: Self { Self("too-large") }
    /// A key or signature has the wrong length or is not a valid curve point.
    public static var invalidKey: Self { Self("invalid-key") }
    /// Signing failed inside the crypto library.
    public static var signingFailed: Self { Self("signing-failed") }
    /// A signature does not verify under the key it was checked with.
    public static var invalidSignature: Self { Self("invalid-signature") }
}
