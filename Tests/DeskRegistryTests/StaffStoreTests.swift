@testable import DeskRegistry
import Entitlements
import Testing

/// The web app's staff, sessions and audit log in the registry (schema steps 4 and 5), on both engines.
@Suite("Registry: staff, sessions, audit log")
struct StaffStoreTests {
    @Test("staff added once; a session found by its digest until it expires or is closed; the audit log refuses changes", arguments: RegistryEngineUnderTest.all)
    func staffSessionsAudit(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        try await location.withTestRegistry { registry in
            let hash = "$2b$04$abcdefghijklmnopqrstuuJ3Pq6v6m9iW6rS0bq0n4M1qf4b3b8iK"
            try await registry.addStaff(StaffMember(username: "olena", role: .supervisor, passwordHash: hash, createdAt: Fixture.now), at: Fixture.now)
            await #expect(throws: RegistryError(.alreadyDone, ukrainian: "", english: "")) {
                try await registry.addStaff(StaffMember(username: "olena", role: .clerk, passwordHash: hash, createdAt: Fixture.now), at: Fixture.now)
            }
            await #expect(throws: RegistryError(.invalidRequest, ukrainian: "", english: "")) {
                try await registry.addStaff(StaffMember(username: "<b>x</b>", role: .clerk, passwordHash: hash, createdAt: Fixture.now), at: Fixture.now)
            }
            #expect(try await registry.staffMember("olena")?.role == .supervisor)

            let digest = [UInt8](repeating: 7, count: 32)
            try await registry.openSession(tokenDigest: digest, username: "olena", csrfToken: "c", expiresAt: Fixture.now.adding(seconds: 60), at: Fixture.now)
            #expect(try await registry.session(tokenDigest: digest, at: Fixture.now)?.username == "olena")
            #expect(try await registry.session(tokenDigest: digest, at: Fixture.now.adding(seconds: 60)) == nil)
            #expect(try await registry.session(tokenDigest: [UInt8](repeating: 8, count: 32), at: Fixture.now) == nil)
            try await registry.closeSession(tokenDigest: digest)
            #expect(try await registry.session(tokenDigest: digest, at: Fixture.now) == nil)

            try await registry.appendAudit(AuditEntry(at: Fixture.now, username: "olena", action: "card.block", subject: "card 1", detail: "reason lost", outcome: "ok"))
            let log = try await registry.auditLog()
            #expect(log.map(\.action) == ["card.block", "staff.add"])
            await #expect(throws: (any Error).self) {
                try await registry.engine.transaction { sql in try await sql.execute("UPDATE staff_audit SET outcome = 'changed'", []) }
            }
            await #expect(throws: (any Error).self) {
                try await registry.engine.transaction { sql in try await sql.execute("DELETE FROM staff_audit", []) }
            }
            #expect(try await registry.auditLog().map(\.outcome) == ["ok", "ok"])
        }
    }

    @Test("disabling ends an account's sessions at once; the last active supervisor is kept; a new password ends the other sessions; logins are dated", arguments: RegistryEngineUnderTest.all)
    func disableEnablePassword(_ engine: RegistryEngineUnderTest) async throws {
        let location = try await engine.freshLocation()
        try await location.withTestRegistry { registry in
            let hash = "$2b$04$abcdefghijklmnopqrstuuJ3Pq6v6m9iW6rS0bq0n4M1qf4b3b8iK"
            let later = Fixture.now.adding(seconds: 600)
            try await registry.addStaff(StaffMember(username: "olena", role: .supervisor, passwordHash: hash, createdAt: Fixture.now), at: Fixture.now)
            try await registry.addStaff(StaffMember(username: "ivan", role: .clerk, passwordHash: hash, createdAt: Fixture.now), at: Fixture.now)
            #expect(try await registry.staffMember("ivan")?.lastLoginAt == nil)
            let first = [UInt8](repeating: 1, count: 32), second = [UInt8](repeating: 2, count: 32), third = [UInt8](repeating: 3, count: 32)
            for digest in [first, second] {
                try await registry.openSession(tokenDigest: digest, username: "ivan", csrfToken: "c", expiresAt: later.adding(seconds: 3600), at: later)
            }
            #expect(try await registry.staffMember("ivan")?.lastLoginAt == later)
            #expect(try await registry.sessionCount("ivan", at: later) == 2)

            // Disabled: both sessions are gone, not just hidden, so enabling does not revive them.
            try await registry.setStaffDisabled("ivan", true, by: "olena", at: later)
            #expect(try await registry.staffMember("ivan")?.disabledAt == later)
            #expect(try await registry.sessionCount("ivan", at: later) == 0)
            #expect(try await registry.session(tokenDigest: first, at: later) == nil)
            await #expect(throws: RegistryError(.alreadyDone, ukrainian: "", english: "")) { try await registry.setStaffDisabled("ivan", true, by: "olena", at: later) }
            try await registry.setStaffDisabled("ivan", false, by: "olena", at: later)
            #expect(try await registry.staffMember("ivan")?.isActive == true)
            #expect(try await registry.session(tokenDigest: first, at: later) == nil)
            await #expect(throws: RegistryError(.alreadyDone, ukrainian: "", english: "")) { try await registry.setStaffDisabled("ivan", false, by: "olena", at: later) }
            await #expect(throws: RegistryError(.notFound, ukrainian: "", english: "")) { try await registry.setStaffDisabled("nobody", true, by: "olena", at: later) }

            // The last active supervisor stays; a second one lets the first go, then is the last.
            await #expect(throws: RegistryError(.refused, ukrainian: "", english: "")) { try await registry.setStaffDisabled("olena", true, by: "olena", at: later) }
            #expect(try await registry.staffMember("olena")?.isActive == true)
            try await registry.addStaff(StaffMember(username: "maria", role: .supervisor, passwordHash: hash, createdAt: later), at: later)
            try await registry.setStaffDisabled("olena", true, by: "maria", at: later)
            await #expect(throws: RegistryError(.refused, ukrainian: "", english: "")) { try await registry.setStaffDisabled("maria", true, by: "-", at: later) }
            #expect(try await registry.staffMembers().filter { $0.role == .supervisor && $0.isActive }.map(\.username) == ["maria"])

            // A new password: the session it was set from stays, the others end.
            for digest in [first, second, third] {
                try await registry.openSession(tokenDigest: digest, username: "ivan", csrfToken: "c", expiresAt: later.adding(seconds: 3600), at: later)
            }
            let newHash = "$2b$04$zyxwvutsrqponmlkjihgfeJ3Pq6v6m9iW6rS0bq0n4M1qf4b3b8iK"
            try await registry.changeStaffPassword("ivan", passwordHash: newHash, keepingSession: second, by: "ivan", at: later)
            #expect(try await registry.staffMember("ivan")?.passwordHash == newHash)
            #expect(try await registry.session(tokenDigest: second, at: later)?.username == "ivan")
            #expect(try await registry.session(tokenDigest: first, at: later) == nil)
            #expect(try await registry.session(tokenDigest: third, at: later) == nil)
            try await registry.changeStaffPassword("ivan", passwordHash: hash, by: "-", at: later)
            #expect(try await registry.sessionCount("ivan", at: later) == 0)
            await #expect(throws: RegistryError(.invalidRequest, ukrainian: "", english: "")) {
                try await registry.changeStaffPassword("ivan", passwordHash: "plain text", by: "-", at: later)
            }
            await #expect(throws: RegistryError(.notFound, ukrainian: "", english: "")) { try await registry.changeStaffPassword("nobody", passwordHash: hash, by: "-", at: later) }

            let log = try await registry.auditLog().filter { $0.action.hasPrefix("staff.") && $0.action != "staff.add" }
            #expect(log.reversed().map { "\($0.username) \($0.action) \($0.subject) \($0.detail)" } == [
                "olena staff.disable staff ivan role clerk, sessions ended: 2",
                "olena staff.enable staff ivan role clerk",
                "maria staff.disable staff olena role supervisor, sessions ended: 0",
                "ivan staff.password staff ivan other sessions ended: 2",
                "- staff.password staff ivan other sessions ended: 1",
            ])
        }
    }
}
