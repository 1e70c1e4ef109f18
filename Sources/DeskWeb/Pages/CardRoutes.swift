import Desk
import DeskOffice
import DeskRegistry
import Entitlements
import Hummingbird
import Identifiers
import SocialCard
import Tariff

extension DeskWebApp {
    func addCardRoutes(to router: Router<DeskWebContext>) {
        router.post("/holders/:id/issue") { request, context in
            let holder = try holderID(context)
            let form = try await FormFields.readChecked(request, context: context)
            let serial = try cardSerial(form.required("serial", max: 19, label: ("Номер картки", "Card serial")))
            let productText = try form.optional("product", max: 40, label: ("Продукт", "Product")) ?? "free"
            let product: Product
            do { product = try ProductText.parse(productText) } catch {
                throw StaffFacingError(.wrongInput, ukrainian: "продукт: free, discount:ВІДСОТОК, rides:N/day|week|month, pass:ВІД..ДО або purse", english: "product: free, discount:PERCENT, rides:N/day|week|month, pass:FROM..UNTIL or purse")
            }
            let purse = try kopecks(form.optional("purse", max: 10, label: ("На гаманець", "Purse")) ?? "0", allowZero: true)
            let order = HolderIssueOrder(holder: holder, serial: serial, product: product, purseKopecks: purse)
            return try await perform("card.issue", subject: "card \(serial.printed)", detail: "holder \(holder), product \(productText), purse \(purse) kopecks", context: context) { clerk in
                try await actions.issue(order, clerk: clerk, now: clock())
            }
        }
        router.post("/cards/:serial/renew") { request, context in
            let serial = try cardSerial(context.parameters.get("serial") ?? "")
            _ = try await FormFields.readChecked(request, context: context)
            return try await perform("card.renew", subject: "card \(serial.printed)", detail: "", context: context) { clerk in
                try await actions.renew(serial, clerk: clerk, now: clock())
            }
        }
        router.post("/cards/:serial/topup") { request, context in
            let serial = try cardSerial(context.parameters.get("serial") ?? "")
            let form = try await FormFields.readChecked(request, context: context)
            let amount = try kopecks(form.required("amount", max: 10, label: ("Сума", "Amount")), allowZero: false)
            guard let receiptText = try form.optional("receipt", max: 10, label: ("Квитанція", "Receipt")), let receipt = UInt32(receiptText), receipt > 0 else {
                throw StaffFacingError(.wrongInput, ukrainian: "форма без номера квитанції; відкрийте сторінку особи знову", english: "the form has no receipt number; open the person's page again")
            }
            return try await perform("card.topup", subject: "card \(serial.printed)", detail: "credit \(amount) kopecks, receipt \(receipt)", context: context) { clerk in
                try await actions.topUp(serial, kopecks: amount, receipt: receipt, clerk: clerk, now: clock())
            }
        }
        router.post("/cards/:serial/block") { request, context in
            let serial = try cardSerial(context.parameters.get("serial") ?? "")
            let form = try await FormFields.readChecked(request, context: context)
            try await requireSupervisor(context, action: "card.block", subject: "card \(serial.printed)", ("Блокувати картку", "block a card"))
            let reasonText = try form.required("reason", max: 10, label: ("Причина", "Reason"))
            guard let reason = DenyList.Reason(rawValue: reasonText), reason != .replaced else {
                throw StaffFacingError(.wrongInput, ukrainian: "причина блокування: втрачена, викрадена, шахрайство або інше", english: "a block reason is lost, stolen, fraud or other")
            }
            let absent = try form.optional("absent", max: 1, label: ("картки немає", "card absent")) != nil
            return try await perform("card.block", subject: "card \(serial.printed)", detail: "reason \(reason.rawValue)\(absent ? ", card absent" : "")", context: context) { clerk in
                try await actions.block(serial, reason: reason, cardAtDesk: !absent, clerk: clerk, now: clock())
            }
        }
        router.post("/cards/:serial/replace/prepare") { request, context in
            let serial = try cardSerial(context.parameters.get("serial") ?? "")
            let form = try await FormFields.readChecked(request, context: context)
            let newSerial = try cardSerial(form.required("newSerial", max: 19, label: ("Нова картка", "New card")))
            let lost = try form.optional("lost", max: 1, label: ("втрачена", "lost")) != nil
            let order = ReplacementOrder(oldSerial: serial, newSerial: newSerial)
            return try await perform("card.replace.prepare", subject: "card \(serial.printed)", detail: "new card \(newSerial.printed)\(lost ? ", old card lost" : "")", context: context, next: replaceNextStep(order, context: context)) { clerk in
                try await actions.prepareReplacement(order, oldCardLost: lost, clerk: clerk, now: clock())
            }
        }
        router.post("/cards/:serial/replace/finish") { request, context in
            let serial = try cardSerial(context.parameters.get("serial") ?? "")
            let form = try await FormFields.readChecked(request, context: context)
            let newSerial = try cardSerial(form.required("newSerial", max: 19, label: ("Нова картка", "New card")))
            let order = ReplacementOrder(oldSerial: serial, newSerial: newSerial)
            return try await perform("card.replace", subject: "card \(serial.printed)", detail: "replaced by \(newSerial.printed)", context: context) { clerk in
                try await actions.finishReplacement(order, clerk: clerk, now: clock())
            }
        }
        router.post("/cards/:serial/return") { request, context in
            let serial = try cardSerial(context.parameters.get("serial") ?? "")
            let form = try await FormFields.readChecked(request, context: context)
            guard let reason = try form.optional("reason", max: 20, label: ("Причина", "Reason")).flatMap(ReturnReason.init(rawValue:)) else {
                throw StaffFacingError(.wrongInput, ukrainian: "оберіть причину повернення", english: "choose why the card is handed back")
            }
            if reason != .noLongerNeeded {
                try await requireSupervisor(context, action: "card.return", subject: "card \(serial.printed)", ("Знімати з обліку (смерть, переїзд)", "deregister (death, moving away)"))
            }
            return try await perform("card.return", subject: "card \(serial.printed)", detail: "reason \(reason.rawValue)", context: context) { clerk in
                try await actions.returnCard(serial, reason: reason, clerk: clerk, now: clock())
            }
        }
        router.post("/read-dispute") { request, context in
            _ = try await FormFields.readChecked(request, context: context)
            return try await perform("card.read-dispute", subject: "card on the reader", detail: "", context: context) { _ in
                try await actions.readForDispute(deskName: configuration.deskName, now: clock())
            }
        }
    }

    func requireSupervisor(_ context: DeskWebContext, action: String, subject: String, _ what: (uk: String, en: String)) async throws {
        do {
            _ = try context.requireSupervisor(for: what)
        } catch {
            try await audit(context, action: action, subject: subject, detail: "role \(context.staff?.role.rawValue ?? "-")", outcome: "refused")
            throw error
        }
    }

    /// Runs a card action, audits what it did (or why not), and shows the outcome page.
    func perform(
        _ action: String, subject: String, detail: String, context: DeskWebContext, next: HTML = "",
        _ body: (String) async throws -> DeskActionOutcome
    ) async throws -> Response {
        let staff = try context.requireStaff()
        let outcome: DeskActionOutcome
        do {
            outcome = try await body(staff.username)
        } catch {
            let failure = StaffFacingError(error)
            try await audit(context, action: action, subject: subject, detail: detail + " — " + failure.english, outcome: failure.kind == .systemFailure ? "failed" : "refused")
            throw failure
        }
        let auditedSubject = subject == "card on the reader" ? "card \(outcome.serial.printed)" : subject
        try await audit(context, action: action, subject: auditedSubject, detail: detail, outcome: outcome.wasAlreadyDone ? "already-done" : "ok")
        return outcomePage(outcome, context: context, next: next)
    }

    func outcomePage(_ outcome: DeskActionOutcome, context: DeskWebContext, next: HTML) -> Response {
        let language = context.language
        let notice: HTML = outcome.wasAlreadyDone
            ? "<div class=\"failure already-done\" id=\"already-done\"><p>\(language.text("Уже зроблено раніше: картку не змінено, нічого не записано вдруге.", "Already done before: the card was not changed, nothing recorded twice."))</p></div>"
            : "<div class=\"notice\" id=\"done\"><p>\(language.text("Виконано.", "Done."))</p></div>"
        var printable = HTML.empty
        if let text = outcome.printable {
            printable = """
                <div class="printable" id="printable"><pre>\(text)</pre></div>
                <p class="no-print"><button type="button" id="print" data-print="1">\(language.text("Друкувати (Ctrl+P)", "Print (Ctrl+P)"))</button></p>
                """
        }
        let body: HTML = """
            \(notice)<div class="no-print"><pre id="summary">\(outcome.summary)</pre></div>\(printable)\(next)
            <p class="no-print"><a href="/search?serial=\(outcome.serial.printed)" id="to-holder">\(language.text("До сторінки особи", "To the person's page"))</a></p>
            """
        return Pages.page(language.text("Картка", "Card") + " " + outcome.serial.printed, body, context: context)
    }

    func replaceNextStep(_ order: ReplacementOrder, context: DeskWebContext) -> HTML {
        let language = context.language
        return """
            <form method="post" action="/cards/\(order.oldSerial.printed)/replace/finish" id="replace-finish-form" class="no-print">\(Pages.csrf(context))
            <input type="hidden" name="newSerial" value="\(order.newSerial.printed)">
            <p>\(language.text("Заберіть стару картку, покладіть нову", "Take the old card away, put the new one")) (\(order.newSerial.printed)).</p>
            <button type="submit" id="replace-finish">\(language.text("Замінити: крок 2 (нова картка на зчитувачі)", "Replace: step 2 (new card on the reader)"))</button></form>
            """
    }

    func cardSerial(_ text: String) throws -> CardSerial {
        guard text.count <= 19, let serial = CardSerial(printed: text) else {
            throw StaffFacingError(.wrongInput, ukrainian: "номер картки — 16 шістнадцяткових цифр, напр. 0123-4567-89AB-CDEF", english: "a card serial is 16 hex digits, e.g. 0123-4567-89AB-CDEF")
        }
        return serial
    }

    func date(_ text: String?) throws -> CivilDate? {
        guard let text else { return nil }
        guard let date = CivilDate(iso: text) else {
            throw StaffFacingError(.wrongInput, ukrainian: "дата має бути у вигляді РРРР-ММ-ДД", english: "a date is YYYY-MM-DD")
        }
        return date
    }

    /// Hryvnias as typed (`50`, `50.5`, `50,50`) in kopecks, within a purse's range.
    func kopecks(_ text: String, allowZero: Bool) throws -> Int32 {
        let parts = text.replacingOccurrences(of: ",", with: ".").split(separator: ".", omittingEmptySubsequences: false)
        let wrong = StaffFacingError(.wrongInput, ukrainian: "сума — гривні, напр. 50 або 50.25, до 10000", english: "an amount is hryvnias, e.g. 50 or 50.25, up to 10000")
        guard (1...2).contains(parts.count), let whole = Int32(parts[0]), whole >= 0, whole <= 10_000 else { throw wrong }
        var cents: Int32 = 0
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), let value = Int32(parts[1]) else { throw wrong }
            cents = parts[1].count == 1 ? value * 10 : value
        }
        let total = whole * 100 + cents
        guard total > 0 || allowZero else { throw wrong }
        return total
    }
}
