@testable import DeskRegistry
import Entitlements
import Testing

/// The web app's staff, sessions and audit log in the registry (schema step 4), on both engines.
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
}
