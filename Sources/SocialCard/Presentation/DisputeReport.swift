import Entitlements
import Identifiers

extension CardSummary {
    /// A printable record of everything on a card for a dispute: each line in Ukrainian with the
    /// English beside it — card, validity, blocked flag, purse, every entitlement with its
    /// verdict and usage counter, then the whole trip log, oldest first, with local (Kyiv) times,
    /// the card's sequence numbers, the device, route, fare, the balance after (layouts keeping
    /// it) and the top-up receipt numbers. No personal data: the holder is a pseudonym the card
    /// does not print.
    public static func dispute(
        _ contents: SocialCardContents, verdicts: [EntitlementVerdict?], categories: [BenefitCategory], printedAt: UnixTime,
        desk: String, timeZone: TimeZoneRule
    ) -> String {
        let info = contents.info
        var lines: [String] = []
        func line(_ uk: String, _ en: String) { lines.append(uk == en ? uk : "\(uk)  /  \(en)") }
        line("ВИТЯГ З КАРТКИ ДЛЯ РОЗГЛЯДУ СКАРГИ", "CARD STATEMENT FOR A DISPUTE")
        line("Картка: \(info.serial), макет v\(info.layoutVersion)", "Card: \(info.serial), layout v\(info.layoutVersion)")
        line("Надруковано: \(local(printedAt, timeZone)), \(desk)", "Printed: \(local(printedAt, timeZone)), \(desk)")
        line("Видана: \(info.issueDate), дійсна до: \(info.expiryDate)", "Issued: \(info.issueDate), valid until: \(info.expiryDate)")
        if contents.status.isBlocked {
            line("Заблокована: так, з \(contents.status.blockedOn) (\(contents.status.blockReason))", "Blocked: yes, since \(contents.status.blockedOn) (\(contents.status.blockReason))")
        } else {
            line("Заблокована: ні", "Blocked: no")
        }
        line("Залишок гаманця: \(hryvnias(contents.purseKopecks)) грн", "Purse balance: \(hryvnias(contents.purseKopecks)) UAH")
        line("Пільги (\(contents.slots.count)):", "Entitlements (\(contents.slots.count)):")
        for (slot, content) in contents.slots.enumerated() {
            let verdict = slot < verdicts.count ? verdicts[slot] : nil
            switch content {
            case .entitlement(let entitlement):
                let category = categories.first { $0.code == entitlement.category }
                let counter = slot < contents.counters.count ? contents.counters[slot] : nil
                let counted = counter.flatMap { $0.entitlementID == entitlement.id ? $0 : nil }
                line(
                    "  \(slot + 1). №\(entitlement.id) \(category?.name.uk ?? "категорія \(entitlement.category)"), \(ProductText.ukrainian(entitlement.product)), з \(entitlement.validFrom) по \(entitlement.validUntil), ключ \(entitlement.issuerKeyID): \(verdictUkrainian(verdict))",
                    "#\(entitlement.id) \(category?.name.en ?? "category \(entitlement.category)"), \(ProductText.english(entitlement.product)), \(entitlement.validFrom) through \(entitlement.validUntil), key \(entitlement.issuerKeyID): \(verdictEnglish(verdict))")
                if let counted {
                    line("     лічильник: \(counted.ridesUsed) поїздок з \(counted.periodStart)", "counter: \(counted.ridesUsed) rides since \(counted.periodStart)")
                }
            case .malformed(let reason):
                line("  \(slot + 1). пошкоджений запис (\(reason))", "damaged record (\(reason))")
            case .empty:
                line("  \(slot + 1). порожньо", "empty")
            }
        }
        line("Журнал поїздок (\(contents.trips.count) записів, від найстаршого):", "Trip log (\(contents.trips.count) records, oldest first):")
        for trip in contents.trips {
            var uk = "  #\(trip.sequence) \(local(trip.time, timeZone)) \(tripKindUkrainian(trip.kind))"
            var en = "#\(trip.sequence) \(local(trip.time, timeZone)) \(trip.kind)"
            switch trip.kind {
            case "issued":
                uk += ", ключ видавця \(KeyID(trip.deviceID))"
                en += ", issuer key \(KeyID(trip.deviceID))"
            case "topUp":
                uk += ", каса \(trip.deviceID), квитанція №\(CardUpdatePlan.receiptNumber(of: trip))"
                en += ", desk \(trip.deviceID), receipt #\(CardUpdatePlan.receiptNumber(of: trip))"
                if trip.fareKopecks > 0 {
                    uk += ", +\(hryvnias(trip.fareKopecks)) грн"
                    en += ", +\(hryvnias(trip.fareKopecks)) UAH"
                }
            case "blocked":
                uk += ", пристрій \(trip.deviceID)"
                en += ", device \(trip.deviceID)"
            default:
                uk += ", пристрій \(trip.deviceID), маршрут \(trip.route), транспорт \(trip.vehicle), сплачено \(hryvnias(trip.fareKopecks)) грн"
                en += ", device \(trip.deviceID), route \(trip.route), vehicle \(trip.vehicle), paid \(hryvnias(trip.fareKopecks)) UAH"
                if let slot = trip.entitlementSlot {
                    uk += ", пільга \(slot + 1)"
                    en += ", entitlement \(slot + 1)"
                }
            }
            if let state = trip.state {
                uk += ", залишок \(hryvnias(state.balanceKopecks)) грн"
                en += ", balance \(hryvnias(state.balanceKopecks)) UAH"
            }
            if !trip.flags.isEmpty {
                uk += " [\(trip.flags.sorted().joined(separator: ", "))]"
                en += " [\(trip.flags.sorted().joined(separator: ", "))]"
            }
            line(uk, en)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-11-29 14:00` in `timeZone`.
    public static func local(_ time: UnixTime, _ timeZone: TimeZoneRule) -> String {
        let local = timeZone.local(at: time)
        let hour = local.secondOfDay / 3600
        let minute = local.secondOfDay / 60 % 60
        return "\(local.date) \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }
}
