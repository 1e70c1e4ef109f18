import Entitlements

/// The web app's staff, sessions and audit log, in the registry's database (schema step 4).
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

    /// The member of staff with `username`, or nil.
    public func staffMember(_ username: String) async throws -> StaffMember? {
        try await engine.transaction { sql in
            guard let row = try await sql.rows(
                "SELECT username, role, password_hash, created_at, disabled_at FROM staff WHERE username = ?", [.text(username)]
            ).first, let name = row.text(0), let role = row.text(1).flatMap(StaffRole.init(rawValue:)), let hash = row.text(2)
            else { return nil }
            return StaffMember(
                username: name, role: role, passwordHash: hash, createdAt: UnixTime(row.integer(3) ?? 0), disabledAt: row.integer(4).map { UnixTime(rawValue: $0) })
        }
    }

    /// Every member of staff, by name.
    public func staffMembers() async throws -> [StaffMember] {
        try await engine.transaction { sql in
            try await sql.rows("SELECT username, role, password_hash, created_at, disabled_at FROM staff ORDER BY username", []).compactMap { row in
                guard let name = row.text(0), let role = row.text(1).flatMap(StaffRole.init(rawValue:)), let hash = row.text(2) else { return nil }
                return StaffMember(
                    username: name, role: role, passwordHash: hash, createdAt: UnixTime(row.integer(3) ?? 0), disabledAt: row.integer(4).map { UnixTime(rawValue: $0) })
            }
        }
    }

    // MARK: Sessions

    /// Opens a session: `tokenDigest` is the SHA-256 of the cookie's token (the token itself is
    /// never stored), `csrfToken` the token its forms carry.
    public func openSession(tokenDigest: [UInt8], username: String, csrfToken: String, expiresAt: UnixTime, at time: UnixTime) async throws {
        try await engine.transaction { sql in
            // Sessions that ended are removed as new ones open: the table stays small.
            try await sql.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", [.integer(time.rawValue)])
            try await sql.execute(
                "INSERT INTO staff_sessions (token_digest, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                [.blob(tokenDigest), .text(username), .text(csrfToken), .integer(time.rawValue), .integer(expiresAt.rawValue)])
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
