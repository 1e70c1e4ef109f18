import Diagnostics

/// A desk action that did not finish: the card may have been written while the registry or the
/// desk ledger did not take the record. Running the same action again completes it (the card is
/// read back as done, and every record is idempotent), which is what ``message`` tells the clerk.
public struct DeskOfficeError: CodedError {
    /// The error's stable code.
    public typealias Code = ErrorCode<DeskOfficeError>

    /// What went wrong.
    public let code: Code
    /// The English explanation.
    public let reason: String
    /// The Ukrainian explanation, for the clerk.
    public let ukrainian: String
    /// Where it was raised.
    public let file: String
    /// The line it was raised on.
    public let line: UInt
    /// The failure underneath (the registry's or the ledger's), for logs and tests.
    public let underlying: String

    /// Creates an error.
    public init(_ code: Code, ukrainian: String, english: String, underlying: String = "", file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.ukrainian = ukrainian
        self.reason = english
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// The two lines a command writes to standard error: Ukrainian, then English.
    public var message: String { "помилка: \(ukrainian)\nerror: \(code): \(reason)\n" }

    /// The exit status: 75 (try again) for an action to complete by running it again, 65 for a
    /// request the registry refuses (another holder's card, a lapsed eligibility).
    public var exitStatus: Int32 {
        switch code {
        case .recordIncomplete: 75
        case .refused: 65
        default: 70
        }
    }
}

extension DeskOfficeError.Code {
    /// The card was written (or found done) but the registry or the ledger did not record it.
    public static var recordIncomplete: Self { Self("record-incomplete") }
    /// The desk will not do it (no eligibility to issue from, a card not in the registry).
    public static var refused: Self { Self("refused") }
}
