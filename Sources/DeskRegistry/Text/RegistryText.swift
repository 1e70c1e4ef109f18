import Entitlements
import Identifiers

/// Which language(s) the registry's commands print: Ukrainian first, English available.
public enum RegistryLanguage: String, CaseIterable, Sendable {
    /// Ukrainian, then the same in English (the desk's default, as `issue` and `read` print).
    case both
    /// Ukrainian only.
    case uk
    /// English only.
    case en
}

/// What the registry's commands print, in the clerk's language(s). Personal data appears only
/// where the clerk asked for the person (show, find, worklist); confirmations name ids.
public struct RegistryText: Sendable {
    /// The language(s) to print.
    public var language: RegistryLanguage
    /// Category names by code, for people (the code alone when a category is not listed).
    public var categoryNames: [CategoryCode: LocalizedText]

    /// Text in `language`, with category names from `categories`.
    public init(language: RegistryLanguage, categories: [BenefitCategory] = []) {
        self.language = language
        self.categoryNames = Dictionary(categories.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    func render(_ ukrainian: [String], _ english: [String]) -> String {
        let lines: [String]
        switch language {
        case .both: lines = ukrainian + english
        case .uk: lines = ukrainian
        case .en: lines = english
        }
        return lines.map { $0 + "\n" }.joined()
    }

    func category(_ code: CategoryCode, english: Bool) -> String {
        guard let name = categoryNames[code] else { return english ? "category \(code)" : "категорія \(code)" }
        return "\(english ? name.en : name.uk) (\(code))"
    }

    /// After `registry init`.
    public func initialized(keyID: String, version: Int) -> String {
        render(
            ["Реєстр створено (схема v\(version)), ключ \(keyID). Зберігайте файл ключа окремо від бази: без нього номери документів не прочитати."],
            ["Registry created (schema v\(version)), key \(keyID). Keep the key file apart from the database: without it no document number can be read."])
    }

    /// After `registry migrate`.
    public func migrated(version: Int) -> String {
        render(["Схема реєстру: v\(version)."], ["Registry schema: v\(version)."])
    }

    /// After `registry rotate-key`.
    public func rotated(keyID: String, count: Int) -> String {
        render(["Новий ключ \(keyID); перешифровано номерів документів: \(count)."], ["New key \(keyID); document numbers re-sealed: \(count)."])
    }

    /// After `holder add`.
    public func holderAdded(_ id: HolderID) -> String {
        render(["Особу зареєстровано: №\(id)."], ["Holder registered: #\(id)."])
    }

    /// After `holder erase`.
    public func erased(_ ids: [HolderID]) -> String {
        guard !ids.isEmpty else { return render(["Нікого стирати."], ["Nobody to erase."]) }
        let list = ids.map { "№\($0)" }.joined(separator: ", ")
        let english = ids.map { "#\($0)" }.joined(separator: ", ")
        return render(
            ["Особисті дані стерто: \(list). Історію карток збережено без особистих даних."],
            ["Personal data erased: \(english). The card history is kept, without personal data."])
    }

    /// After `eligibility add`.
    public func eligibilityAdded(_ id: Int64, holder: HolderID) -> String {
        render(["Пільгу №\(id) додано особі №\(holder)."], ["Eligibility #\(id) added to holder #\(holder)."])
    }

    /// After `eligibility end`.
    public func eligibilityEnded(_ id: Int64, lastDay: CivilDate) -> String {
        render(["Пільга №\(id) діє по \(lastDay) включно."], ["Eligibility #\(id) ends on \(lastDay) (inclusive)."])
    }

    /// A page of search results.
    public func searchPage(_ page: SearchPage) -> String {
        func line(_ holder: HolderSummary, cards: String) -> String {
            "  №\(holder.id)  \(holder.fullName)  \(holder.dateOfBirth)  \(cards)"
        }
        let first = page.offset + 1
        let last = page.offset + page.holders.count
        var ukrainian = [page.holders.isEmpty ? "Нікого не знайдено." : "Знайдено (\(first)–\(last)\(page.hasMore ? ", є ще" : "")):"]
        var english = [page.holders.isEmpty ? "Nobody found." : "Found (\(first)–\(last)\(page.hasMore ? ", more follow" : "")):"]
        for holder in page.holders {
            let serials = holder.cards.map(\.printed).joined(separator: ", ")
            ukrainian.append(line(holder, cards: serials.isEmpty ? "без картки" : "картки: \(serials)"))
            english.append(line(holder, cards: serials.isEmpty ? "no card" : "cards: \(serials)"))
        }
        return render(ukrainian, english)
    }

    /// A holder's page: the person, consent, eligibilities, cards.
    public func holder(_ record: HolderRecord) -> String {
        var ukrainian: [String] = []
        var english: [String] = []
        if let details = record.details {
            ukrainian += [
                "Особа №\(record.id): \(details.fullName)", "  Дата народження: \(details.dateOfBirth)", "  Адреса: \(details.address)",
                "  Документ: \(details.document.type.ukrainian) \(details.document.number)", "  Телефон: \(details.phone ?? "—")",
            ]
            english += [
                "Holder #\(record.id): \(details.fullName)", "  Date of birth: \(details.dateOfBirth)", "  Address: \(details.address)",
                "  Document: \(details.document.type.rawValue) \(details.document.number)", "  Phone: \(details.phone ?? "—")",
            ]
        } else {
            ukrainian.append("Особа №\(record.id): особисті дані стерто \(record.erasedAt?.description ?? "")")
            english.append("Holder #\(record.id): personal data erased \(record.erasedAt?.description ?? "")")
        }
        for consent in record.consents {
            let withdrawn = consent.withdrawnAt.map { ", відкликано \($0)" } ?? ""
            ukrainian.append("  Згода на обробку: \(consent.givenAt) (\(consent.clerk))\(withdrawn)")
            english.append("  Consent to processing: \(consent.givenAt) (\(consent.clerk))" + (consent.withdrawnAt.map { ", withdrawn \($0)" } ?? ""))
        }
        for eligibility in record.eligibilities {
            let terms = eligibility.terms
            let source = eligibility.source == .clerk ? "clerk" : "import"
            ukrainian.append(
                "  Пільга №\(eligibility.id): \(category(terms.category, english: false)), з \(terms.validFrom) по \(terms.validUntil?.description ?? "безстроково"); підстава: \(terms.evidence.isEmpty ? "—" : terms.evidence); джерело: \(source == "clerk" ? "працівник" : "імпорт")")
            english.append(
                "  Eligibility #\(eligibility.id): \(category(terms.category, english: true)), \(terms.validFrom) until \(terms.validUntil?.description ?? "open"); evidence: \(terms.evidence.isEmpty ? "—" : terms.evidence); source: \(source)")
        }
        for card in record.cards {
            let balance = card.credits.reduce(0) { $0 + $1.kopecks }
            ukrainian.append("  Картка \(card.serial.printed) (макет \(card.layout)): \(card.status?.ukrainian ?? "—"); поповнено за весь час: \(Self.hryvnias(balance)) грн")
            english.append("  Card \(card.serial.printed) (layout \(card.layout)): \(card.status?.english ?? "—"); credited in all: \(Self.hryvnias(balance)) UAH")
            for entitlement in Self.latest(card.entitlements) {
                ukrainian.append("    Пільга на картці \(entitlement.id): \(category(entitlement.category, english: false)), \(entitlement.product), з \(entitlement.validFrom) по \(entitlement.validUntil)")
                english.append("    Entitlement \(entitlement.id): \(category(entitlement.category, english: true)), \(entitlement.product), \(entitlement.validFrom) through \(entitlement.validUntil)")
            }
        }
        return render(ukrainian, english)
    }

    /// An import's diff, before (`applied` nil) or after it was stored.
    public func importResult(_ preview: ImportPreview, appliedAs importID: Int64?) -> String {
        let diff = preview.diff
        var ukrainian = [
            importID.map { "Імпорт №\($0) збережено. Рядків: \(preview.lines)." } ?? "Перевірка імпорту (нічого не збережено). Рядків: \(preview.lines).",
            "  Нові пільги: \(diff.additions.count); змінені: \(diff.changes.count); припинені: \(diff.lapses.count); без змін: \(diff.unchanged); особу не знайдено: \(diff.unmatchedLines.count)",
        ]
        var english = [
            importID.map { "Import #\($0) stored. Lines: \(preview.lines)." } ?? "Import checked (nothing stored). Lines: \(preview.lines).",
            "  New: \(diff.additions.count); changed: \(diff.changes.count); lapsed: \(diff.lapses.count); unchanged: \(diff.unchanged); person not found: \(diff.unmatchedLines.count)",
        ]
        for addition in diff.additions {
            ukrainian.append("  нова: особа №\(addition.holder), \(category(addition.terms.category, english: false)), по \(addition.terms.validUntil?.description ?? "безстроково") (рядок \(addition.line))")
            english.append("  new: holder #\(addition.holder), \(category(addition.terms.category, english: true)), until \(addition.terms.validUntil?.description ?? "open") (line \(addition.line))")
        }
        for change in diff.changes {
            ukrainian.append(
                "  змінена: особа №\(change.holder), \(category(change.after.category, english: false)), по \(change.before.validUntil?.description ?? "безстроково") → \(change.after.validUntil?.description ?? "безстроково") (рядок \(change.line))")
            english.append(
                "  changed: holder #\(change.holder), \(category(change.after.category, english: true)), until \(change.before.validUntil?.description ?? "open") → \(change.after.validUntil?.description ?? "open") (line \(change.line))")
        }
        for lapse in diff.lapses {
            ukrainian.append(
                "  припинена: особа №\(lapse.holder), \(category(lapse.before.category, english: false)), діє по \(lapse.endsOn)" + (lapse.line.map { " (рядок \($0))" } ?? " (немає у вивантаженні)"))
            english.append(
                "  lapsed: holder #\(lapse.holder), \(category(lapse.before.category, english: true)), ends on \(lapse.endsOn)" + (lapse.line.map { " (line \($0))" } ?? " (not in the export)"))
        }
        if !diff.unmatchedLines.isEmpty {
            let lines = diff.unmatchedLines.map(String.init).joined(separator: ", ")
            ukrainian.append("  особу не зареєстровано на цьому пункті, рядки: \(lines)")
            english.append("  person not registered at this desk, lines: \(lines)")
        }
        if !diff.lapses.isEmpty {
            ukrainian.append("Припинені пільги потрапили до списку на поновлення: hromada-desk worklist")
            english.append("Lapsed eligibilities are on the renewal worklist: hromada-desk worklist")
        }
        return render(ukrainian, english)
    }

    /// The renewal worklist.
    public func worklist(_ lines: [WorklistLine], today: CivilDate, horizonDays: Int) -> String {
        var ukrainian = ["Список на поновлення на \(today) (горизонт \(horizonDays) дн.): \(lines.count)"]
        var english = ["Renewal worklist on \(today) (horizon \(horizonDays) days): \(lines.count)"]
        for line in lines {
            let item = line.item
            let who = line.fullName ?? "—"
            let phone = line.phone.map { ", \($0)" } ?? ""
            let (uk, en): (String, String) =
                switch item.reason {
                case .eligibilityLapsed(let day): ("пільга припинилася \(day)", "eligibility lapsed on \(day)")
                case .eligibilityLapsing(let day): ("пільга закінчується \(day)", "eligibility ends on \(day)")
                case .noEligibility: ("немає підтвердженої пільги", "no eligibility on record")
                case .entitlementEnding(let day): ("запис на картці діє до \(day): поновіть картку", "the card's entitlement ends on \(day): renew the card")
                }
            ukrainian.append("  до \(item.dueOn): особа №\(item.holder) \(who)\(phone); картка \(item.serial.printed), пільга \(item.entitlement) (\(category(item.category, english: false))): \(uk)")
            english.append("  by \(item.dueOn): holder #\(item.holder) \(who)\(phone); card \(item.serial.printed), entitlement \(item.entitlement) (\(category(item.category, english: true))): \(en) [\(item.reason.code)]")
        }
        return render(ukrainian, english)
    }

    /// The latest written version of each entitlement id, by id.
    static func latest(_ entitlements: [WrittenEntitlement]) -> [WrittenEntitlement] {
        var byID: [EntitlementID: WrittenEntitlement] = [:]
        for entitlement in entitlements { byID[entitlement.id] = entitlement }
        return byID.values.sorted { $0.id < $1.id }
    }

    static func hryvnias(_ kopecks: Int64) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
