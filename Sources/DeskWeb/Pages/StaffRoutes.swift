import DeskRegistry
import Entitlements
import Hummingbird
import HummingbirdBcrypt

extension DeskWebApp {
    func addStaffRoutes(to router: Router<DeskWebContext>) {
        router.get("/account") { _, context in accountPage(context: context, notice: nil) }
        router.post("/account/password") { request, context in try await changeOwnPassword(request, context: context) }
        router.get("/staff") { _, context in try await staffPage(context: context) }
        router.post("/staff/:name/disable") { request, context in try await setDisabled(true, request, context: context) }
        router.post("/staff/:name/enable") { request, context in try await setDisabled(false, request, context: context) }
    }

    // MARK: One's own password

    func accountPage(context: DeskWebContext, notice: HTML?) -> Response {
        let language = context.language
        let body: HTML = """
            \(notice ?? HTML.empty)<form method="post" action="/account/password" id="password-form">\(Pages.csrf(context))
            <label>\(language.text("Чинний пароль", "Current password")) <input name="current" id="current-password" type="password" maxlength="200" autocomplete="current-password" required></label>
            <label>\(language.text("Новий пароль (від 10 символів)", "New password (10 characters or more)")) <input name="new" id="new-password" type="password" maxlength="200" autocomplete="new-password" required></label>
            <label>\(language.text("Новий пароль ще раз", "New password again")) <input name="repeat" id="repeat-password" type="password" maxlength="200" autocomplete="new-password" required></label>
            <button type="submit" id="change-password">\(language.text("Змінити пароль", "Change the password"))</button></form>
            <p>\(language.text("Після зміни пароля всі інші ваші сеанси (інші браузери, комп'ютери) завершуються.", "After the change every other session of yours (other browsers, computers) ends."))</p>
            """
        return Pages.page(language.text("Мій пароль", "My password"), body, context: context)
    }

    /// A clerk changes their own password: the current one is required (a session left open at
    /// the counter must not be enough to take the account over), wrong guesses count against the
    /// same limit as logins for that name, and every other session of the account ends.
    func changeOwnPassword(_ request: Request, context: DeskWebContext) async throws -> Response {
        let form = try await FormFields.readChecked(request, context: context)
        let staff = try context.requireStaff()
        let now = clock()
        let subject = "staff \(staff.username)"
        func refused(_ detail: String, _ failure: StaffFacingError) async throws -> Never {
            try await audit(context, action: "staff.password", subject: subject, detail: detail, outcome: "refused")
            throw failure
        }
        let current = try form.required("current", max: 200, label: ("Чинний пароль", "Current password"))
        let new = try form.required("new", max: 200, label: ("Новий пароль", "New password"))
        let again = try form.optional("repeat", max: 200, label: ("Новий пароль ще раз", "New password again"))
        guard await throttle.mayAttempt(staff.username, now: now) else {
            try await refused("throttled", StaffFacingError(
                .tooManyAttempts, ukrainian: "забагато невдалих спроб пароля для \(staff.username)", english: "too many wrong passwords for \(staff.username)"))
        }
        guard let member = try await registry.staffMember(staff.username), Bcrypt.verify(current, hash: member.passwordHash) else {
            await throttle.failed(staff.username, now: now)
            try await refused("wrong current password", StaffFacingError(
                .wrongInput, ukrainian: "чинний пароль неправильний; пароль не змінено", english: "the current password is wrong; the password was not changed"))
        }
        guard (10...200).contains(new.count) else {
            try await refused("new password too short", StaffFacingError(
                .wrongInput, ukrainian: "новий пароль має містити від 10 до 200 символів", english: "the new password must be 10 to 200 characters"))
        }
        guard new == again else {
            try await refused("repeat differs", StaffFacingError(
                .wrongInput, ukrainian: "новий пароль і його повтор різні; введіть однаковий двічі", english: "the new password and its repeat differ; type the same one twice"))
        }
        guard new != current else {
            try await refused("new equals current", StaffFacingError(
                .wrongInput, ukrainian: "новий пароль такий самий, як чинний; оберіть інший", english: "the new password is the same as the current one; choose another"))
        }
        await throttle.succeeded(staff.username)
        // changeStaffPassword writes the audit entry in the same transaction as the change.
        try await registry.changeStaffPassword(
            staff.username, passwordHash: Bcrypt.hash(new, cost: configuration.passwordCost), keepingSession: context.sessionDigest, by: staff.username, at: now)
        let language = context.language
        return accountPage(context: context, notice: "<div class=\"notice\" id=\"done\"><p>\(language.text("Пароль змінено; інші ваші сеанси завершено.", "The password was changed; your other sessions ended."))</p></div>")
    }

    // MARK: The staff page (supervisors)

    func staffPage(context: DeskWebContext) async throws -> Response {
        try await requireSupervisor(context, action: "staff.list", subject: "staff", ("Керувати працівниками", "manage staff"))
        let language = context.language
        let csrf = Pages.csrf(context)
        let now = clock()
        var rows: [HTML] = []
        for member in try await registry.staffMembers() {
            let sessions = try await registry.sessionCount(member.username, at: now)
            let state: HTML = member.disabledAt.map { "\(language.text("вимкнено", "disabled")) \(Pages.time($0))" } ?? "\(language.text("активний", "active"))"
            let action: HTML = member.isActive
                ? "<form method=\"post\" action=\"/staff/\(member.username)/disable\" class=\"inline\">\(csrf)<button type=\"submit\" class=\"disable\">\(language.text("Вимкнути", "Disable"))</button></form>"
                : "<form method=\"post\" action=\"/staff/\(member.username)/enable\" class=\"inline\">\(csrf)<button type=\"submit\" class=\"enable\">\(language.text("Ввімкнути", "Enable"))</button></form>"
            rows.append("""
                <tr class="member" data-username="\(member.username)" data-active="\(member.isActive ? "yes" : "no")"><td>\(member.username)</td><td>\(language == .uk ? member.role.ukrainian : member.role.english)</td>
                <td class="state">\(state)</td><td>\(member.lastLoginAt.map(Pages.time) ?? language.text("ще не входив", "never"))</td><td>\(sessions)</td><td class="no-print">\(action)</td></tr>
                """)
        }
        let body: HTML = """
            <table id="staff"><tr><th>\(language.text("Користувач", "Username"))</th><th>\(language.text("Роль", "Role"))</th><th>\(language.text("Стан", "State"))</th>
            <th>\(language.text("Останній вхід", "Last login"))</th><th>\(language.text("Відкриті сеанси", "Open sessions"))</th><th></th></tr>\(rows)</table>
            <p>\(language.text(
                "Вимкнений обліковий запис не може увійти, а його відкриті сеанси завершуються одразу. Останнього активного керівника вимкнути не можна. Додати працівника чи встановити пароль: hromada-desk staff add | staff password.",
                "A disabled account cannot log in, and its open sessions end at once. The last active supervisor cannot be disabled. To add staff or set a password: hromada-desk staff add | staff password."))</p>
            """
        return Pages.page(language.text("Працівники", "Staff"), body, context: context)
    }

    func setDisabled(_ disabled: Bool, _ request: Request, context: DeskWebContext) async throws -> Response {
        let action = disabled ? "staff.disable" : "staff.enable"
        guard let username = context.parameters.get("name"), StaffMember.validUsername(username) else {
            throw StaffFacingError(.notFound, ukrainian: "такого користувача немає", english: "there is no such user")
        }
        _ = try await FormFields.readChecked(request, context: context)
        try await requireSupervisor(
            context, action: action, subject: "staff \(username)", disabled ? ("Вимикати облікові записи", "disable accounts") : ("Вмикати облікові записи", "enable accounts"))
        let staff = try context.requireStaff()
        do {
            // The registry audits the change in its own transaction.
            try await registry.setStaffDisabled(username, disabled, by: staff.username, at: clock())
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: action, subject: "staff \(username)", detail: failure.english, outcome: failure.kind == .systemFailure ? "failed" : "refused")
            throw failure
        }
        return Pages.seeOther("/staff")
    }
}
