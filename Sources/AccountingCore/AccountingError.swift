// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// A request or batch that cannot be read or used, with a stable code and a message in
/// Ukrainian and English.
///
/// Thrown only for malformed input and broken environments; a refused batch or request that
/// reads fine is a value (`IngestDecision`, `DeviceAuthentication`). Equality compares the code.
public struct AccountingError: CodedError {
    /// What went wrong: the protocol's code, which the service answers with unchanged.
    public typealias Code = AccountingErrorCode

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
