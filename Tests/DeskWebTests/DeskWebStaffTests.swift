import DeskRegistry
import DeskWeb
import Entitlements
import HummingbirdBcrypt
import Testing

/// Staff management in the web app over HTTP: a clerk's own password, the supervisors' staff
/// page, disabled accounts, and the refusals around them.
@Suite("Desk web app: staff")
struct DeskWebStaffTests {
    static let newPassword = "a new and longer password"

    @Test("a supervisor disables a clerk: the clerk's open session ends at once and the login is refused; enabled again, the clerk logs in")
    func disableAndEnable() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { supervisor in
                let clerk = WebClient(supervisor.client)
                #expect(try await clerk.login("ivan").status == .seeOther)
                #expect(try await clerk.get("/search").status == .ok)

                try await supervisor.login("olena")
                #expect(try await supervisor.get("/staff").status == .ok)
                #expect(supervisor.lastBody.contains("data-username=\"ivan\" data-active=\"yes\""))
                #expect(supervisor.lastBody.contains("action=\"/staff/ivan/disable\""))
                #expect(!supervisor.lastBody.contains("password_hash") && !supervisor.lastBody.contains("$2"))
                let disable = try await supervisor.post("/staff/ivan/disable", [("csrf", supervisor.csrf ?? "")])
                #expect(disable.status == .seeOther && disable.headers[.location] == "/staff")
                #expect(try await registry.staffMember("ivan")?.isActive == false)
                #expect(try await registry.sessionCount("ivan", at: WebFixture.now) == 0)

                // The clerk's page open in another browser: the next request finds no session.
                #expect(try await clerk.get("/search").headers[.location] == "/login")
                let refused = try await clerk.login("ivan")
                #expect(refused.status == .forbidden)
                #expect(clerk.lastBody.contains("обліковий запис ivan вимкнено; щоб увімкнути, зверніться до керівника"))
                #expect(!refused.headers[values: .setCookie].contains { $0.hasPrefix("hromada_session=") }, "no new session for a disabled account")
                #expect(try await clerk.get("/search").headers[.location] == "/login")

                try await supervisor.get("/staff")
                #expect(supervisor.lastBody.contains("data-username=\"ivan\" data-active=\"no\""))
                #expect(try await supervisor.post("/staff/ivan/enable", [("csrf", supervisor.csrf ?? "")]).status == .seeOther)
                #expect(try await clerk.login("ivan").status == .seeOther)
                try await supervisor.get("/staff")
                #expect(supervisor.lastBody.contains("data-username=\"ivan\" data-active=\"yes\""))

                let audit = try await registry.auditLog(limit: 200)
                #expect(audit.contains { $0.username == "olena" && $0.action == "staff.disable" && $0.subject == "staff ivan" && $0.outcome == "ok" && $0.detail.contains("sessions ended: 1") })
                #expect(audit.contains { $0.username == "olena" && $0.action == "staff.enable" && $0.subject == "staff ivan" && $0.outcome == "ok" })
                #expect(audit.contains { $0.action == "login.disabled" && $0.subject == "staff ivan" && $0.outcome == "refused" })
            }
        }
    }

    @Test("a clerk is refused the staff page and its actions, audited; the menu offers it to supervisors only")
    func clerkRefused() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/search")
                #expect(!web.lastBody.contains("href=\"/staff\"") && web.lastBody.contains("href=\"/account\""))
                let csrf = try #require(web.csrf)
                let page = try await web.get("/staff")
                #expect(page.status == .forbidden)
                #expect(web.lastBody.contains("Керувати працівниками може лише керівник; ваша роль — працівник"))
                #expect(!web.lastBody.contains("data-username=\"olena\""))
                #expect(try await web.post("/staff/olena/disable", [("csrf", csrf)]).status == .forbidden)
                #expect(try await registry.staffMember("olena")?.isActive == true)
                let audit = try await registry.auditLog(limit: 100)
                #expect(audit.contains { $0.username == "ivan" && $0.action == "staff.list" && $0.outcome == "refused" })
                #expect(audit.contains { $0.username == "ivan" && $0.action == "staff.disable" && $0.subject == "staff olena" && $0.outcome == "refused" })
                #expect(!audit.contains { $0.action == "staff.disable" && $0.outcome == "ok" })

                try await web.post("/logout", [("csrf", csrf)])
                try await web.login("olena")
                try await web.get("/search")
                #expect(web.lastBody.contains("href=\"/staff\""))
            }
        }
    }

    @Test("the last active supervisor cannot be disabled, not even by themselves; with a second supervisor they can")
    func lastSupervisor() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("olena")
                try await web.get("/staff")
                let csrf = try #require(web.csrf)
                let refused = try await web.post("/staff/olena/disable", [("csrf", csrf)])
                #expect(refused.status == .badRequest)
                #expect(web.lastBody.contains("olena — останній активний керівник; спершу додайте або ввімкніть іншого керівника"))
                #expect(try await registry.staffMember("olena")?.isActive == true)
                #expect(try await registry.auditLog(limit: 100).contains { $0.action == "staff.disable" && $0.subject == "staff olena" && $0.outcome == "refused" })
                // Disabling a clerk is not held back by the rule; nor, with another supervisor, is olena.
                #expect(try await web.post("/staff/ivan/disable", [("csrf", csrf)]).status == .seeOther)
                try await registry.addStaff(StaffMember(username: "maria", role: .supervisor, passwordHash: WebFixture.hash, createdAt: WebFixture.now), at: WebFixture.now)
                #expect(try await web.post("/staff/olena/disable", [("csrf", csrf)]).status == .seeOther)
                #expect(try await registry.staffMember("olena")?.isActive == false)
                // Her own session ended with it.
                #expect(try await web.get("/staff").headers[.location] == "/login")
            }
        }
    }

    @Test("forged CSRF tokens on the staff and password forms are refused and nothing changes")
    func forgedCSRF() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("olena")
                let forged = String(repeating: "0", count: 64)
                let disable = try await web.post("/staff/ivan/disable", [("csrf", forged)])
                #expect(disable.status == .forbidden)
                #expect(web.lastBody.contains("захисний код (CSRF) відсутній або не з цього сеансу"))
                #expect(try await web.post("/staff/ivan/disable", []).status == .forbidden)
                #expect(try await registry.staffMember("ivan")?.isActive == true)
                let before = try #require(try await registry.staffMember("olena")?.passwordHash)
                let password = try await web.post(
                    "/account/password", [("csrf", forged), ("current", WebFixture.password), ("new", Self.newPassword), ("repeat", Self.newPassword)])
                #expect(password.status == .forbidden)
                #expect(try await registry.staffMember("olena")?.passwordHash == before)
            }
        }
    }

    @Test("a clerk changes their own password: a wrong current password is refused, the other sessions end, this one stays")
    func changeOwnPassword() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                let elsewhere = WebClient(web.client)
                try await elsewhere.login("ivan")
                try await web.login("ivan")
                #expect(try await registry.sessionCount("ivan", at: WebFixture.now) == 2)
                #expect(try await web.get("/account").status == .ok)
                let csrf = try #require(web.csrf)
                let before = try #require(try await registry.staffMember("ivan")?.passwordHash)

                let wrong = try await web.post("/account/password", [("csrf", csrf), ("current", "not the password"), ("new", Self.newPassword), ("repeat", Self.newPassword)])
                #expect(wrong.status == .badRequest)
                #expect(web.lastBody.contains("чинний пароль неправильний; пароль не змінено"))
                let differ = try await web.post("/account/password", [("csrf", csrf), ("current", WebFixture.password), ("new", Self.newPassword), ("repeat", "something else")])
                #expect(differ.status == .badRequest && web.lastBody.contains("введіть однаковий двічі"))
                let short = try await web.post("/account/password", [("csrf", csrf), ("current", WebFixture.password), ("new", "short"), ("repeat", "short")])
                #expect(short.status == .badRequest && web.lastBody.contains("від 10 до 200 символів"))
                #expect(try await registry.staffMember("ivan")?.passwordHash == before)
                #expect(try await registry.sessionCount("ivan", at: WebFixture.now) == 2)

                let changed = try await web.post("/account/password", [("csrf", csrf), ("current", WebFixture.password), ("new", Self.newPassword), ("repeat", Self.newPassword)])
                #expect(changed.status == .ok)
                #expect(web.lastBody.contains("Пароль змінено; інші ваші сеанси завершено."))
                let hash = try #require(try await registry.staffMember("ivan")?.passwordHash)
                #expect(Bcrypt.verify(Self.newPassword, hash: hash) && !Bcrypt.verify(WebFixture.password, hash: hash))
                #expect(try await web.get("/search").status == .ok)
                #expect(try await elsewhere.get("/search").headers[.location] == "/login")
                #expect(try await elsewhere.login("ivan").status == .badRequest)
                #expect(try await elsewhere.login("ivan", password: Self.newPassword).status == .seeOther)

                let audit = try await registry.auditLog(limit: 200)
                #expect(audit.filter { $0.action == "staff.password" && $0.outcome == "refused" }.map(\.detail) == ["new password too short", "repeat differs", "wrong current password"])
                #expect(audit.contains { $0.username == "ivan" && $0.action == "staff.password" && $0.outcome == "ok" && $0.detail == "other sessions ended: 1" })
            }
        }
    }

    @Test("wrong current passwords count against the login limit: the sixth try is refused even with the right one")
    func passwordChangeRateLimited() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/account")
                let csrf = try #require(web.csrf)
                for _ in 0..<5 {
                    #expect(try await web.post("/account/password", [("csrf", csrf), ("current", "guess guess"), ("new", Self.newPassword), ("repeat", Self.newPassword)]).status == .badRequest)
                }
                let locked = try await web.post("/account/password", [("csrf", csrf), ("current", WebFixture.password), ("new", Self.newPassword), ("repeat", Self.newPassword)])
                #expect(locked.status == .tooManyRequests)
                #expect(web.lastBody.contains("забагато невдалих спроб пароля для ivan"))
                let hash = try #require(try await registry.staffMember("ivan")?.passwordHash)
                #expect(Bcrypt.verify(WebFixture.password, hash: hash))
                // The same name's login is held back too: guessing through either form costs the same.
                #expect(try await WebClient(web.client).login("ivan").status == .tooManyRequests)
            }
        }
    }
}
