import Entitlements
import Identifiers
import SmartCard

/// What the desk prints about a card: Ukrainian first, then English. Pure, so the words are tested.
public enum CardSummary {
    /// The summary after `upgrade`: nil `report` when the card was already upgraded.
    public static func upgraded(_ report: PersonalizationReport?, contents: SocialCardContents, from: SocialCardLayout, to: SocialCardLayout) -> String {
        let serial = contents.info.serial
        var uk: [String] = []
        var en: [String] = []
        if let report {
            uk.append("Картку \(serial) переведено з макета v\(from.layout.version) на v\(to.layout.version).")
            en.append("Card \(serial) moved from layout v\(from.layout.version) to v\(to.layout.version).")
            uk.append("  Перенесено: гаманець \(hryvnias(contents.purseKopecks)) грн, пільг \(contents.entitlements.count), поїздок у журналі \(contents.trips.count)")
            en.append("  Carried over: purse \(hryvnias(contents.purseKopecks)) UAH, \(contents.entitlements.count) entitlements, \(contents.trips.count) trip records")
            uk.append("  Обмін з карткою: \(report.apduCount) APDU, кроків виконано: \(report.steps.count)")
            en.append("  Card exchange: \(report.apduCount) APDUs, steps done: \(report.steps.count)")
        } else {
            uk.append("Картка \(serial) вже має макет v\(to.layout.version); змін не внесено.")
            en.append("Card \(serial) already has layout v\(to.layout.version); nothing was changed.")
        }
        return (uk + [""] + en).joined(separator: "\n") + "\n"
    }

    /// The summary after `issue`.
    public static func issued(_ report: PersonalizationReport, plan: PersonalizationPlan, categories: [BenefitCategory]) -> String {
        let request = plan.request
        var uk: [String] = []
        var en: [String] = []
        if report.wasAlreadyComplete {
            // What is on the card may differ from this request (another day, another product):
            // say only that nothing changed, and where to look.
            uk.append("Картку \(request.serial) вже видано раніше; змін не внесено. Вміст: hromada-desk read.")
            en.append("Card \(request.serial) was already issued; nothing was changed. Contents: hromada-desk read.")
            uk.append("  UID картки: \(Hex.encode(report.uid, case: .upper)), версія ключів: \(report.keyVersion)")
            en.append("  Card UID: \(Hex.encode(report.uid, case: .upper)), key version: \(report.keyVersion)")
            return (uk + [""] + en).joined(separator: "\n") + "\n"
        } else if report.resumed {
            uk.append("Видачу картки \(request.serial) завершено (продовжено перервану персоналізацію).")
            en.append("Card \(request.serial) issued (an interrupted personalization was completed).")
        } else {
            uk.append("Картку \(request.serial) видано.")
            en.append("Card \(request.serial) issued.")
        }
        uk.append("  UID картки: \(Hex.encode(report.uid, case: .upper)), версія ключів: \(report.keyVersion)")
        en.append("  Card UID: \(Hex.encode(report.uid, case: .upper)), key version: \(report.keyVersion)")
        uk.append("  Дійсна: з \(request.issueDate) по \(request.expiryDate)")
        en.append("  Valid: \(request.issueDate) through \(request.expiryDate)")
        for (slot, entitlement) in request.entitlements.enumerated() {
            let category = categories.first { $0.code == entitlement.category }
            uk.append("  Пільга \(slot + 1): \(category?.name.uk ?? "категорія \(entitlement.category)") — \(ProductText.ukrainian(entitlement.product)), з \(entitlement.validFrom) по \(entitlement.validUntil)")
            en.append("  Entitlement \(slot + 1): \(category?.name.en ?? "category \(entitlement.category)") — \(ProductText.english(entitlement.product)), \(entitlement.validFrom) through \(entitlement.validUntil)")
        }
        uk.append("  Гаманець: \(hryvnias(Int(plan.expectedPurse))) грн")
        en.append("  Purse: \(hryvnias(Int(plan.expectedPurse))) UAH")
        uk.append("  Обмін з карткою: \(report.apduCount) APDU, кроків виконано: \(report.steps.count)")
        en.append("  Card exchange: \(report.apduCount) APDUs, steps done: \(report.steps.count)")
        return (uk + [""] + en).joined(separator: "\n") + "\n"
    }

    /// The summary after `read`, with each entitlement's verdict.
    public static func read(_ contents: SocialCardContents, verdicts: [EntitlementVerdict?], categories: [BenefitCategory]) -> String {
        let info = contents.info
        var uk: [String] = []
        var en: [String] = []
        uk.append("Картка \(info.serial) (макет v\(info.layoutVersion), громада \(info.communityCode))")
        en.append("Card \(info.serial) (layout v\(info.layoutVersion), community \(info.communityCode))")
        uk.append("  UID: \(Hex.encode(contents.uid, case: .upper)), версія ключів: \(contents.keyVersion)")
        en.append("  UID: \(Hex.encode(contents.uid, case: .upper)), key version: \(contents.keyVersion)")
        uk.append("  Видана: \(info.issueDate), дійсна до: \(info.expiryDate)")
        en.append("  Issued: \(info.issueDate), valid until: \(info.expiryDate)")
        uk.append("  Заблокована: \(contents.status.isBlocked ? "так (\(contents.status.blockReason), \(contents.status.blockedOn))" : "ні")")
        en.append("  Blocked: \(contents.status.isBlocked ? "yes (\(contents.status.blockReason), \(contents.status.blockedOn))" : "no")")
        uk.append("  Гаманець: \(hryvnias(contents.purseKopecks)) грн")
        en.append("  Purse: \(hryvnias(contents.purseKopecks)) UAH")
        if contents.slots.isEmpty {
            uk.append("  Пільг немає")
            en.append("  No entitlements")
        }
        for (slot, content) in contents.slots.enumerated() {
            let verdict = slot < verdicts.count ? verdicts[slot] : nil
            switch content {
            case .entitlement(let entitlement):
                let category = categories.first { $0.code == entitlement.category }
                let counter = slot < contents.counters.count ? contents.counters[slot] : nil
                let used = counter.map { $0.entitlementID == entitlement.id ? $0.ridesUsed : 0 } ?? 0
                uk.append("  Пільга \(slot + 1) (№\(entitlement.id)): \(category?.name.uk ?? "категорія \(entitlement.category)") — \(ProductText.ukrainian(entitlement.product)), з \(entitlement.validFrom) по \(entitlement.validUntil); \(verdictUkrainian(verdict)); використано поїздок: \(used)")
                en.append("  Entitlement \(slot + 1) (#\(entitlement.id)): \(category?.name.en ?? "category \(entitlement.category)") — \(ProductText.english(entitlement.product)), \(entitlement.validFrom) through \(entitlement.validUntil); \(verdictEnglish(verdict)); rides used: \(used)")
            case .malformed(let reason):
                uk.append("  Пільга \(slot + 1): пошкоджений запис (\(reason))")
                en.append("  Entitlement \(slot + 1): damaged record (\(reason))")
            case .empty:
                uk.append("  Пільга \(slot + 1): порожньо")
                en.append("  Entitlement \(slot + 1): empty")
            }
        }
        uk.append("  Поїздки (\(contents.trips.count)):")
        en.append("  Trips (\(contents.trips.count)):")
        for trip in contents.trips {
            if trip.kind == "issued" {
                // An issued record's device is the issuer key that signed the card's entitlements.
                let key = KeyID(trip.deviceID)
                uk.append("    \(trip.time) \(tripKindUkrainian(trip.kind)), ключ видавця \(key)")
                en.append("    \(trip.time) issued, issuer key \(key)")
                continue
            }
            uk.append("    \(trip.time) \(tripKindUkrainian(trip.kind)), пристрій \(trip.deviceID), маршрут \(trip.route), сплачено \(hryvnias(trip.fareKopecks)) грн")
            en.append("    \(trip.time) \(trip.kind), device \(trip.deviceID), route \(trip.route), paid \(hryvnias(trip.fareKopecks)) UAH")
        }
        return (uk + [""] + en).joined(separator: "\n") + "\n"
    }

    /// Kopecks as hryvnias with two decimals.
    public static func hryvnias(_ kopecks: Int) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let value = abs(kopecks)
        let cents = value % 100
        return "\(sign)\(value / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    static func verdictUkrainian(_ verdict: EntitlementVerdict?) -> String {
        switch verdict {
        case nil: "не перевірено"
        case .valid?: "дійсна"
        case .invalid(let rejection)?: "недійсна: \(rejection.code)"
        }
    }

    static func verdictEnglish(_ verdict: EntitlementVerdict?) -> String {
        switch verdict {
        case nil: "not verified"
        case .valid?: "valid"
        case .invalid(let rejection)?: "invalid: \(rejection.code)"
        }
    }

    static func tripKindUkrainian(_ kind: String) -> String {
        ["entry": "поїздка", "transfer": "пересадка", "passbackRepeat": "повторне прикладання", "topUp": "поповнення",
         "blocked": "блокування", "issued": "видача картки"][kind] ?? kind
    }
}
