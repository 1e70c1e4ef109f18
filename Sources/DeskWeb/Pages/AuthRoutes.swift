import DeskRegistry
import Entitlements
import Foundation
import Hummingbird
import HummingbirdBcrypt

extension DeskWebApp {
    static let loginCookie = "hromada_login"

    /// A bcrypt hash no password matches, checked when the name is unknown so that an unknown
    /// name takes as long as a wrong password (names cannot be probed by timing).
    static let unknownUserHash = Bcrypt.hash(SessionSecrets.randomToken(), cost: 12)

    func addAuthRoutes(to router: Router<DeskWebContext>) {
        router.get("/static/desk.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: Pages.stylesheet)))
        }
        router.get("/static/desk.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Pages.liveReaderScript)))
        }
        router.get("/language/:code") { _, context in
            let language = context.parameters.get("code").flatMap(WebLanguage.init(rawValue:)) ?? .uk
            var response = Pages.seeOther("/search")
            response.setCookie(Cookie(name: DeskWebMiddleware.languageCookie, value: language.rawValue, maxAge: 365 * 86_400, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("/") { _, _ in Pages.seeOther("/search") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/login") { request, context in loginPage(request, context: context, failure: nil) }
        router.post("/login") { request, context in try await login(request, context: context) }
        router.post("/logout") { request, context in
            _ = try await FormFields.readChecked(request, context: context)
            if let digest = context.sessionDigest { try await registry.closeSession(tokenDigest: digest) }
            try await audit(context, action: "logout", subject: "staff \(context.staff?.username ?? "-")", detail: "", outcome: "ok")
            var response = Pages.seeOther("/login")
            response.setCookie(Cookie(name: DeskWebMiddleware.sessionCookie, value: "", maxAge: 0, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The login form. Before a session exists the form's CSRF token is a random value also set
    /// as a cookie (SameSite=Strict): a login posted from another site lacks the cookie.
    ///
    /// The token already in the browser is kept: a second login page drawn meanwhile (another
    /// tab, a redirect) must not invalidate the form the clerk is filling in.
    func loginPage(_ request: Request, context: DeskWebContext, failure: StaffFacingError?) -> Response {
        let language = context.language
        let existing = request.cookies[Self.loginCookie]?.value
        let token = existing.flatMap { SessionSecrets.isWellFormed($0) ? $0 : nil } ?? SessionSecrets.randomToken()
        var message = HTML.empty
        if let failure {
            message = "<div class=\"failure\" id=\"failure\" data-kind=\"\(failure.kind.rawValue)\"><p>\(language == .uk ? failure.ukrainian : failure.english)</p><p>\(failure.advice(language))</p></div>"
        }
        let body: HTML = """
            \(message)<form method="post" action="/login" id="login-form">
            <input type="hidden" name="csrf" value="\(token)">
            <label>\(language.text("Користувач", "Username")) <input name="username" id="username" maxlength="40" autocomplete="username" required></label>
            <label>\(language.text("Пароль", "Password")) <input name="password" id="password" type="password" maxlength="200" autocomplete="current-password" required></label>
            <button type="submit" id="login">\(language.text("Увійти", "Log in"))</button></form>
            """
        var response = Pages.page(language.text("Вхід до системи ЦНАП", "Desk login"), body, context: context, status: failure?.status ?? .ok)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/login", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    func login(_ request: Request, context: DeskWebContext) async throws -> Response {
        let now = clock()
        let form = try await FormFields.read(request, context: context)
        guard let cookie = request.cookies[Self.loginCookie]?.value, let token = try? form.optional("csrf", max: 64, label: ("csrf", "csrf")),
            SessionSecrets.constantTimeEqual(token, cookie)
        else {
            try await audit(context, action: "login.refused", subject: "login", detail: "missing or forged login form token", outcome: "refused")
            return loginPage(request, context: context, failure: StaffFacingError(
                .forbidden, ukrainian: "форму входу відхилено: її захисний код не збігся; спробуйте ще раз з цієї сторінки",
                english: "the login form was refused: its protection code did not match; try again from this page"))
        }
        let username = try form.required("username", max: 40, label: ("Користувач", "Username")).lowercased()
        let password = try form.required("password", max: 200, label: ("Пароль", "Password"))
        guard StaffMember.validUsername(username) else {
            return loginPage(request, context: context, failure: StaffFacingError(.wrongInput, ukrainian: "неправильне ім'я користувача або пароль", english: "wrong username or password"))
        }
        guard await throttle.mayAttempt(username, now: now) else {
            try await audit(context, action: "login.throttled", subject: "staff \(username)", detail: "", outcome: "refused")
            return loginPage(request, context: context, failure: StaffFacingError(
                .tooManyAttempts, ukrainian: "забагато невдалих спроб входу для \(username)", english: "too many failed logins for \(username)"))
        }
        let member = try await registry.staffMember(username)
        let matches = Bcrypt.verify(password, hash: member?.passwordHash ?? Self.unknownUserHash)
        guard let member, matches else {
            await throttle.failed(username, now: now)
            try await audit(context, action: "login.failed", subject: "staff \(username)", detail: "", outcome: "refused")
            return loginPage(request, context: context, failure: StaffFacingError(.wrongInput, ukrainian: "неправильне ім'я користувача або пароль", english: "wrong username or password"))
        }
        // Said only to someone who knew the password: what to do is ask a supervisor.
        guard member.isActive else {
            try await audit(context, action: "login.disabled", subject: "staff \(username)", detail: "", outcome: "refused")
            return loginPage(request, context: context, failure: StaffFacingError(
                .forbidden, ukrainian: "обліковий запис \(username) вимкнено; щоб увімкнути, зверніться до керівника",
                english: "the account \(username) is disabled; ask a supervisor to enable it"))
        }
        await throttle.succeeded(username)
        let sessionToken = SessionSecrets.randomToken()
        let expires = now.adding(seconds: configuration.sessionSeconds)
        try await registry.openSession(
            tokenDigest: SessionSecrets.digest(sessionToken), username: member.username, csrfToken: SessionSecrets.randomToken(), expiresAt: expires, at: now)
        var logged = context
        logged.staff = StaffSession(username: member.username, role: member.role, csrfToken: "", expiresAt: expires)
        try await audit(logged, action: "login", subject: "staff \(member.username)", detail: "role \(member.role.rawValue)", outcome: "ok")
        var response = Pages.seeOther("/search")
        response.setCookie(Cookie(
            name: DeskWebMiddleware.sessionCookie, value: sessionToken, maxAge: Int(configuration.sessionSeconds), path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/login", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }
}
