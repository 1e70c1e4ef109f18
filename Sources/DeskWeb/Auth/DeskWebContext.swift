import DeskRegistry
import Hummingbird

/// The state of one request to the desk web app: who is logged in, in which language.
public struct DeskWebContext: RequestContext {
    /// Hummingbird's own per-request state.
    public var coreContext: CoreRequestContextStorage
    /// The logged-in member of staff (set by the session middleware), nil before a login.
    public internal(set) var staff: StaffSession?
    /// The SHA-256 of the session cookie's token, for logout.
    var sessionDigest: [UInt8]?
    /// The language of the pages.
    public internal(set) var language: WebLanguage = .uk

    /// A new request: nobody logged in yet.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    /// The logged-in member of staff, or a refusal.
    func requireStaff() throws -> StaffSession {
        guard let staff else {
            throw StaffFacingError(.unauthenticated, ukrainian: "сеанс закінчився або ви не ввійшли", english: "your session ended or you are not logged in")
        }
        return staff
    }

    /// The logged-in supervisor, or a refusal naming what needs one.
    func requireSupervisor(for action: (uk: String, en: String)) throws -> StaffSession {
        let staff = try requireStaff()
        guard staff.role == .supervisor else {
            throw StaffFacingError(
                .forbidden, ukrainian: "\(action.uk) може лише керівник; ваша роль — \(staff.role.ukrainian)",
                english: "only a supervisor may \(action.en); your role is \(staff.role.english)")
        }
        return staff
    }
}
