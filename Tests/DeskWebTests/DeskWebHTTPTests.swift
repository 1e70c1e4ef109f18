import DeskRegistry
import DeskWeb
import Entitlements
import Foundation
import Hummingbird
import HummingbirdTesting
import Identifiers
import Testing

/// The desk web app over HTTP without sockets: logins, roles, CSRF, hostile input, the audit log.
@Suite("Desk web app over HTTP")
struct DeskWebHTTPTests {
    static let serial = "0A0B-0C0D-0E0F-B001"

    @Test("a login sets an HttpOnly, SameSite=Strict session cookie; pages need it; logout ends it")
    func loginAndLogout() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                let anonymous = try await web.get("/search")
                #expect(anonymous.status == .found || anonymous.status == .seeOther)
                #expect(anonymous.headers[.location] == "/login")

                let wrong = try await web.login("ivan", password: "not the password")
                #expect(wrong.status == .badRequest)
                #expect(web.lastBody.contains("неправильне ім&#39;я користувача або пароль"))
                #expect(web.cookies[ "hromada_session"] == nil)

                let login = try await web.login("ivan")
                #expect(login.status == .seeOther)
                let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("hromada_session=") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=28800"))
                #expect(!cookie.contains("Secure"), "plain HTTP on loopback by default: a Secure cookie would never come back")
                let token = try #require(web.cookies["hromada_session"])
                #expect(token.count == 64)

                let search = try await web.get("/search")
                #expect(search.status == .ok)
                #expect(web.lastBody.contains("ivan (працівник)"))
                #expect(web.lastBody.contains("<html lang=\"uk\">"))
                #expect(search.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                #expect(search.headers[.cacheControl] == "no-store")

                try await web.post("/logout", [("csrf", web.csrf ?? "")])
                #expect(web.cookies["hromada_session"] == nil)
                // The old token no longer opens a page.
                web.cookies["hromada_session"] = token
                #expect(try await web.get("/search").headers[.location] == "/login")
            }
        }
    }

    @Test("behind a TLS proxy (secureCookies) every cookie the app sets is marked Secure")
    func secureCookiesBehindTLS() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions(), secureCookies: true).withClient { web in
                let page = try await web.get("/login")
                let formCookies = page.headers[values: .setCookie]
                #expect(!formCookies.isEmpty)
                #expect(formCookies.allSatisfy { $0.contains("Secure") && $0.contains("HttpOnly") })
                let login = try await web.login("ivan")
                #expect(login.status == .seeOther)
                let cookies = login.headers[values: .setCookie]
                #expect(cookies.contains { $0.hasPrefix("hromada_session=") })
                #expect(cookies.allSatisfy { $0.contains("Secure") && $0.contains("HttpOnly") && $0.contains("SameSite=Strict") })
            }
        }
    }

    @Test("English on request: the language cookie switches every page")
    func english() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/language/en")
                try await web.get("/search")
                #expect(web.lastBody.contains("<html lang=\"en\">") && web.lastBody.contains("Find a person") && web.lastBody.contains("ivan (clerk)"))
            }
        }
    }

    @Test("five wrong passwords lock the name for the window, even with the right one after")
    func loginRateLimit() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                for _ in 0..<5 { #expect(try await web.login("olena", password: "guess guess").status == .badRequest) }
                let locked = try await web.login("olena")
                #expect(locked.status == .tooManyRequests)
                #expect(web.lastBody.contains("забагато невдалих спроб входу"))
                #expect(web.cookies["hromada_session"] == nil)
                // Another name is not locked.
                #expect(try await web.login("ivan").status == .seeOther)
                let audit = try await registry.auditLog(limit: 50)
                #expect(audit.filter { $0.action == "login.failed" }.count == 5)
                #expect(audit.contains { $0.action == "login.throttled" && $0.subject == "staff olena" })
            }
        }
    }

    @Test("a login form without its cookie's token is refused; a second login page keeps the first form valid")
    func loginCSRF() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.get("/login")
                let forged = try await web.post("/login", [("csrf", String(repeating: "a", count: 64)), ("username", "ivan"), ("password", WebFixture.password)])
                #expect(forged.status == .forbidden)
                #expect(web.cookies["hromada_session"] == nil)
                // A second login page drawn meanwhile (a redirect, a favicon, another tab) keeps the
                // form of the first valid.
                try await web.get("/login")
                let first = try #require(web.csrf)
                try await web.get("/login")
                let login = try await web.post("/login", [("csrf", first), ("username", "ivan"), ("password", WebFixture.password)])
                #expect(login.status == .seeOther)
            }
        }
    }

    @Test("search by name, date of birth and card serial; the person's page shows details, eligibilities and the actions")
    func searchAndPersonPage() async throws {
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/search?name=%D0%BA%D0%BE%D0%B2%D0%B0%D0%BB%D1%8C&birth=1951-03-14")
                #expect(web.lastBody.contains("href=\"/holders/\(holder)\">Коваль Марія Петрівна</a>"))
                try await web.get("/search?birth=1999-01-01")
                #expect(web.lastBody.contains("id=\"no-results\""))
                let badDate = try await web.get("/search?birth=14.03.1951")
                #expect(badDate.status == .badRequest)
                #expect(web.lastBody.contains("data-kind=\"wrong-input\"") && web.lastBody.contains("РРРР-ММ-ДД"))
                try await web.get("/holders/\(holder)")
                #expect(web.lastBody.contains("Пенсіонер (1)") && web.lastBody.contains("посвідчення пенсіонера"))
                #expect(web.lastBody.contains("id=\"issue-form\"") && web.lastBody.contains("id=\"erase-form\""))
                // The document number is never shown.
                #expect(!web.lastBody.contains(WebFixture.passport))
                #expect(try await web.get("/holders/999999").status == .notFound)
            }
        }
    }

    @Test("a forged or missing CSRF token is refused with a clear message and nothing is done")
    func csrfRefused() async throws {
        let actions = RecordingActions()
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: actions).withClient { web in
                try await web.login("olena")
                try await web.get("/holders/\(holder)")
                let forged = try await web.post("/holders/\(holder)/issue", [("csrf", String(repeating: "0", count: 64)), ("serial", Self.serial), ("product", "free"), ("purse", "0")])
                #expect(forged.status == .forbidden)
                #expect(web.lastBody.contains("захисний код (CSRF) відсутній або не з цього сеансу"))
                let missing = try await web.post("/holders/\(holder)/erase", [("reason", "запит особи")])
                #expect(missing.status == .forbidden)
                #expect(actions.called.isEmpty)
                #expect(try await registry.holder(holder)?.details != nil)
            }
        }
    }

    @Test("a clerk is refused erasure, blocking and deregistration; a supervisor may; both audited")
    func supervisorOnly() async throws {
        let actions = RecordingActions()
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: actions).withClient { web in
                try await web.login("ivan")
                try await web.get("/holders/\(holder)")
                let csrf = try #require(web.csrf)
                let erase = try await web.post("/holders/\(holder)/erase", [("csrf", csrf), ("reason", "запит особи")])
                #expect(erase.status == .forbidden)
                #expect(web.lastBody.contains("Стерти особисті дані може лише керівник; ваша роль — працівник"))
                #expect(try await registry.holder(holder)?.details != nil)
                #expect(try await web.post("/cards/\(Self.serial)/block", [("csrf", csrf), ("reason", "lost")]).status == .forbidden)
                #expect(try await web.post("/cards/\(Self.serial)/return", [("csrf", csrf), ("reason", "death")]).status == .forbidden)
                #expect(try await web.post("/holders/\(holder)/deregister", [("csrf", csrf), ("reason", "moved-away")]).status == .forbidden)
                #expect(actions.called.isEmpty)
                // A card no longer needed is taken back by a clerk.
                #expect(try await web.post("/cards/\(Self.serial)/return", [("csrf", csrf), ("reason", "no-longer-needed")]).status == .ok)

                try await web.post("/logout", [("csrf", csrf)])
                try await web.login("olena")
                try await web.get("/holders/\(holder)")
                let supervisorCSRF = try #require(web.csrf)
                #expect(try await web.post("/cards/\(Self.serial)/block", [("csrf", supervisorCSRF), ("reason", "stolen")]).status == .ok)
                #expect(try await web.post("/holders/\(holder)/erase", [("csrf", supervisorCSRF), ("reason", "запит особи")]).status == .seeOther)
                #expect(try await registry.holder(holder)?.details == nil)
                #expect(actions.called == ["return no-longer-needed", "block stolen"])

                let audit = try await registry.auditLog(limit: 200)
                #expect(audit.contains { $0.username == "ivan" && $0.action == "holder.erase" && $0.outcome == "refused" && $0.subject == "holder \(holder)" })
                #expect(audit.contains { $0.username == "ivan" && $0.action == "card.block" && $0.outcome == "refused" })
                #expect(audit.contains { $0.username == "olena" && $0.action == "holder.erase" && $0.outcome == "ok" })
                #expect(audit.contains { $0.username == "olena" && $0.action == "card.block" && $0.detail == "reason stolen" && $0.outcome == "ok" })
            }
        }
    }

    @Test("hostile input: markup shown as text, oversized fields and bodies refused with nothing done")
    func hostileInput() async throws {
        let actions = RecordingActions()
        let hostile = "<script>alert('x')</script> Шевченко"
        try await WebFixture.withRegistry(holderName: hostile) { registry, holder in
            try await DeskWebApp.forTests(registry, actions: actions).withClient { web in
                try await web.login("ivan")
                try await web.get("/search?name=%D1%88%D0%B5%D0%B2%D1%87%D0%B5%D0%BD%D0%BA%D0%BE")
                #expect(web.lastBody.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Шевченко"))
                #expect(!web.lastBody.contains("<script>alert"))
                try await web.get("/holders/\(holder)")
                #expect(!web.lastBody.contains("<script>alert"))
                let csrf = try #require(web.csrf)

                let long = try await web.post("/holders/\(holder)/issue", [("csrf", csrf), ("serial", String(repeating: "9", count: 5000)), ("purse", "0")])
                #expect(long.status == .badRequest)
                #expect(web.lastBody.contains("поле «Номер картки» задовге: не більше 19 символів"))
                let markup = try await web.post("/cards/\(Self.serial)/topup", [("csrf", csrf), ("amount", "<img src=x onerror=alert(1)>"), ("receipt", "7")])
                #expect(markup.status == .badRequest)
                #expect(!web.lastBody.contains("<img"))
                let huge = try await web.post("/holders/\(holder)/erase", [("csrf", csrf), ("reason", String(repeating: "я", count: 20_000))])
                #expect(huge.status == .badRequest)
                #expect(web.lastBody.contains("форма завелика"))
                let longSearch = try await web.get("/search?name=" + String(repeating: "a", count: 500))
                #expect(longSearch.status == .badRequest)
                #expect(actions.called.isEmpty)
                #expect(try await registry.holder(holder)?.details?.fullName == hostile)
            }
        }
    }

    @Test("every request and action is in the audit log, shown on the audit page, with no document number and no search terms")
    func auditLog() async throws {
        let actions = RecordingActions()
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: actions).withClient { web in
                try await web.login("ivan")
                try await web.get("/search?name=%D0%BA%D0%BE%D0%B2%D0%B0%D0%BB%D1%8C")
                try await web.get("/holders/\(holder)")
                let csrf = try #require(web.csrf)
                let topUp = try await web.post("/cards/\(Self.serial)/topup", [("csrf", csrf), ("amount", "50,5"), ("receipt", "4242")])
                #expect(topUp.status == .ok)
                #expect(web.lastBody.contains("id=\"printable\"") && web.lastBody.contains("КВИТАНЦІЯ 4242"))
                #expect(actions.called == ["topup 5050"])
                try await web.get("/audit")
                #expect(web.lastBody.contains("GET /search") && web.lastBody.contains("card.topup") && web.lastBody.contains("credit 5050 kopecks, receipt 4242"))
                let log = try await registry.auditLog(limit: 500)
                #expect(log.contains { $0.action == "login" && $0.username == "ivan" })
                #expect(log.contains { $0.action == "GET /holders/\(holder)" && $0.username == "ivan" && $0.outcome == "200" })
                #expect(log.contains { $0.action == "POST /cards/\(Self.serial)/topup" })
                let everything = log.map { "\($0.action) \($0.subject) \($0.detail)" }.joined(separator: "\n")
                #expect(!everything.contains(WebFixture.passport) && !everything.contains("КН") && !everything.contains("коваль") && !everything.contains("Коваль"))
            }
        }
    }
}
