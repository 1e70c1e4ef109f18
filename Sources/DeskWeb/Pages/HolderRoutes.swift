import Desk
import DeskRegistry
import Entitlements
import Hummingbird
import Identifiers

extension DeskWebApp {
    func addHolderRoutes(to router: Router<DeskWebContext>) {
        router.get("/search") { request, context in try await searchPage(request, context: context) }
        router.get("/holders/:id") { _, context in try await holderPage(try holderID(context), context: context) }
        router.post("/holders/:id/erase") { request, context in try await erase(request, context: context) }
        router.post("/holders/:id/deregister") { request, context in try await deregister(request, context: context) }
        router.get("/worklist") { _, context in try await worklistPage(context: context) }
        router.get("/audit") { request, context in try await auditPage(request, context: context) }
    }

    func holderID(_ context: DeskWebContext) throws -> HolderID {
        guard let text = context.parameters.get("id"), text.count <= 18, let id = HolderID(text), id > 0 else {
            throw StaffFacingError(.notFound, ukrainian: "такої особи немає", english: "there is no such person")
        }
        return id
    }

    func categoryName(_ code: CategoryCode, _ language: WebLanguage) -> String {
        guard let category = configuration.categories.first(where: { $0.code == code }) else { return language.text("категорія \(code)", "category \(code)") }
        return "\(language == .uk ? category.name.uk : category.name.en) (\(code))"
    }

    // MARK: Search

    func searchPage(_ request: Request, context: DeskWebContext) async throws -> Response {
        let language = context.language
        let parameters = request.uri.queryParameters
        func field(_ name: String, max: Int, _ label: (uk: String, en: String)) throws -> String? {
            guard let value = parameters[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            guard value.count <= max else {
                throw StaffFacingError(.wrongInput, ukrainian: "поле «\(label.uk)» задовге: не більше \(max) символів", english: "the field \"\(label.en)\" is too long: at most \(max) characters")
            }
            return value
        }
        let name = try field("name", max: 100, ("ПІБ", "Name"))
        let birthText = try field("birth", max: 10, ("Дата народження", "Date of birth"))
        let serialText = try field("serial", max: 19, ("Номер картки", "Card serial"))
        var query = HolderQuery(name: name)
        if let birthText {
            guard let birth = CivilDate(iso: birthText) else {
                throw StaffFacingError(.wrongInput, ukrainian: "дата народження має бути у вигляді РРРР-ММ-ДД", english: "the date of birth must be YYYY-MM-DD")
            }
            query.dateOfBirth = birth
        }
        if let serialText {
            guard let serial = CardSerial(printed: serialText) else {
                throw StaffFacingError(.wrongInput, ukrainian: "номер картки — 16 шістнадцяткових цифр, напр. 0123-4567-89AB-CDEF", english: "a card serial is 16 hex digits, e.g. 0123-4567-89AB-CDEF")
            }
            query.cardSerial = serial
        }
        var results = HTML.empty
        if !query.isEmpty {
            let page = try await registry.search(query, limit: 50)
            if page.holders.isEmpty {
                results = """
                    <p id="no-results">\(language.text("Нікого не знайдено.", "Nobody found."))</p>
                    <p><a href="\(Self.registerLink(name: name, birth: birthText))" id="register-found-nobody">\(language.text("Зареєструвати нову особу", "Register a new person"))</a></p>
                    """
            } else {
                let rows = page.holders.map { holder -> HTML in
                    "<tr><td><a class=\"holder\" href=\"/holders/\(holder.id)\">\(holder.fullName)</a></td><td>\(holder.dateOfBirth.description)</td><td>\(holder.cards.map(\.printed).joined(separator: ", "))</td></tr>"
                }
                let more: HTML = page.hasMore ? "<p>\(language.text("Показано перших 50; уточніть пошук.", "The first 50 are shown; narrow the search."))</p>" : ""
                results = """
                    <table id="results"><tr><th>\(language.text("ПІБ", "Name"))</th><th>\(language.text("Дата народження", "Date of birth"))</th><th>\(language.text("Картки", "Cards"))</th></tr>\(rows)</table>\(more)
                    """
            }
        }
        let body: HTML = """
            <form method="get" action="/search" id="search-form">
            <label>\(language.text("ПІБ", "Name")) <input name="name" id="search-name" maxlength="100" value="\(name)"></label>
            <label>\(language.text("Дата народження", "Date of birth")) <input name="birth" id="search-birth" maxlength="10" placeholder="РРРР-ММ-ДД" value="\(birthText)"></label>
            <label>\(language.text("Номер картки", "Card serial")) <input name="serial" id="search-serial" maxlength="19" value="\(serialText)"></label>
            <button type="submit" id="search">\(language.text("Шукати", "Search"))</button></form>
            \(results)
            <p class="no-print"><a href="/register" id="to-register">\(language.text("Зареєструвати особу", "Register a person"))</a></p>
            """
        return Pages.page(language.text("Пошук особи", "Find a person"), body, context: context)
    }

    // MARK: A person

    func holderPage(_ id: HolderID, context: DeskWebContext) async throws -> Response {
        let language = context.language
        guard let holder = try await registry.holder(id) else {
            throw StaffFacingError(.notFound, ukrainian: "особи №\(id) немає в реєстрі", english: "there is no holder #\(id)")
        }
        let csrf = Pages.csrf(context)
        let details: HTML
        if let person = holder.details {
            details = """
                <table id="details"><tr><th>\(language.text("ПІБ", "Name"))</th><td id="holder-name">\(person.fullName)</td></tr>
                <tr><th>\(language.text("Дата народження", "Date of birth"))</th><td>\(person.dateOfBirth.description)</td></tr>
                <tr><th>\(language.text("Адреса", "Address"))</th><td>\(person.address)</td></tr>
                <tr><th>\(language.text("Документ", "Document"))</th><td>\(language == .uk ? person.document.type.ukrainian : person.document.type.rawValue) \(language.text("(номер зашифровано; звірте з оригіналом)", "(number sealed; check the original)"))</td></tr>
                <tr><th>\(language.text("Телефон", "Phone"))</th><td>\(person.phone ?? "—")</td></tr></table>
                """
        } else {
            details = "<p id=\"erased\">\(language.text("Особисті дані стерто", "Personal data erased")) \(holder.erasedAt.map(Pages.time) ?? "").</p>"
        }
        let eligibilityRows = holder.eligibilities.map { held -> HTML in
            "<tr class=\"eligibility\" data-id=\"\(held.id)\"><td>\(categoryName(held.terms.category, language))</td><td>\(held.terms.validFrom.description)</td><td class=\"until\">\(held.terms.validUntil?.description ?? language.text("безстроково", "open-ended"))</td><td>\(held.terms.evidence)</td><td>\(holder.details == nil ? HTML.empty : endEligibilityForm(held, holder: id, context: context))</td></tr>"
        }
        let eligibilities: HTML = holder.eligibilities.isEmpty
            ? "<p>\(language.text("Пільг не записано.", "No eligibility recorded."))</p>"
            : "<table id=\"eligibilities\"><tr><th>\(language.text("Категорія", "Category"))</th><th>\(language.text("Від", "From"))</th><th>\(language.text("До", "Until"))</th><th>\(language.text("Підстава", "Evidence"))</th><th></th></tr>\(eligibilityRows)</table>"
        let cards = holder.cards.map { cardSection($0, context: context) }
        let issueForm: HTML = holder.details == nil ? "" : """
            <fieldset class="no-print"><legend>\(language.text("Видати картку з пільгами за чинними підставами (покладіть чисту картку на зчитувач)", "Issue a card with the benefits of the current eligibilities (put a blank card on the reader)"))</legend>
            <form method="post" action="/holders/\(id)/issue" id="issue-form">\(csrf)
            <label>\(language.text("Номер картки", "Card serial")) <input name="serial" id="issue-serial" maxlength="19" required></label>
            <label>\(language.text("Продукт", "Product")) <input name="product" id="issue-product" maxlength="40" value="free"></label>
            <label>\(language.text("На гаманець, грн", "Purse, UAH")) <input name="purse" id="issue-purse" maxlength="10" value="0"></label>
            <button type="submit" id="issue">\(language.text("Видати", "Issue"))</button></form></fieldset>
            """
        let eraseForm: HTML = holder.details == nil ? "" : """
            <fieldset class="no-print"><legend>\(language.text("Стерти особисті дані (лише керівник)", "Erase personal data (supervisor only)"))</legend>
            <form method="post" action="/holders/\(id)/erase" id="erase-form">\(csrf)
            <label>\(language.text("Підстава", "Reason")) <input name="reason" id="erase-reason" maxlength="200" required></label>
            <button type="submit" id="erase">\(language.text("Стерти", "Erase"))</button></form></fieldset>
            """
        let deregisterForm: HTML = holder.details == nil || !holder.cards.contains(where: { $0.status?.isLive ?? false }) ? "" : """
            <fieldset class="no-print"><legend>\(language.text("Зняти з обліку: смерть або переїзд, картки не повернуто (лише керівник)", "Deregister: death or moving away, cards not handed back (supervisor only)"))</legend>
            <form method="post" action="/holders/\(id)/deregister" id="deregister-form">\(csrf)<select name="reason"><option value="death">\(ReturnReason.death.text(language))</option>
            <option value="moved-away">\(ReturnReason.movedAway.text(language))</option></select>
            <button type="submit" id="deregister">\(language.text("Зняти з обліку", "Deregister"))</button></form></fieldset>
            """
        let body: HTML = """
            <p>\(language.text("Особа", "Holder")) №\(id)</p>\(details)
            <h2>\(language.text("Пільги", "Eligibilities"))</h2>\(eligibilities)\(eligibilityForms(holder, context: context))
            <h2>\(language.text("Картки", "Cards"))</h2>\(cards)\(issueForm)
            <p class="no-print"><a href="/reader">\(language.text("Що на зчитувачі зараз", "What is on the reader now"))</a></p>
            \(deregisterForm)\(eraseForm)
            """
        return Pages.page(holder.details?.fullName ?? language.text("Особа №\(id)", "Holder #\(id)"), body, context: context)
    }

    func cardSection(_ card: CardRecord, context: DeskWebContext) -> HTML {
        let language = context.language
        let csrf = Pages.csrf(context)
        let serial = card.serial.printed
        let history = card.history.map { step -> HTML in
            "<tr><td>\(Pages.time(step.at))</td><td>\(language == .uk ? step.event.ukrainian : step.event.english)</td><td>\(step.clerk)</td></tr>"
        }
        let entitlements = card.entitlements.map { written -> HTML in
            "<tr><td>\(Int(written.id.rawValue))</td><td>\(categoryName(written.category, language))</td><td>\(written.product)</td><td>\(written.validFrom.description) — \(written.validUntil.description)</td></tr>"
        }
        let credits = card.credits.reduce(Int64(0)) { $0 + $1.kopecks }
        var actions = HTML.empty
        if card.status?.isLive ?? false {
            var generator = SystemRandomNumberGenerator()
            // The receipt number is chosen with the form: the same form sent again after a tear
            // carries the same number, and the card and the registry credit it once.
            let receipt = UInt32.random(in: 1...UInt32.max, using: &generator)
            let reasons = ["lost", "stolen", "fraud", "other"].map { reason -> HTML in "<option value=\"\(reason)\">\(blockReasonText(reason, language))</option>" }
            let returnReasons = ReturnReason.allCases.map { reason -> HTML in "<option value=\"\(reason.rawValue)\">\(reason.text(language))</option>" }
            actions = """
                <div class="actions no-print">
                <form method="post" action="/cards/\(serial)/renew" class="inline">\(csrf)<button type="submit" class="renew">\(language.text("Поновити", "Renew"))</button></form>
                <form method="post" action="/cards/\(serial)/topup" class="inline topup-form">\(csrf)<input type="hidden" name="receipt" value="\(receipt)">
                <label>\(language.text("Сума, грн", "Amount, UAH")) <input name="amount" class="topup-amount" maxlength="10" required></label><button type="submit" class="topup">\(language.text("Поповнити", "Top up"))</button></form>
                <form method="post" action="/cards/\(serial)/block" class="inline block-form">\(csrf)<select name="reason">\(reasons)</select>
                <label><input type="checkbox" name="absent" value="1"> \(language.text("картки немає на місці", "card not at the desk"))</label>
                <button type="submit" class="block">\(language.text("Заблокувати (керівник)", "Block (supervisor)"))</button></form>
                <form method="post" action="/cards/\(serial)/replace/prepare" class="inline replace-form">\(csrf)<label>\(language.text("Нова картка", "New card")) <input name="newSerial" class="replace-serial" maxlength="19" required></label>
                <label><input type="checkbox" name="lost" value="1"> \(language.text("стара картка втрачена", "old card lost"))</label>
                <button type="submit" class="replace">\(language.text("Замінити: крок 1 (стара картка на зчитувачі)", "Replace: step 1 (old card on the reader)"))</button></form>
                <form method="post" action="/cards/\(serial)/return" class="inline return-form">\(csrf)<select name="reason">\(returnReasons)</select>
                <button type="submit" class="return">\(language.text("Прийняти повернення", "Take back"))</button></form>
                </div>
                """
        }
        return """
            <div class="card" data-serial="\(serial)"><h3>\(language.text("Картка", "Card")) <span class="serial">\(serial)</span> — <span class="status">\(card.status.map { language == .uk ? $0.ukrainian : $0.english } ?? "—")</span></h3>
            <table class="history"><tr><th>\(language.text("Коли", "When"))</th><th>\(language.text("Стан", "Status"))</th><th>\(language.text("Працівник", "Clerk"))</th></tr>\(history)</table>
            <table class="entitlements"><tr><th>№</th><th>\(language.text("Категорія", "Category"))</th><th>\(language.text("Продукт", "Product"))</th><th>\(language.text("Дійсна", "Valid"))</th></tr>\(entitlements)</table>
            <p>\(language.text("Поповнено в ЦНАП", "Credited at the desk")): \(Pages.money(credits)) \(language.text("грн", "UAH"))</p>
            \(actions)</div>
            """
    }

    func blockReasonText(_ reason: String, _ language: WebLanguage) -> String {
        switch reason {
        case "lost": language.text("втрачена", "lost")
        case "stolen": language.text("викрадена", "stolen")
        case "fraud": language.text("шахрайство", "fraud")
        default: language.text("інше", "other")
        }
    }

    // MARK: Erasure

    func erase(_ request: Request, context: DeskWebContext) async throws -> Response {
        let id = try holderID(context)
        let form = try await FormFields.readChecked(request, context: context)
        let staff: StaffSession
        do {
            staff = try context.requireSupervisor(for: ("Стерти особисті дані", "erase personal data"))
        } catch {
            try await audit(context, action: "holder.erase", subject: "holder \(id)", detail: "role \(context.staff?.role.rawValue ?? "-")", outcome: "refused")
            throw error
        }
        let reason = try form.required("reason", max: 200, label: ("Підстава", "Reason"))
        do {
            try await registry.erase(id, reason: reason, clerk: staff.username, at: clock())
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: "holder.erase", subject: "holder \(id)", detail: failure.english, outcome: failure.kind == .systemFailure ? "failed" : "refused")
            throw failure
        }
        try await audit(context, action: "holder.erase", subject: "holder \(id)", detail: "personal data erased", outcome: "ok")
        return Pages.seeOther("/holders/\(id)")
    }

    func deregister(_ request: Request, context: DeskWebContext) async throws -> Response {
        let id = try holderID(context)
        let form = try await FormFields.readChecked(request, context: context)
        try await requireSupervisor(context, action: "holder.deregister", subject: "holder \(id)", ("Знімати з обліку", "deregister a holder"))
        guard let reason = try form.optional("reason", max: 20, label: ("Причина", "Reason")).flatMap(ReturnReason.init(rawValue:)), reason != .noLongerNeeded else {
            throw StaffFacingError(.wrongInput, ukrainian: "оберіть причину: смерть або переїзд", english: "choose the reason: death or moving away")
        }
        let staff = try context.requireStaff()
        let outcomes: [DeskActionOutcome]
        do {
            outcomes = try await actions.deregister(id, reason: reason, clerk: staff.username, now: clock())
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: "holder.deregister", subject: "holder \(id)", detail: failure.english, outcome: failure.kind == .systemFailure ? "failed" : "refused")
            throw failure
        }
        try await audit(
            context, action: "holder.deregister", subject: "holder \(id)",
            detail: "reason \(reason.rawValue), cards returned: \(outcomes.map(\.serial.printed).joined(separator: ", "))", outcome: "ok")
        return Pages.seeOther("/holders/\(id)")
    }

    // MARK: Worklist and audit

    func worklistPage(context: DeskWebContext) async throws -> Response {
        let language = context.language
        let today = TimeZoneRule.europeKyiv.local(at: clock()).date
        let lines = try await registry.worklist(today: today, horizonDays: configuration.worklistHorizonDays)
        let rows = lines.map { line -> HTML in
            """
            <tr><td><a href="/holders/\(line.item.holder)">\(line.fullName ?? language.text("(стерто)", "(erased)"))</a></td><td>\(line.phone ?? "—")</td>
            <td>\(line.item.serial.printed)</td><td>\(categoryName(line.item.category, language))</td><td>\(line.item.reason.code)</td><td>\(line.item.dueOn.description)</td></tr>
            """
        }
        let body: HTML = lines.isEmpty
            ? "<p id=\"worklist-empty\">\(language.text("Поновлювати нічого не треба.", "Nothing to renew."))</p>"
            : """
                <table id="worklist"><tr><th>\(language.text("Особа", "Holder"))</th><th>\(language.text("Телефон", "Phone"))</th><th>\(language.text("Картка", "Card"))</th>
                <th>\(language.text("Категорія", "Category"))</th><th>\(language.text("Причина", "Reason"))</th><th>\(language.text("Строк", "Due"))</th></tr>\(rows)</table>
                """
        return Pages.page(language.text("Список на поновлення", "Renewal worklist"), body, context: context)
    }

    func auditPage(_ request: Request, context: DeskWebContext) async throws -> Response {
        let language = context.language
        let page = request.uri.queryParameters["page"].flatMap { Int($0) }.map { min(max($0, 0), 100_000) } ?? 0
        let entries = try await registry.auditLog(limit: 200, offset: page * 200)
        let rows = entries.map { entry -> HTML in
            "<tr><td>\(entry.id)</td><td>\(Pages.time(entry.at))</td><td>\(entry.username)</td><td class=\"action\">\(entry.action)</td><td>\(entry.subject)</td><td>\(entry.detail)</td><td class=\"outcome\">\(entry.outcome)</td></tr>"
        }
        let body: HTML = """
            <table id="audit"><tr><th>№</th><th>\(language.text("Коли", "When"))</th><th>\(language.text("Хто", "Who"))</th><th>\(language.text("Дія", "Action"))</th>
            <th>\(language.text("Об'єкт", "Subject"))</th><th>\(language.text("Що змінилося", "What changed"))</th><th>\(language.text("Результат", "Outcome"))</th></tr>\(rows)</table>
            <p><a href="/audit?page=\(page + 1)">\(language.text("Старіші", "Older"))</a></p>
            """
        return Pages.page(language.text("Журнал аудиту", "Audit log"), body, context: context)
    }
}
