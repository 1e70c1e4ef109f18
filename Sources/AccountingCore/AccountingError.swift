/// A request or batch that cannot be read or used, with a stable code and a message in
/// Ukrainian and English.
///
/// Thrown only for malformed input and broken environments; a refused batch or request that
/// reads fine is a value (`IngestDecision`, `DeviceAuthentication`). Equality compares the code.
public struct AccountingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// The body is not the JSON the endpoint expects (wrong types, missing fields).
        public static let malformedBody = Code("malformed-body")
        /// A ledger entry in the batch does not decode as canonical bytes.
        public static let malformedEntry = Code("malformed-entry")
        /// The body or the batch is larger than the service accepts.
        public static let tooLarge = Code("too-large")
        /// The batch holds no entries.
        public static let emptyBatch = Code("empty-batch")
        /// A header or field holds a value outside its allowed form.
        public static let invalidField = Code("invalid-field")
        /// The storage failed.
        public static let storage = Code("storage")
    }

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

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    /// The code and the English reason.
    public var description: String { "\(code): \(english)" }
    /// Matches an error against a code in `catch` and `switch` patterns.
    public static func ~= (pattern: Code, error: AccountingError) -> Bool { error.code == pattern }
}
