import AccountingCore
import AccountingStore
import Bundles
import HTTPTypes
import Hummingbird
import LedgerCore
import Localization

/// A refusal the service answers with: an HTTP status and the JSON error body
/// (`{"error": {"code", "message": {"uk", "en"}, "resumeSequence"?}}`, docs/accounting.md).
///
/// Handlers and middleware throw it; Hummingbird turns it into the response (`HTTPResponseError`),
/// so a refusal reads the same wherever it is raised. Equality compares the code (`CodedError`).
public struct AccountingServiceError: CodedError, HTTPResponseError {
    /// The protocol code.
    public typealias Code = AccountingErrorCode

    /// The protocol code (`error.code`).
    public let code: Code
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The explanation in Ukrainian.
    public let ukrainian: String
    /// The explanation in English.
    public let english: String
    /// For `gap`: the sequence to resume from.
    public let resumeSequence: UInt64?
    /// Extra response headers (`WWW-Authenticate` on a 401).
    public let headers: HTTPFields
    /// The source file where the error was raised.
    public let file: String
    /// The source line where the error was raised.
    public let line: UInt

    /// Creates a refusal; the location is filled in for you.
    public init(
        _ status: HTTPResponse.Status, _ code: Code, uk: String, en: String, resumeSequence: UInt64? = nil,
        headers: HTTPFields = [:], file: String = #fileID, line: UInt = #line
    ) {
        self.status = status
        self.code = code
        self.ukrainian = uk
        self.english = en
        self.resumeSequence = resumeSequence
        self.headers = headers
        self.file = file
        self.line = line
    }

    /// The English explanation, which `description` shows after the code.
    public var reason: String { english }

    /// The JSON error body with the status and headers.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Handlers.json(
            ErrorResponse(code: code, uk: ukrainian, en: english, resumeSequence: resumeSequence), status: status,
            headers: headers)
    }
}

extension AccountingServiceError {
    /// A request or batch that cannot be read: 413 when too large, else 400.
    init(_ error: AccountingError, file: String = #fileID, line: UInt = #line) {
        self.init(
            error.code == .tooLarge ? .contentTooLarge : .badRequest, error.code, uk: error.ukrainian, en: error.english,
            file: file, line: line)
    }

    /// A body larger than `limits` allows.
    static func tooLarge(_ limits: AccountingLimits) -> Self {
        // After «до» the numeral phrase is genitive: до 1 байта, до 2 байтів, до 5 байтів.
        let bytesUK = UkrainianNoun(one: "байта", few: "байтів", many: "байтів").counted(limits.maximumBodyBytes)
        return Self(
            .contentTooLarge, .tooLarge, uk: "тіло запиту завелике (до \(bytesUK))",
            en: "the request body is too large (at most \(EnglishNoun.byte.counted(limits.maximumBodyBytes)))")
    }

    /// A device request that does not authenticate: 401 (with a challenge) or 403.
    init(refusing refusal: DeviceAuthRefusal) {
        let status: HTTPResponse.Status = refusal.httpStatus == 401 ? .unauthorized : .forbidden
        var headers: HTTPFields = [:]
        if status == .unauthorized { headers[.wwwAuthenticate] = "HromadaDevice" }
        self.init(status, refusal.code, uk: refusal.ukrainian, en: refusal.english, headers: headers)
    }

    /// A device registration the service refuses: 409 when the key belongs to another device, else 422.
    init(refusing refusal: DeviceRegistrationRefusal) {
        self.init(
            refusal.httpStatus == 409 ? .conflict : .unprocessableContent, refusal.code, uk: refusal.ukrainian, en: refusal.english)
    }

    /// A batch that starts after the held head.
    static func gap(resumeSequence resume: UInt64) -> Self {
        Self(
            .conflict, .gap, uk: "бракує записів перед пакетом; продовжіть з №\(resume)",
            en: "entries are missing before the batch; resume at \(resume)", resumeSequence: resume)
    }

    /// A batch that contradicts held entries (the alarm is already recorded).
    static func chainConflict(_ conflict: ChainConflict) -> Self {
        Self(
            .conflict, .chainConflict, uk: "пакет суперечить збереженим записам (№\(conflict.sequence)); зафіксовано тривогу",
            en: "the batch contradicts held entries at \(conflict.sequence); a tamper alarm was recorded")
    }

    /// A batch that is not a valid device-signed chain segment: 403 for another device's batch, else 422.
    init(rejecting rejection: BatchRejection) {
        let status: HTTPResponse.Status = rejection.code == .deviceMismatch ? .forbidden : .unprocessableContent
        self.init(status, rejection.code, uk: rejection.ukrainian, en: rejection.english)
    }

    /// A bundle the service refuses to store: 409 for an old version, 400 unreadable, else 422.
    init(refusing refusal: BundleRefusal) {
        let status: HTTPResponse.Status
        switch refusal {
        case .notNewer, .rollback: status = .conflict
        case .malformed: status = .badRequest
        default: status = .unprocessableContent
        }
        self.init(
            status, AccountingErrorCode(refusing: refusal), uk: "пакет не прийнято (\(refusal.name))",
            en: "the bundle is refused: \(refusal)")
    }

    /// A path that names no bundle kind.
    static var unknownBundleKind: Self {
        Self(.notFound, .unknownBundleKind, uk: "невідомий вид пакета", en: "bundle kinds are trust, tariff, denylist")
    }

    /// A request field outside its allowed form.
    static func invalidField(uk: String, en: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.badRequest, .invalidField, uk: uk, en: en, file: file, line: line)
    }

    /// A body that is not the JSON the endpoint expects.
    static func malformedBody(uk: String, en: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.badRequest, .malformedBody, uk: uk, en: en, file: file, line: line)
    }

    /// An unexpected failure; its details belong in the log, never in the answer.
    static func internalError(file: String = #fileID, line: UInt = #line) -> Self {
        Self(.internalServerError, .internalError, uk: "внутрішня помилка сервісу", en: "internal service error", file: file, line: line)
    }
}
