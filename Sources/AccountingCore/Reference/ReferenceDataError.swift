/// Reference data that is refused: a field outside its form, a duplicate, an overlap, a row it
/// points to that does not exist, a month closed already.
///
/// One error for the store, the admin endpoints and the CLI, with the explanation in Ukrainian
/// and English, so the same refusal reads the same wherever it is met. Equality compares the code.
public struct ReferenceDataError: CodedError {
    /// What was refused, as the service's protocol code.
    public typealias Code = AccountingErrorCode

    /// What was refused.
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

    /// A field outside its allowed form or range (`invalid-reference`).
    public static func invalid(uk: String, en: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.invalidReference, uk: uk, en: en, file: file, line: line)
    }

    /// A row that is stored already under the same key (`duplicate-reference`).
    public static func duplicate(uk: String, en: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.duplicateReference, uk: uk, en: en, file: file, line: line)
    }

    /// A row that points to something not stored, or a replacement of nothing (`unknown-reference`).
    public static func unknown(uk: String, en: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.unknownReference, uk: uk, en: en, file: file, line: line)
    }
}
