// Re-exported: this module's error takes its `Code` and its `catch`/`switch` matching (`~=`)
// from Diagnostics, and callers should have both without importing Diagnostics themselves.
@_exported import Diagnostics

/// The test bed could not be set up or used. Equality compares the code only.
public struct TestBedError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<TestBedError>

    public let code: Code
    public let reason: String
    public let file: String
    public let line: UInt

    /// Creates an error with a code, a human reason and where it was raised.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }
}

extension ErrorCode where Domain == TestBedError {
    /// `Tools/testbed` failed (its exit code and message are in the reason).
    public static var toolFailed: Self { Self("testbed-tool-failed") }
    /// `$HROMADA_TESTBED_DIR/readers.tsv` is missing or unreadable.
    public static var badReaderList: Self { Self("bad-reader-list") }
    /// A virtual card did not show up in (or leave) its reader in time.
    public static var cardNotSeen: Self { Self("card-not-seen") }
    /// A process could not be started.
    public static var launchFailed: Self { Self("launch-failed") }
    /// The operation needs a pcscd this test run started itself.
    public static var serviceNotOwned: Self { Self("service-not-owned") }
}
