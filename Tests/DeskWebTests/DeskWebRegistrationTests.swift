import DeskRegistry
import DeskWeb
import Entitlements
import Foundation
import Hummingbird
import HummingbirdTesting
import Identifiers
import Testing

/// Registering a walk-in resident and recording or ending an eligibility from the web forms.
@Suite("Desk web app: registering a person and their eligibilities")
struct DeskWebRegistrationTests {
    static let name = "Мельник Олег Степанович"
    static let idCard = "004512789"

    /// The registration form's fields, `overrides` replacing the defaults.
    static func registration(csrf: String, _ overrides: [String: String] = [:]) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("csrf", csrf), ("name", name), ("birth", "14.03.1960"), ("address", "Немішаєве, вул. Лісова, 3"), ("documentType", "id-card"),
            ("documentNumber", idCard), ("phone", "+380 67 123 45 67"), ("consentForm", "З-77"),
        ]
        for (key, value) in overrides {
            if let index = fields.firstIndex(where: { $0.0 == key }) { fields[index].1 = value } else { fields.append((key, value)) }
        }
        return fields
    }

    static func holders(named name: String, _ registry: HolderRegistry) async throws -> [HolderSummary] {
        try await registry.search(HolderQuery(name: name), limit: 10).holders
    }

    @Test("a search that finds nobody leads to the form; registering goes to the new person's page; audited without name or document number")
    func registerPerson() async throws {
        try await WebFixture.withRegistry { registry, _ in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/search?name=%D0%BC%D0%B5%D0%BB%D1%8C%D0%BD%D0%B8%D0%BA&birth=1960-03-14")
                #expect(web.lastBody.contains("id=\"no-results\""))
                #expect(web.lastBody.contains("href=\"/register?name=%D0%BC%D0%B5%D0%BB%D1%8C%D0%BD%D0%B8%D0%BA&amp;birth=1960-03-14\" id=\"register-found-nobody\""))
                let form = try await web.get("/register?name=%D0%BC%D0%B5%D0%BB%D1%8C%D0%BD%D0%B8%D0%BA&birth=1960-03-14")
                #expect(form.status == .ok)
                #expect(web.lastBody.contains("Зареєструвати особу") && web.lastBody.contains("value=\"мельник\"") && web.lastBody.contains("value=\"1960-03-14\""))
                let csrf = try #require(web.csrf)

                let saved = try await web.post("/register", Self.registration(csrf: csrf))
                #expect(saved.status == .seeOther)
                let found = try await Self.holders(named: "мельник", registry)
                #expect(found.count == 1)
                let id = try #require(found.first?.id)
                #expect(saved.headers[.location] == "/holders/\(id)")
                let record = try #require(try await registry.holder(id)?.details)
                #expect(record.fullName == Self.name && record.dateOfBirth == CivilDate(iso: "1960-03-14") && record.document.type == .idCard)
                #expect(record.document.number == Self.idCard && record.phone == "+380671234567")

                try await web.get("/holders/\(id)")
                #expect(web.lastBody.contains("id=\"holder-name\">\(Self.name)</td>") && web.lastBody.contains("Пільг не записано."))
                #expect(web.lastBody.contains("id=\"eligibility-form\"") && !web.lastBody.contains(Self.idCard))

                let log = try await registry.auditLog(limit: 100)
                let entry = try #require(log.first { $0.action == "holder.add" })
                #expect(entry.username == "ivan" && entry.subject == "holder \(id)" && entry.outcome == "ok")
                #expect(entry.detail == "document id-card, phone given, consent form reference given")
                let everything = log.map { "\($0.action) \($0.subject) \($0.detail)" }.joined(separator: "\n")
                #expect(!everything.contains(Self.idCard) && !everything.contains("Мельник") && !everything.contains("мельник"))
            }
        }
    }

    @Test("a document registered already is refused naming the holder, nothing changed; wrong input says which field")
    func duplicateAndWrongInput() async throws {
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/register")
                let csrf = try #require(web.csrf)

                // The fixture's passport, typed with Latin look-alikes and a space.
                let duplicate = try await web.post("/register", Self.registration(csrf: csrf, ["documentType": "passport", "documentNumber": "KH 123456"]))
                #expect(duplicate.status == .conflict)
                #expect(web.lastBody.contains("data-kind=\"already-done\""))
                #expect(web.lastBody.contains("особу з цим документом уже зареєстровано: особа №\(holder); нічого не змінено"))
                #expect(!web.lastBody.contains(WebFixture.passport))
                #expect(try await Self.holders(named: "мельник", registry).isEmpty)

                let wrongNumber = try await web.post("/register", Self.registration(csrf: csrf, ["documentNumber": "12-34"]))
                #expect(wrongNumber.status == .badRequest)
                #expect(web.lastBody.contains("data-kind=\"wrong-input\"") && web.lastBody.contains("номер документа не відповідає типу «ID-картка»"))
                let future = try await web.post("/register", Self.registration(csrf: csrf, ["birth": "2030-01-01"]))
                #expect(future.status == .badRequest)
                #expect(web.lastBody.contains("дата народження неможлива"))
                let notADate = try await web.post("/register", Self.registration(csrf: csrf, ["birth": "вчора"]))
                #expect(notADate.status == .badRequest)
                #expect(web.lastBody.contains("поле «Дата народження»: дата має бути у вигляді РРРР-ММ-ДД"))
                let noName = try await web.post("/register", Self.registration(csrf: csrf, ["name": " "]))
                #expect(noName.status == .badRequest)
                #expect(web.lastBody.contains("заповніть поле «ПІБ»"))
                let badPhone = try await web.post("/register", Self.registration(csrf: csrf, ["phone": "дзвоніть"]))
                #expect(badPhone.status == .badRequest)
                #expect(web.lastBody.contains("телефон має містити від 9 до 15 цифр"))
                #expect(try await Self.holders(named: "мельник", registry).isEmpty)

                let log = try await registry.auditLog(limit: 200)
                #expect(log.contains { $0.action == "holder.add" && $0.subject == "new holder" && $0.outcome == "already-done" })
                #expect(log.filter { $0.action == "holder.add" && $0.outcome == "refused" }.count == 4)
                let everything = log.map { "\($0.action) \($0.subject) \($0.detail)" }.joined(separator: "\n")
                #expect(!everything.contains("123456") && !everything.contains("12-34"))
            }
        }
    }

    @Test("hostile input: a name with markup is registered and shown as text; oversized fields and a forged CSRF token are refused, nothing saved")
    func hostileRegistration() async throws {
        let hostile = "<script>alert('x')</script> Мельник"
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/register?name=%3Cscript%3E")
                #expect(!web.lastBody.contains("<script>") && web.lastBody.contains("value=\"&lt;script&gt;\""))
                let csrf = try #require(web.csrf)

                let forged = try await web.post("/register", Self.registration(csrf: String(repeating: "0", count: 64)))
                #expect(forged.status == .forbidden)
                #expect(web.lastBody.contains("захисний код (CSRF) відсутній або не з цього сеансу"))
                let long = try await web.post("/register", Self.registration(csrf: csrf, ["address": String(repeating: "а", count: 301)]))
                #expect(long.status == .badRequest)
                #expect(web.lastBody.contains("поле «Адреса» задовге: не більше 300 символів"))
                let longNumber = try await web.post("/register", Self.registration(csrf: csrf, ["documentNumber": String(repeating: "1", count: 31)]))
                #expect(longNumber.status == .badRequest)
                #expect(try await Self.holders(named: "мельник", registry).isEmpty)

                let saved = try await web.post("/register", Self.registration(csrf: csrf, ["name": hostile]))
                #expect(saved.status == .seeOther)
                let location = try #require(saved.headers[.location])
                try await web.get(location)
                #expect(web.lastBody.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Мельник") && !web.lastBody.contains("<script>alert"))

                // Eligibility forms: a forged token changes nothing.
                let before = try await registry.holder(holder)?.eligibilities
                let forgedAdd = try await web.post(
                    "/holders/\(holder)/eligibilities", [("csrf", String(repeating: "1", count: 64)), ("category", "1"), ("evidence", "підробка")])
                #expect(forgedAdd.status == .forbidden)
                let eligibility = try #require(before?.first?.id)
                let forgedEnd = try await web.post("/holders/\(holder)/eligibilities/\(eligibility)/end", [("lastDay", "2026-11-30")])
                #expect(forgedEnd.status == .forbidden)
                #expect(try await registry.holder(holder)?.eligibilities == before)
            }
        }
    }

    @Test("an eligibility added from the person's page is shown; ending it is recorded once; a wrong category or someone else's eligibility is refused")
    func addAndEndEligibility() async throws {
        try await WebFixture.withRegistry { registry, holder in
            try await DeskWebApp.forTests(registry, actions: RecordingActions()).withClient { web in
                try await web.login("ivan")
                try await web.get("/holders/\(holder)")
                #expect(web.lastBody.contains("<option value=\"1\">Пенсіонер (1)</option>"))
                let csrf = try #require(web.csrf)
                let other = try await registry.addHolder(WebFixture.person("Сидоренко Ірина", passport: "КН654321"), consentFormReference: nil, clerk: "setup", at: WebFixture.now)

                let added = try await web.post(
                    "/holders/\(other)/eligibilities",
                    [("csrf", csrf), ("category", "1"), ("evidence", "пенсійне посвідчення <b>55</b>"), ("from", "2026-11-01"), ("until", "31.05.2027")])
                #expect(added.status == .seeOther)
                #expect(added.headers[.location] == "/holders/\(other)")
                let held = try #require(try await registry.holder(other)?.eligibilities.first)
                #expect(held.terms == (try EligibilityTerms(category: CategoryCode(1), evidence: "пенсійне посвідчення <b>55</b>", validFrom: CivilDate(iso: "2026-11-01")!, validUntil: CivilDate(iso: "2027-05-31"))))
                try await web.get("/holders/\(other)")
                #expect(web.lastBody.contains("<tr class=\"eligibility\" data-id=\"\(held.id)\"><td>Пенсіонер (1)</td><td>2026-11-01</td><td class=\"until\">2027-05-31</td><td>пенсійне посвідчення &lt;b&gt;55&lt;/b&gt;</td>"))
                #expect(web.lastBody.contains("action=\"/holders/\(other)/eligibilities/\(held.id)/end\""))

                let unknown = try await web.post("/holders/\(other)/eligibilities", [("csrf", csrf), ("category", "99"), ("evidence", "довідка")])
                #expect(unknown.status == .badRequest)
                #expect(web.lastBody.contains("оберіть категорію зі списку громади"))
                let backwards = try await web.post("/holders/\(other)/eligibilities", [("csrf", csrf), ("category", "pensioner"), ("evidence", "довідка"), ("from", "2026-12-01"), ("until", "2026-11-01")])
                #expect(backwards.status == .badRequest)
                #expect(web.lastBody.contains("пільга не може закінчуватися раніше, ніж починається"))
                let noEvidence = try await web.post("/holders/\(other)/eligibilities", [("csrf", csrf), ("category", "1"), ("evidence", "")])
                #expect(noEvidence.status == .badRequest)
                #expect(try await registry.holder(other)?.eligibilities.count == 1)

                // Someone else's eligibility through this person's address: refused, unchanged.
                let fixtureEligibility = try #require(try await registry.holder(holder)?.eligibilities.first)
                let elsewhere = try await web.post("/holders/\(other)/eligibilities/\(fixtureEligibility.id)/end", [("csrf", csrf)])
                #expect(elsewhere.status == .notFound)
                #expect(try await registry.holder(holder)?.eligibilities.first == fixtureEligibility)

                // Ended by default yesterday (the fixture's today is 2026-11-29); sent again: already done.
                let ended = try await web.post("/holders/\(other)/eligibilities/\(held.id)/end", [("csrf", csrf), ("lastDay", "")])
                #expect(ended.status == .seeOther)
                #expect(try await registry.holder(other)?.eligibilities.first?.terms.validUntil == CivilDate(iso: "2026-11-28"))
                #expect(try await web.post("/holders/\(other)/eligibilities/\(held.id)/end", [("csrf", csrf)]).status == .seeOther)
                try await web.get("/holders/\(other)")
                #expect(web.lastBody.contains("<td class=\"until\">2026-11-28</td>") && !web.lastBody.contains("/eligibilities/\(held.id)/end"))

                let log = try await registry.auditLog(limit: 200)
                #expect(log.contains { $0.action == "eligibility.add" && $0.subject == "holder \(other)" && $0.outcome == "ok" && $0.detail == "eligibility \(held.id): category 1, from 2026-11-01, until 2027-05-31" })
                // A field left empty is refused before the action (the request's own entry records it).
                #expect(log.filter { $0.action == "eligibility.add" && $0.outcome == "refused" }.count == 2)
                #expect(log.contains { $0.action == "eligibility.end" && $0.outcome == "ok" && $0.detail == "eligibility \(held.id) until 2026-11-28" })
                #expect(log.contains { $0.action == "eligibility.end" && $0.outcome == "already-done" })
                #expect(log.contains { $0.action == "eligibility.end" && $0.outcome == "refused" && $0.subject == "holder \(other)" })
                // The evidence names a document: it is not in the audit log.
                #expect(!log.contains { $0.detail.contains("посвідчення") })
            }
        }
    }
}
