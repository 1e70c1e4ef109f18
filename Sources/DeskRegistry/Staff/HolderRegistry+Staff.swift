import Entitlements

/// The web app's staff, sessions and audit log, in the registry's database (schema steps 4 and 5).
extension HolderRegistry {
    // MARK: Staff

    /// Adds a member of staff; refused if the login name is taken or malformed. The password
    /// arrives already hashed: the registry never sees it.
    public func addStaff(_ member: StaffMember, at time: UnixTime) async throws {
        guard StaffMember.validUsername(member.username) else {
            throw RegistryError(
                .invalidRequest, ukrainian: "ім'я користувача: 2–40 малих латинських літер, цифр, «.», «-», «_», першою літера",
                english: "a username is 2 to 40 lower-case Latin letters, digits, '.', '-' or '_', starting with a letter")
        }
        guard member.passwordHash.hasPrefix("$2") else {
            throw RegistryError(.invalidRequest, ukrainian: "пароль має бути збережено як bcrypt-хеш", english: "the password must be stored as a bcrypt hash")
        }
        try await engine.transaction { sql in
            if try await sql.rows("SELECT username FROM staff WHERE username = ?", [.text(member.username)]).first != nil {
                throw RegistryError(
                    .alreadyDone, ukrainian: "користувач \(member.username) уже є", english: "user \(member.username) exists already")
            }
            try await sql.execute(
                "INSERT INTO staff (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [.text(member.username), .text(member.role.rawValue), .text(member.passwordHash), .integer(time.rawValue), .integer(time.rawValue)])
            try await Self.audit(
                sql, AuditEntry(at: time, username: "-", action: "staff.add", subject: "staff \(member.username)", detail: "role \(member.role.rawValue)", outcome: "ok"))
        }
    }

    static let staffColumns = "username, role, password_hash, created_at, disabled_at, last_login_at"

    static func staffMember(_ row: DatabaseRow) -> StaffMember? {
        guard let name = row.text(0), let role = row.text(1).flatMap(StaffRole.init(rawValue:)), let hash = row.text(2) else { return nil }
        return StaffMember(
            username: name, role: role, passwordHash: hash, createdAt: UnixTime(row.integer(3) ?? 0), disabledAt: row.integer(4).map { UnixTime(rawValue: $0) },
            lastLoginAt: row.integer(5).map { UnixTime(rawValue: $0) })
    }

    /// The member of staff with `username`, or nil.
    public func staffMember(_ username: String) async throws -> StaffMember? {
        try await engine.transaction { sql in
            try await sql.rows("SELECT \(Self.staffColumns) FROM staff WHERE username = ?", [.text(username)]).first.flatMap(Self.staffMember)
        }
    }

    /// Every member of staff, by name.
    public func staffMembers() async throws -> [StaffMember] {
        try await engine.transaction { sql in
            try await sql.rows("SELECT \(Self.staffColumns) FROM staff ORDER BY username", []).compactMap(Self.staffMember)
        }
    }

    /// Disables an account (`disabled: true`) or enables it again; `by` is who asked (`-` from
    /// the command line). A disabled account cannot log in, and its sessions are deleted in the
    /// same transaction, so it is logged out at once rather than when its cookie expires.
    ///
    /// The last active supervisor cannot be disabled: nobody would be left to block a stolen
    /// card or enable an account again from the web app. Two supervisors disabling each other
    /// at the same moment cannot both pass: every supervisor row is locked (an update that
    /// changes nothing) before the active ones are counted, so the second transaction counts
    /// after the first has committed (PostgreSQL; SQLite has one writer at a time anyway).
    public func setStaffDisabled(_ username: String, _ disabled: Bool, by actor: String, at time: UnixTime) async throws {
        try await engine.transaction { sql in
            try await sql.execute("UPDATE staff SET updated_at = updated_at WHERE role = 'supervisor'", [])
            guard let member = try await sql.rows("SELECT \(Self.staffColumns) FROM staff WHERE username = ?", [.text(username)]).first.flatMap(Self.staffMember)
            else {
                throw RegistryError(.notFound, ukrainian: "користувача \(username) немає; перевірте ім'я (staff list)", english: "there is no user \(username); check the name (staff list)")
            }
            guard member.isActive == disabled else {
                throw RegistryError(
                    .alreadyDone, ukrainian: disabled ? "користувача \(username) уже вимкнено" : "користувача \(username) уже ввімкнено",
                    english: disabled ? "user \(username) is disabled already" : "user \(username) is enabled already")
            }
            if disabled && member.role == .supervisor {
                let others = try await sql.integer(
                    "SELECT COUNT(*) FROM staff WHERE role = 'supervisor' AND disabled_at IS NULL AND username <> ?", [.text(username)]) ?? 0
                // (A refusal rolls the transaction back; the web app audits it as refused.)
                guard others > 0 else {
                    throw RegistryError(
                        .refused, ukrainian: "\(username) — останній активний керівник; спершу додайте або ввімкніть іншого керівника",
                        english: "\(username) is the last active supervisor; add or enable another supervisor first")
                }
            }
            try await sql.execute(
                "UPDATE staff SET disabled_at = ?, updated_at = ? WHERE username = ?",
                [disabled ? .integer(time.rawValue) : .null, .integer(time.rawValue), .text(username)])
            var detail = "role \(member.role.rawValue)"
            if disabled {
                let sessions = try await sql.integer("SELECT COUNT(*) FROM staff_sessions WHERE username = ?", [.text(username)]) ?? 0
                try await sql.execute("DELETE FROM staff_sessions WHERE username = ?", [.text(username)])
                detail += ", sessions ended: \(sessions)"
            }
            try await Self.audit(
                sql, AuditEntry(at: time, username: actor, action: disabled ? "staff.disable" : "staff.enable", subject: "staff \(username)", detail: detail, outcome: "ok"))
        }
    }

    /// Sets a new password (already hashed) and ends the account's sessions but `keepingSession`
    /// (the one the change was made from, in the web app; nil from the command line): whoever
    /// knew the old password is logged out.
    public func changeStaffPassword(
        _ username: String, passwordHash: String, keepingSession kept: [UInt8]? = nil, by actor: String, at time: UnixTime
    ) async throws {
        guard passwordHash.hasPrefix("$2") else {
            throw RegistryError(.invalidRequest, ukrainian: "пароль має бути збережено як bcrypt-хеш", english: "the password must be stored as a bcrypt hash")
        }
        try await engine.transaction { sql in
            guard try await sql.rows("SELECT username FROM staff WHERE username = ?", [.text(username)]).first != nil else {
                throw RegistryError(.notFound, ukrainian: "користувача \(username) немає; перевірте ім'я (staff list)", english: "there is no user \(username); check the name (staff list)")
            }
            try await sql.execute(
                "UPDATE staff SET password_hash = ?, updated_at = ? WHERE username = ?", [.text(passwordHash), .integer(time.rawValue), .text(username)])
            let others: [DatabaseValue] = [.text(username), .blob(kept ?? [])]
            let ended = try await sql.integer("SELECT COUNT(*) FROM staff_sessions WHERE username = ? AND token_digest <> ?", others) ?? 0
            try await sql.execute("DELETE FROM staff_sessions WHERE username = ? AND token_digest <> ?", others)
            try await Self.audit(
                sql, AuditEntry(at: time, username: actor, action: "staff.password", subject: "staff \(username)", detail: "other sessions ended: \(ended)", outcome: "ok"))
        }
    }

    /// How many unexpired sessions `username` has at `time` (the staff page; tests).
    public func sessionCount(_ username: String, at time: UnixTime) async throws -> Int {
        try await engine.transaction { sql in
            Int(try await sql.integer("SELECT COUNT(*) FROM staff_sessions WHERE username = ? AND expires_at > ?", [.text(username), .integer(time.rawValue)]) ?? 0)
        }
    }

    // MARK: Sessions

    /// Opens a session: `tokenDigest` is the SHA-256 of the cookie's token (the token itself is
    /// never stored), `csrfToken` the token its forms carry. The account's last login becomes `time`.
    public func openSession(tokenDigest: [UInt8], username: String, csrfToken: String, expiresAt: UnixTime, at time: UnixTime) async throws {
        try await engine.transaction { sql in
            // Sessions that ended are removed as new ones open: the table stays small.
            try await sql.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", [.integer(time.rawValue)])
            try await sql.execute(
                "INSERT INTO staff_sessions (token_digest, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                [.blob(tokenDigest), .text(username), .text(csrfToken), .integer(time.rawValue), .integer(expiresAt.rawValue)])
            try await sql.execute("UPDATE staff SET last_login_at = ? WHERE username = ?", [.integer(time.rawValue), .text(username)])
        }
    }

    /// The live session whose token hashes to `tokenDigest` at `time`, with its member's current
    /// role; nil when there is none, it expired, or the account is disabled.
    public func session(tokenDigest: [UInt8], at time: UnixTime) async throws -> StaffSession? {
        try await engine.transaction { sql in
            guard let row = try await sql.rows(
                """
                SELECT s.username, m.role, s.csrf_token, s.expires_at FROM staff_sessions s JOIN staff m ON m.username = s.username
                WHERE s.token_digest = ? AND s.expires_at > ? AND m.disabled_at IS NULL
                """, [.blob(tokenDigest), .integer(time.rawValue)]
            ).first, let name = row.text(0), let role = row.text(1).flatMap(StaffRole.init(rawValue:)), let csrf = row.text(2), let expires = row.integer(3)
            else { return nil }
            return StaffSession(username: name, role: role, csrfToken: csrf, expiresAt: UnixTime(rawValue: expires))
        }
    }

    /// Ends a session (logout).
    public func closeSession(tokenDigest: [UInt8]) async throws {
        try await engine.transaction { sql in try await sql.execute("DELETE FROM staff_sessions WHERE token_digest = ?", [.blob(tokenDigest)]) }
    }

    // MARK: Audit

    /// Appends an entry to the audit log (the table refuses updates and deletes).
    public func appendAudit(_ entry: AuditEntry) async throws {
        try await engine.transaction { sql in try await Self.audit(sql, entry) }
    }

    /// The newest audit entries, newest first, `limit` from `offset`.
    public func auditLog(limit: Int = 100, offset: Int = 0) async throws -> [AuditEntry] {
        try await engine.transaction { sql in
            try await sql.rows(
                "SELECT id, at, username, action, subject, detail, outcome FROM staff_audit ORDER BY id DESC LIMIT ? OFFSET ?",
                [.integer(Int64(max(1, min(limit, 1000)))), .integer(Int64(max(0, offset)))]
            ).map { row in
                AuditEntry(
                    id: row.integer(0) ?? 0, at: UnixTime(row.integer(1) ?? 0), username: row.text(2) ?? "", action: row.text(3) ?? "",
                    subject: row.text(4) ?? "", detail: row.text(5) ?? "", outcome: row.text(6) ?? "")
            }
        }
    }

    static func audit(_ sql: any RegistryTransaction, _ entry: AuditEntry) async throws {
        try await sql.execute(
            "INSERT INTO staff_audit (at, username, action, subject, detail, outcome) VALUES (?, ?, ?, ?, ?, ?)",
            [.integer(entry.at.rawValue), .text(entry.username), .text(entry.action), .text(entry.subject), .text(entry.detail), .text(entry.outcome)])
    }
}
