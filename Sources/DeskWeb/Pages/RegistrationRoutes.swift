import DeskRegistry
import Entitlements
import Foundation
import Hummingbird
import Identifiers

/// Registering a walk-in resident and recording or ending their eligibilities: the web forms of
/// `hromada-desk holder add`, `eligibility add` and `eligibility end`, with the same input types
/// and rules (`HolderDetails`, `IdentityDocument`, `EligibilityTerms`, `RegistryInput`).
extension DeskWebApp {
    func addRegistrationRoutes(to router: Router<DeskWebContext>) {
        router.get("/register") { request, context in registerPage(request, context: context) }
        router.post("/register") { request, context in try await register(request, context: context) }
        router.post("/holders/:id/eligibilities") { request, context in try await addEligibility(request, context: context) }
        router.post("/holders/:id/eligibilities/:eligibility/end") { request, context in try await endEligibility(request, context: context) }
    }

    // MARK: Registering a person

    /// The empty form; a search that found nobody passes its name and date of birth along.
    func registerPage(_ request: Request, context: DeskWebContext) -> Response {
        let language = context.language
        let parameters = request.uri.queryParameters
        // Only prefilled, never trusted: the POST checks everything again.
        let name = parameters["name"].map(String.init).map { String($0.prefix(200)) }
        let birth = parameters["birth"].map(String.init).map { String($0.prefix(10)) }
        let types = DocumentType.allCases.map { type -> HTML in
            "<option value=\"\(type.rawValue)\">\(language == .uk ? type.ukrainian : type.rawValue)</option>"
        }
        let body: HTML = """
            <p>\(language.text("Запишіть дані з документа особи. Номер документа зберігається лише зашифрованим.", "Copy the data from the person's document. The document number is stored only encrypted."))</p>
            <form method="post" action="/register" id="register-form">\(Pages.csrf(context))
            <p><label>\(language.text("ПІБ", "Full name")) <input name="name" id="register-name" maxlength="200" size="40" required value="\(name)"></label></p>
            <p><label>\(language.text("Дата народження", "Date of birth")) <input name="birth" id="register-birth" maxlength="10" placeholder="РРРР-ММ-ДД" required value="\(birth)"></label></p>
            <p><label>\(language.text("Адреса в громаді", "Address in the community")) <input name="address" id="register-address" maxlength="300" size="50" required></label></p>
            <p><label>\(language.text("Документ", "Document")) <select name="documentType" id="register-document-type">\(types)</select></label>
            <label>\(language.text("Номер документа", "Document number")) <input name="documentNumber" id="register-document-number" maxlength="30" required autocomplete="off"></label></p>
            <p><label>\(language.text("Телефон (необов'язково)", "Phone (optional)")) <input name="phone" id="register-phone" maxlength="20"></label></p>
            <p><label>\(language.text("Згода на обробку: номер підписаної форми (необов'язково)", "Consent to processing: the signed form's reference (optional)")) <input name="consentForm" id="register-consent" maxlength="100"></label></p>
            <button type="submit" id="register">\(language.text("Зареєструвати", "Register"))</button></form>
            """
        return Pages.page(language.text("Зареєструвати особу", "Register a person"), body, context: context)
    }

    func register(_ request: Request, context: DeskWebContext) async throws -> Response {
        let form = try await FormFields.readChecked(request, context: context)
        let staff = try context.requireStaff()
        let name = try form.required("name", max: 200, label: ("ПІБ", "Full name"))
        let birthText = try form.required("birth", max: 10, label: ("Дата народження", "Date of birth"))
        let address = try form.required("address", max: 300, label: ("Адреса", "Address"))
        let typeText = try form.required("documentType", max: 20, label: ("Документ", "Document"))
        let number = try form.required("documentNumber", max: 30, label: ("Номер документа", "Document number"))
        let phone = try form.optional("phone", max: 20, label: ("Телефон", "Phone"))
        let consent = try form.optional("consentForm", max: 100, label: ("Згода на обробку", "Consent to processing"))
        // The detail names what was recorded, never the name or the document number.
        let given = "phone \(phone == nil ? "none" : "given"), consent form reference \(consent == nil ? "none" : "given")"
        // An unknown type is not echoed: a field typed into the wrong box could hold a number.
        var detail = "document of unknown type, " + given
        let id: HolderID
        do {
            guard let type = DocumentType(text: typeText) else {
                throw StaffFacingError(.wrongInput, ukrainian: "невідомий тип документа", english: "unknown document type")
            }
            detail = "document \(type.rawValue), " + given
            let now = clock()
            let details = try HolderDetails(
                fullName: name, dateOfBirth: try formDate(birthText, label: ("Дата народження", "Date of birth")), address: address,
                document: try IdentityDocument(type: type, number: number), phone: phone, today: TimeZoneRule.europeKyiv.local(at: now).date)
            do {
                id = try await registry.addHolder(details, consentFormReference: consent, clerk: staff.username, at: now)
            } catch let error as RegistryError where error.code == .refused {
                // The registry refuses a document registered already; say whom, so the clerk
                // can open that page (a form sent twice lands here too).
                var query = HolderQuery()
                query.document = details.document
                guard let existing = try await registry.search(query, limit: 1).holders.first else { throw error }
                throw StaffFacingError(
                    .alreadyDone, ukrainian: "особу з цим документом уже зареєстровано: особа №\(existing.id); нічого не змінено",
                    english: "a person with this document is registered already: holder #\(existing.id); nothing was changed")
            }
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: "holder.add", subject: "new holder", detail: detail + " — " + failure.english, outcome: auditOutcome(failure))
            throw failure
        }
        try await audit(context, action: "holder.add", subject: "holder \(id)", detail: detail, outcome: "ok")
        return Pages.seeOther("/holders/\(id)")
    }

    // MARK: Eligibilities

    func addEligibility(_ request: Request, context: DeskWebContext) async throws -> Response {
        let holder = try holderID(context)
        let form = try await FormFields.readChecked(request, context: context)
        let staff = try context.requireStaff()
        let categoryText = try form.required("category", max: 20, label: ("Категорія", "Category"))
        let evidence = try form.required("evidence", max: 300, label: ("Підстава", "Evidence"))
        let fromText = try form.optional("from", max: 10, label: ("Від", "From"))
        let untilText = try form.optional("until", max: 10, label: ("До", "Until"))
        var detail = "category \(categoryText.prefix(20))"
        let id: Int64
        do {
            guard let code = RegistryInput.category(categoryText, in: configuration.categories) else {
                throw StaffFacingError(.wrongInput, ukrainian: "оберіть категорію зі списку громади", english: "choose a category from the community's list")
            }
            let now = clock()
            let from = try fromText.map { try formDate($0, label: ("Від", "From")) } ?? TimeZoneRule.europeKyiv.local(at: now).date
            let until = try untilText.map { try formDate($0, label: ("До", "Until")) }
            // The evidence names a person's document: the audit keeps the category and the days.
            detail = "category \(code), from \(from), until \(until?.description ?? "open")"
            let terms = try EligibilityTerms(category: code, evidence: evidence, validFrom: from, validUntil: until)
            id = try await registry.addEligibility(terms, to: holder, clerk: staff.username, at: now)
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: "eligibility.add", subject: "holder \(holder)", detail: detail + " — " + failure.english, outcome: auditOutcome(failure))
            throw failure
        }
        try await audit(context, action: "eligibility.add", subject: "holder \(holder)", detail: "eligibility \(id): " + detail, outcome: "ok")
        return Pages.seeOther("/holders/\(holder)")
    }

    func endEligibility(_ request: Request, context: DeskWebContext) async throws -> Response {
        let holder = try holderID(context)
        guard let text = context.parameters.get("eligibility"), text.count <= 18, let eligibility = Int64(text), eligibility > 0 else {
            throw StaffFacingError(.notFound, ukrainian: "такої пільги немає", english: "there is no such eligibility")
        }
        let form = try await FormFields.readChecked(request, context: context)
        let staff = try context.requireStaff()
        let lastDayText = try form.optional("lastDay", max: 10, label: ("Останній день", "Last day"))
        var detail = "eligibility \(eligibility)"
        let outcome: String
        do {
            // The eligibility must be this person's: a URL naming someone else's is refused.
            guard let held = try await registry.holder(holder)?.eligibilities.first(where: { $0.id == eligibility }) else {
                throw StaffFacingError(.notFound, ukrainian: "в особи №\(holder) немає пільги №\(eligibility)", english: "holder #\(holder) has no eligibility #\(eligibility)")
            }
            let now = clock()
            // As `eligibility end`: by default yesterday, so it no longer covers today.
            let lastDay = try lastDayText.map { try formDate($0, label: ("Останній день", "Last day")) } ?? TimeZoneRule.europeKyiv.local(at: now).date.adding(days: -1)
            detail = "eligibility \(eligibility) until \(lastDay)"
            if held.terms.validUntil == lastDay {
                outcome = "already-done"
            } else {
                try await registry.endEligibility(eligibility, lastDay: lastDay, clerk: staff.username, at: now)
                outcome = "ok"
            }
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: "eligibility.end", subject: "holder \(holder)", detail: detail + " — " + failure.english, outcome: auditOutcome(failure))
            throw failure
        }
        try await audit(context, action: "eligibility.end", subject: "holder \(holder)", detail: detail, outcome: outcome)
        return Pages.seeOther("/holders/\(holder)")
    }

    /// The person page's eligibility forms: add one, and end each that still runs.
    func eligibilityForms(_ holder: HolderRecord, context: DeskWebContext) -> HTML {
        let language = context.language
        guard holder.details != nil else { return "" }
        let csrf = Pages.csrf(context)
        let category: HTML
        if configuration.categories.isEmpty {
            category = "<input name=\"category\" id=\"eligibility-category\" maxlength=\"20\" required>"
        } else {
            let options = configuration.categories.map { category -> HTML in
                "<option value=\"\(Int(category.code.rawValue))\">\(categoryName(category.code, language))</option>"
            }
            category = "<select name=\"category\" id=\"eligibility-category\">\(options)</select>"
        }
        return """
            <fieldset class="no-print"><legend>\(language.text("Додати пільгу (бачу документ-підставу)", "Add an eligibility (the evidence document seen)"))</legend>
            <form method="post" action="/holders/\(holder.id)/eligibilities" id="eligibility-form">\(csrf)
            <label>\(language.text("Категорія", "Category")) \(category)</label>
            <label>\(language.text("Підстава (документ)", "Evidence (document)")) <input name="evidence" id="eligibility-evidence" maxlength="300" size="40" required></label>
            <label>\(language.text("Від", "From")) <input name="from" id="eligibility-from" maxlength="10" placeholder="\(language.text("сьогодні", "today"))"></label>
            <label>\(language.text("До", "Until")) <input name="until" id="eligibility-until" maxlength="10" placeholder="\(language.text("безстроково", "open-ended"))"></label>
            <button type="submit" id="eligibility-add">\(language.text("Додати пільгу", "Add an eligibility"))</button></form></fieldset>
            """
    }

    /// The form ending one eligibility, in its row.
    func endEligibilityForm(_ held: HeldEligibility, holder: HolderID, context: DeskWebContext) -> HTML {
        let language = context.language
        let today = TimeZoneRule.europeKyiv.local(at: clock()).date
        guard held.terms.validUntil.map({ $0 >= today }) ?? true else { return "" }
        return """
            <form method="post" action="/holders/\(holder)/eligibilities/\(held.id)/end" class="inline end-eligibility-form no-print">\(Pages.csrf(context))
            <label>\(language.text("Останній день", "Last day")) <input name="lastDay" class="end-eligibility-day" maxlength="10" placeholder="\(language.text("учора", "yesterday"))"></label>
            <button type="submit" class="end-eligibility">\(language.text("Завершити пільгу", "End the eligibility"))</button></form>
            """
    }

    /// A date typed into a form, read as the command line reads it (`YYYY-MM-DD` or `DD.MM.YYYY`).
    func formDate(_ text: String, label: (uk: String, en: String)) throws -> CivilDate {
        do {
            return try RegistryInput.date(text, field: label.en)
        } catch {
            throw StaffFacingError(
                .wrongInput, ukrainian: "поле «\(label.uk)»: дата має бути у вигляді РРРР-ММ-ДД або ДД.ММ.РРРР",
                english: "the field \"\(label.en)\": a date is YYYY-MM-DD or DD.MM.YYYY")
        }
    }

    func auditOutcome(_ failure: StaffFacingError) -> String {
        switch failure.kind {
        case .systemFailure: "failed"
        case .alreadyDone: "already-done"
        default: "refused"
        }
    }

    /// `/register` with what a search that found nobody was given, so the clerk types it once.
    static func registerLink(name: String?, birth: String?) -> String {
        var items: [String] = []
        // ASCII letters and digits only: `.alphanumerics` would leave Cyrillic unencoded.
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: plain) ?? "" }
        if let name { items.append("name=" + encode(name)) }
        if let birth { items.append("birth=" + encode(birth)) }
        return items.isEmpty ? "/register" : "/register?" + items.joined(separator: "&")
    }
}
