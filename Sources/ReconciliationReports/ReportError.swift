// Re-exported: callers match this module's error codes without importing Diagnostics themselves.
@_exported import Diagnostics

/// A manifest or report input that cannot be read, with a stable code; equality on the code.
///
/// Thrown only for malformed input; a manifest that reads fine but does not verify is a value
/// (`ManifestVerdict`).
public struct ReportError: CodedError {
    /// What went wrong.
    public typealias Code = ErrorCode<ReportError>

    /// What went wrong.
    public let code: Code
    /// A human explanation.
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

extension ErrorCode where Domain == ReportError {
    /// The bytes are not the JSON this module writes.
    public static var malformedJSON: Self { Self("malformed-json") }
    /// The JSON is fine but is not a manifest of the format this module reads.
    public static var malformedManifest: Self { Self("malformed-manifest") }
    /// An output file name that could leave the report's directory or is listed twice.
    public static var invalidFileName: Self { Self("invalid-file-name") }
}
