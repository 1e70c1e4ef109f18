// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A request or batch that cannot be read or used, with a stable code and a message in
/// Ukrainian and English.
///
/// Thrown only for malformed input and broken environments; a refused batch or request that
/// reads fine is a value (`IngestDecision`, `DeviceAuthentication`). Equality compares the code.
public struct AccountingError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<AccountingError>

    /// What went wrong.
    public let code: Code
    /// The explanation in Ukrainian.
    public let ukrainian: String
    /// The explanation in English.
    public let english: String
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates an error; the location is filled in for you.
    public init(_ code: Code, uk: String, en: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.ukrainian = uk
        self.english = en
        self.file = file
        self.line = line
    }

    /// The English explanation, which `description` shows after the code.
    public var reason: String { english }
}

extension ErrorCode where Domain == AccountingError {
    /// The body is not the JSON the endpoint expects (wrong types, missing fields).
    public static var malformedBody: Self { Self("malformed-body") }
    /// A ledger entry in the batch does not decode as canonical bytes.
    public static var malformedEntry: Self { Self("malformed-entry") }
    /// The body or the batch is larger than the service accepts.
    public static var tooLarge: Self { Self("too-large") }
    /// The batch holds no entries.
    public static var emptyBatch: Self { Self("empty-batch") }
    /// A header or field holds a value outside its allowed form.
    public static var invalidField: Self { Self("invalid-field") }
    /// The storage failed.
    public static var storage: Self { Self("storage") }
}
