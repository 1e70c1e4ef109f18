import DESFire
import SmartCard
import SocialCard

/// Everything that can stop the desk, as one error with a stable code, a sentence in each of
/// the desk's two languages and the program's exit status.
///
/// The operator reads the Ukrainian sentence first and the English one below it; scripts read
/// the exit status (sysexits: 64 bad request, 65 the card cannot be used as asked, 66 keys,
/// layout or categories unreadable, 69 reader unavailable, 70 anything else, 75 the card left
/// mid-way, so run the same command again). Equality compares the code only.
public struct DeskError: CodedError {
    /// What went wrong, as a stable name.
    public typealias Code = ErrorCode<DeskError>

    /// What went wrong.
    public let code: Code
    /// The English sentence.
    public let reason: String
    /// The Ukrainian sentence.
    public let ukrainian: String
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: UInt

    /// Creates an error with its sentence in both languages.
    public init(_ code: Code, ukrainian: String, english: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.ukrainian = ukrainian
        self.reason = english
        self.file = file
        self.line = line
    }

    /// The program's exit status for this error.
    public var exitStatus: Int32 {
        switch code {
        case .invalidRequest: 64
        case .refused: 65
        case .filesUnreadable: 66
        case .readerUnavailable: 69
        case .cardRemoved: 75
        case .accountingUnavailable: 69
        case .accountingRefused: 77
        default: 70
        }
    }

    /// The two lines the program writes to standard error: Ukrainian, then English.
    public var message: String { "помилка: \(ukrainian)\nerror: \(reason)\n" }

    /// Any failure of a desk command, in the desk's terms.
    public init(_ error: any Error) {
        switch error {
        case let error as DeskError:
            self = error
        case let error as SocialCardError:
            self = Self.translate(error)
        case let error as CardError:
            self.init(
                .cardRemoved,
                ukrainian: "картку прибрано з зчитувача до завершення (\(error.code)); поверніть її та повторіть ту саму команду — вона продовжить з місця зупинки",
                english: "the card left the reader before the end (\(error.code)); put it back and run the same command again: it resumes where it stopped")
        case let error as ReaderError:
            self.init(.readerUnavailable, ukrainian: "зчитувач або служба pcscd недоступні: \(error)", english: "the reader or the pcscd service is unavailable: \(error)")
        case let error as DESFireError:
            self.init(.refused, ukrainian: "картка відмовила: \(error)", english: "the card refused: \(error)")
        default:
            self.init(.unexpected, ukrainian: "непередбачена помилка: \(error)", english: "unexpected error: \(error)")
        }
    }

    static func translate(_ error: SocialCardError) -> DeskError {
        let ukrainian: String
        var code = Code.refused
        switch error.code {
        case .notOurCard: ukrainian = "це не картка нашої громади (ключі не підходять)"
        case .noApplication: ukrainian = "на картці немає застосунку громади"
        case .layoutVersionUnknown: ukrainian = "картку створено за невідомою версією макета"
        case .otherCommunity: ukrainian = "картка належить іншій громаді"
        case .malformedFile: ukrainian = "дані на картці пошкоджені"
        case .personalizationIncomplete: ukrainian = "персоналізацію картки не завершено; повторіть видачу"
        case .alreadyPersonalized: ukrainian = "картку вже видано з іншим номером"
        case .layoutMismatch: ukrainian = "файли на картці не відповідають макету"
        case .unknownKeyVersion: ukrainian = "картка має ключі невідомої версії"
        case .missingKey: ukrainian = "бракує потрібного ключа"; code = .filesUnreadable
        case .layoutUnsupported: ukrainian = "макет не підходить для соціальної картки"; code = .filesUnreadable
        case .invalidRequest: ukrainian = "запит неможливо виконати"; code = .invalidRequest
        case .inconsistentCard: ukrainian = "стан картки суперечливий"
        default: ukrainian = "помилка картки"
        }
        return DeskError(code, ukrainian: "\(ukrainian) (\(error.code))", english: error.description)
    }
}

extension ErrorCode where Domain == DeskError {
    /// The request cannot be carried out as given (exit 64).
    public static var invalidRequest: Self { Self("invalid-request") }
    /// The card or the data asked for cannot be used as asked: a card not ours, of another
    /// layout or community, issued to another serial, damaged or refusing a command; a category
    /// the community does not have (exit 65).
    public static var refused: Self { Self("refused") }
    /// The keys, the layout or the categories could not be read or do not fit (exit 66).
    public static var filesUnreadable: Self { Self("files-unreadable") }
    /// The reader or pcscd is unavailable (exit 69).
    public static var readerUnavailable: Self { Self("reader-unavailable") }
    /// The card left the reader mid-way; the same command resumes (exit 75).
    public static var cardRemoved: Self { Self("card-removed") }
    /// The accounting service cannot be reached or answered an error (exit 69); what was done at
    /// the card stays done, and the same command finishes the rest.
    public static var accountingUnavailable: Self { Self("accounting-unavailable") }
    /// The accounting service refused the operator token (exit 77).
    public static var accountingRefused: Self { Self("accounting-refused") }
    /// Anything else (exit 70).
    public static var unexpected: Self { Self("unexpected") }
}
