import Entitlements

/// What a member of the desk's staff may do in the web app.
///
/// Blocking a card, erasing a person and deregistering a card (returned for a death or a move
/// away) need a supervisor: they end a citizen's travel or remove their data, so a second, more
/// senior person answers for them.
public enum StaffRole: String, Hashable, Sendable, CaseIterable {
    /// Searches, issues, renews, tops up, replaces, reads for a dispute.
    case clerk
    /// Everything a clerk does, and blocks, erases and deregisters.
    case supervisor

    /// The role's name for the clerk's screen.
    public var ukrainian: String {
        switch self {
        case .clerk: "працівник"
        case .supervisor: "керівник"
        }
    }

    /// The role's name in English.
    public var english: String { rawValue }
}

/// A member of staff as stored: the password only as its bcrypt hash.
public struct StaffMember: Hashable, Sendable {
    /// The login name.
    public var username: String
    /// The role.
    public var role: StaffRole
    /// The bcrypt hash of the password (`$2b$…`).
    public var passwordHash: String
    /// When the account was made.
    public var createdAt: UnixTime
    /// When it was disabled, if it was (a disabled account cannot log in).
    public var disabledAt: UnixTime?
    /// When it last logged in to the web app, if ever.
    public var lastLoginAt: UnixTime?

    /// Creates a record.
    public init(username: String, role: StaffRole, passwordHash: String, createdAt: UnixTime, disabledAt: UnixTime? = nil, lastLoginAt: UnixTime? = nil) {
        self.username = username
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.lastLoginAt = lastLoginAt
    }

    /// Whether the account may log in.
    public var isActive: Bool { disabledAt == nil }

    /// Checks a login name: 2 to 40 lower-case Latin letters, digits, `.`, `-`, `_`, starting
    /// with a letter (it is printed in the audit log and on every page).
    public static func validUsername(_ text: String) -> Bool {
        guard (2...40).contains(text.count), let first = text.first, first.isASCII, first.isLetter, first.isLowercase else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }
}

/// A logged-in session, as the web app finds it by its cookie.
public struct StaffSession: Hashable, Sendable {
    /// Who.
    public var username: String
    /// Their role (read at every request, so a demotion takes effect at once).
    public var role: StaffRole
    /// The session's CSRF token, which every form of the session carries.
    public var csrfToken: String
    /// When the session ends.
    public var expiresAt: UnixTime

    /// Creates a session record.
    public init(username: String, role: StaffRole, csrfToken: String, expiresAt: UnixTime) {
        self.username = username
        self.role = role
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}

/// One line of the web app's audit log: every request and every action, who, when, what
/// changed. Subjects and details name holder ids and card serials, never a document number,
/// and the query strings of searches are not kept.
public struct AuditEntry: Hashable, Sendable {
    /// Its number (rising).
    public var id: Int64
    /// When.
    public var at: UnixTime
    /// The member of staff, or `-` before a login.
    public var username: String
    /// What (`GET /search`, `card.block`, `login.failed`, …).
    public var action: String
    /// Which record (`holder 42`, `card 0123-…`, a path).
    public var subject: String
    /// What changed, summarized.
    public var detail: String
    /// `ok`, `refused`, `failed`, or the HTTP status of a request.
    public var outcome: String

    /// Creates an entry (the id is given by the store).
    public init(id: Int64 = 0, at: UnixTime, username: String, action: String, subject: String, detail: String, outcome: String) {
        self.id = id
        self.at = at
        self.username = username
        self.action = action
        self.subject = subject
        self.detail = detail
        self.outcome = outcome
    }
}
