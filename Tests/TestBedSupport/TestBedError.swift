/// The test bed could not be set up or used. Equality compares the code only.
public struct TestBedError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// `Tools/testbed` failed (its exit code and message are in the reason).
        public static let toolFailed = Code("testbed-tool-failed")
        /// `$HROMADA_TESTBED_DIR/readers.tsv` is missing or unreadable.
        public static let badReaderList = Code("bad-reader-list")
        /// A virtual card did not show up in (or leave) its reader in time.
        public static let cardNotSeen = Code("card-not-seen")
        /// A process could not be started.
        public static let launchFailed = Code("launch-failed")
        /// The operation needs a pcscd this test run started itself.
        public static let serviceNotOwned = Code("service-not-owned")
    }

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

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(reason)" }
}
