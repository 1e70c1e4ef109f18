@_exported import DeskRecords

/// Everything that can stop a registry operation, with a sentence in Ukrainian and in English
/// and the exit status the desk's commands use (docs/issuance.md): 64 a request that cannot be
/// carried out as given, 65 data that cannot be used as asked (not found, already done, an
/// import refused), 66 the key file unreadable or not this registry's, 69 the database
/// unreachable, 70 anything else.
///
/// Equality compares the code only. Messages never hold a name or a document number.
public struct RegistryError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<RegistryError>

    /// What went wrong.
    public let code: Code
    /// The English sentence.
    public let reason: String
    /// The Ukrainian sentence.
    public let ukrainian: String
    /// Where it was raised.
    public let file: String
    /// Where it was raised.
    public let line: UInt

    /// Creates an error with its two sentences.
    public init(_ code: Code, ukrainian: String, english: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.ukrainian = ukrainian
        self.reason = english
        self.file = file
        self.line = line
    }

    /// The exit status of a desk command failing with this error.
    public var exitStatus: Int32 {
        switch code {
        case .invalidRequest: 64
        case .notFound, .alreadyDone, .refused: 65
        case .keyUnreadable, .wrongKey: 66
        case .unavailable: 69
        default: 70
        }
    }

    /// The lines for standard error: Ukrainian, then English.
    public var message: String { "помилка: \(ukrainian)\nerror: \(code): \(reason)\n" }

    /// Any failure of a registry operation in the registry's terms; a rule the data broke keeps
    /// its sentences (and an import's line list is printed by the caller).
    public init(_ error: any Error) {
        switch error {
        case let error as RegistryError:
            self = error
        case let error as RegistryRuleError:
            var ukrainian = error.ukrainian
            var english = error.reason
            for line in error.lines {
                ukrainian += "\n  рядок \(line.line): \(line.ukrainian)"
                english += "\n  line \(line.line): \(line.english)"
            }
            self.init(error.code == .importRejected ? .refused : .invalidRequest, ukrainian: ukrainian, english: english)
        default:
            self.init(.unexpected, ukrainian: "непередбачена помилка: \(error)", english: "unexpected error: \(error)")
        }
    }
}

extension ErrorCode where Domain == RegistryError {
    /// The request cannot be carried out as given (exit 64).
    public static var invalidRequest: Self { Self("invalid-request") }
    /// The holder, card or eligibility asked for is not in the registry (exit 65).
    public static var notFound: Self { Self("not-found") }
    /// What was asked is already so (a card recorded twice, a holder erased twice) (exit 65).
    public static var alreadyDone: Self { Self("already-done") }
    /// The registry refuses the change as asked (an import with bad lines, a person already
    /// registered with this document) (exit 65).
    public static var refused: Self { Self("refused") }
    /// The key file cannot be read, is missing, or is readable by others (exit 66).
    public static var keyUnreadable: Self { Self("key-unreadable") }
    /// The key file is not this registry's, or lacks the key a record was encrypted with (exit 66).
    public static var wrongKey: Self { Self("wrong-key") }
    /// The database cannot be opened or reached (exit 69).
    public static var unavailable: Self { Self("unavailable") }
    /// The database's schema is newer than this program, or not a registry (exit 70).
    public static var schemaRefused: Self { Self("schema-refused") }
    /// A statement failed (disk full, a constraint the code did not expect) (exit 70).
    public static var statementFailed: Self { Self("statement-failed") }
    /// Anything else (exit 70).
    public static var unexpected: Self { Self("unexpected") }
}
