import Desk
import DeskRegistry
import Hummingbird

/// A failure as the clerk is told it: which kind it is (their input, something already done,
/// the system), what happened in each language, and what to do next.
///
/// The kinds matter at the counter: wrong input is fixed by the clerk now; "already done" means
/// nothing more is needed; a system failure means call the administrator (or put the card back
/// and repeat, for a card taken away mid-way).
public struct StaffFacingError: Error, Sendable {
    /// Which kind of failure.
    public enum Kind: String, Sendable {
        /// The request as given cannot be carried out: fix the input.
        case wrongInput = "wrong-input"
        /// It was done before; nothing changed.
        case alreadyDone = "already-done"
        /// Not allowed for this member of staff, or a form not from this session.
        case forbidden
        /// Not logged in.
        case unauthenticated
        /// What was asked for does not exist.
        case notFound = "not-found"
        /// Too many attempts.
        case tooManyAttempts = "too-many-attempts"
        /// The reader, the database, the accounting service or the program failed.
        case systemFailure = "system-failure"
    }

    /// The kind.
    public var kind: Kind
    /// What happened, in Ukrainian.
    public var ukrainian: String
    /// What happened, in English.
    public var english: String

    /// Creates a failure.
    public init(_ kind: Kind, ukrainian: String, english: String) {
        self.kind = kind
        self.ukrainian = ukrainian
        self.english = english
    }

    /// The HTTP status the page is sent with.
    public var status: HTTPResponse.Status {
        switch kind {
        case .wrongInput: .badRequest
        case .alreadyDone: .conflict
        case .forbidden: .forbidden
        case .unauthenticated: .unauthorized
        case .notFound: .notFound
        case .tooManyAttempts: .tooManyRequests
        case .systemFailure: .serviceUnavailable
        }
    }

    /// The heading of the error page.
    public func title(_ language: WebLanguage) -> String {
        switch kind {
        case .wrongInput: language.text("Неправильні дані", "Wrong input")
        case .alreadyDone: language.text("Уже зроблено", "Already done")
        case .forbidden: language.text("Не дозволено", "Not allowed")
        case .unauthenticated: language.text("Потрібно увійти", "Please log in")
        case .notFound: language.text("Не знайдено", "Not found")
        case .tooManyAttempts: language.text("Забагато спроб", "Too many attempts")
        case .systemFailure: language.text("Збій системи", "System failure")
        }
    }

    /// What the clerk should do next.
    public func advice(_ language: WebLanguage) -> String {
        switch kind {
        case .wrongInput: language.text("Виправте дані у формі й надішліть знову. Нічого не змінено.", "Correct the form and send it again. Nothing was changed.")
        case .alreadyDone: language.text("Повторювати не потрібно: дію вже виконано раніше.", "No need to repeat: this was done before.")
        case .forbidden: language.text("Нічого не змінено. Зверніться до керівника або оновіть сторінку й спробуйте знову.", "Nothing was changed. Ask a supervisor, or reload the page and try again.")
        case .unauthenticated: language.text("Увійдіть у систему й повторіть дію.", "Log in and repeat the action.")
        case .notFound: language.text("Перевірте номер і спробуйте знову.", "Check the number and try again.")
        case .tooManyAttempts: language.text("Зачекайте 15 хвилин або зверніться до керівника.", "Wait 15 minutes or ask a supervisor.")
        case .systemFailure: language.text("Спробуйте ще раз за хвилину; якщо не допомагає — зверніться до адміністратора. Дію, перервану посередині, можна повторити: вона продовжиться.", "Try again in a minute; if that does not help, call the administrator. An action interrupted mid-way can be repeated: it resumes.")
        }
    }

    /// The failure `error` is, for the clerk; the Desk's and the registry's own sentences kept.
    public init(_ error: any Error) {
        switch error {
        case let error as StaffFacingError:
            self = error
        case let error as DeskError:
            let kind: Kind
            switch error.code {
            case .invalidRequest, .refused: kind = .wrongInput
            case .cardRemoved: kind = .wrongInput
            default: kind = .systemFailure
            }
            self.init(kind, ukrainian: error.ukrainian, english: error.reason)
        case let error as RegistryError:
            let kind: Kind
            switch error.code {
            case .invalidRequest, .refused: kind = .wrongInput
            case .notFound: kind = .notFound
            case .alreadyDone: kind = .alreadyDone
            default: kind = .systemFailure
            }
            self.init(kind, ukrainian: error.ukrainian, english: error.reason)
        case let error as RegistryRuleError:
            self.init(RegistryError(error))
        default:
            // A card, reader or accounting failure: the Desk knows how to say it.
            self.init(DeskError(error))
        }
    }
}
