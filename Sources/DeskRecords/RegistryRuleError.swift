@_exported import Diagnostics

/// A record the desk registry refuses: a field missing or malformed, an import line that cannot
/// be read. Each carries its sentence in Ukrainian and in English, so the clerk reads what to fix.
///
/// Equality compares the code only.
public struct RegistryRuleError: CodedError {
    /// What is wrong, as a stable name.
    public typealias Code = ErrorCode<RegistryRuleError>

    /// What is wrong.
    public let code: Code
    /// The English sentence.
    public let reason: String
    /// The Ukrainian sentence.
    public let ukrainian: String
    /// Every import line at fault (empty for other errors), in line order.
    public let lines: [ImportLineProblem]

    /// Creates an error with its two sentences.
    public init(_ code: Code, ukrainian: String, english: String, lines: [ImportLineProblem] = []) {
        self.code = code
        self.ukrainian = ukrainian
        self.reason = english
        self.lines = lines
    }
}

extension ErrorCode where Domain == RegistryRuleError {
    /// A field of a holder, an eligibility or a card is missing or malformed.
    public static var invalidField: Self { Self("invalid-field") }
    /// An import file has lines that cannot be read; nothing of it was stored.
    public static var importRejected: Self { Self("import-rejected") }
}

/// One line of an import file that cannot be read, and why.
public struct ImportLineProblem: Hashable, Sendable, CustomStringConvertible {
    /// The line number in the file, from 1 (the header is line 1).
    public let line: Int
    /// What is wrong, in Ukrainian.
    public let ukrainian: String
    /// What is wrong, in English.
    public let english: String

    /// Creates a problem report for `line`.
    public init(line: Int, ukrainian: String, english: String) {
        self.line = line
        self.ukrainian = ukrainian
        self.english = english
    }

    /// `line N: English sentence`.
    public var description: String { "line \(line): \(english)" }
}
