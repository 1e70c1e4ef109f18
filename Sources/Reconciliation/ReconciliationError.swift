// Re-exported so callers match `ReconciliationError.Code` without importing Diagnostics.
@_exported import Diagnostics

/// Input the reconciliation cannot read: a period that names no month, a claim file that is not
/// a claim. Findings about the ledgers are never errors; they are exceptions in the report.
public struct ReconciliationError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<ReconciliationError>

    /// What went wrong.
    public let code: Code
    /// A human explanation naming the value at fault.
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
}

extension ErrorCode where Domain == ReconciliationError {
    /// A period that is not `YYYY-MM`, or whose end is not after its start.
    public static var invalidPeriod: Self { Self("invalid-period") }
    /// A carrier claim file that cannot be read; the reason names the line.
    public static var invalidClaim: Self { Self("invalid-claim") }
}
