import Entitlements
import Identifiers
import SocialCard

/// What the desk prints after a lifecycle action: Ukrainian first, then English; and the
/// citizen's top-up receipt. Pure, so the words are tested.
public enum CardActionText {
    /// The operator's summary of `result`.
    public static func summary(_ result: CardActionResult, categories: [BenefitCategory]) -> String {
        var uk: [String] = []
        var en: [String] = []
        let serial = result.serial
        let again = result.wasAlreadyDone
        switch result.action {
        case .issue:
            uk.append(again ? "Картку \(serial) вже видано раніше; змін не внесено." : "Картку \(serial) видано.")
            en.append(again ? "Card \(serial) was already issued; nothing was changed." : "Card \(serial) issued.")
        case .renew:
            uk.append(again ? "Картку \(serial) вже поновлено; змін не внесено." : "Картку \(serial) поновлено.")
            en.append(again ? "Card \(serial) was already renewed; nothing was changed." : "Card \(serial) renewed.")
        case .entitlementAdded:
            let id = result.changedEntitlements.first.map { "№\($0)" } ?? ""
            uk.append(again ? "Пільга \(id) вже є на картці \(serial); змін не внесено." : "Пільгу \(id) додано на картку \(serial).")
            en.append(again ? "Entitlement \(id.replacingOccurrences(of: "№", with: "#")) is already on card \(serial); nothing was changed." : "Entitlement \(id.replacingOccurrences(of: "№", with: "#")) added to card \(serial).")
        case .entitlementEnded:
            let id = result.changedEntitlements.first.map { "\($0)" } ?? "?"
            uk.append(again ? "Пільгу №\(id) на картці \(serial) вже припинено; змін не внесено." : "Пільгу №\(id) на картці \(serial) припинено.")
            en.append(again ? "Entitlement #\(id) on card \(serial) was already ended; nothing was changed." : "Entitlement #\(id) on card \(serial) ended.")
        case .topUp:
            let amount = CardSummary.hryvnias(result.amountKopecks ?? 0)
            uk.append(again ? "Поповнення за квитанцією №\(result.receiptNumber ?? 0) вже зараховано; вдруге не зараховано." : "Картку \(serial) поповнено на \(amount) грн.")
            en.append(again ? "Top-up receipt #\(result.receiptNumber ?? 0) was already credited; not credited again." : "Card \(serial) topped up with \(amount) UAH.")
        case .block:
            if result.cardWritten {
                uk.append("Картку \(serial) заблоковано на самій картці.")
                en.append("Card \(serial) blocked on the card.")
            } else if result.wasAlreadyDone {
                uk.append("Картка \(serial) вже заблокована.")
                en.append("Card \(serial) was already blocked.")
            }
        case .replace:
            uk.append(again ? "Картку-заміну \(serial) вже видано раніше; змін не внесено." : "Видано картку-заміну \(serial) замість \(result.formerSerial.map { "\($0)" } ?? "?").")
            en.append(again ? "Replacement card \(serial) was already issued; nothing was changed." : "Replacement card \(serial) issued for \(result.formerSerial.map { "\($0)" } ?? "?").")
            let origin = result.balanceOrigin == "ledger" ? ("за журналом операцій сервісу обліку", "from the accounting service's ledger entries") : ("зі старої картки", "read from the old card")
            uk.append("  Перенесено залишок \(CardSummary.hryvnias(result.amountKopecks ?? 0)) грн (\(origin.0)), пільг: \(result.entitlements.count)")
            en.append("  Balance moved: \(CardSummary.hryvnias(result.amountKopecks ?? 0)) UAH (\(origin.1)), entitlements: \(result.entitlements.count)")
        case .return:
            uk.append(again ? "Картку \(serial) вже прийнято назад (заблоковано)." : "Картку \(serial) прийнято назад і заблоковано; її можна видати іншій особі (hromada-desk reissue).")
            en.append(again ? "Card \(serial) was already returned (blocked)." : "Card \(serial) returned and blocked; it can be issued to someone else (hromada-desk reissue).")
        case .reissue:
            uk.append(again ? "Повернену картку вже видано як \(serial); змін не внесено." : "Повернену картку \(result.formerSerial.map { "\($0)" } ?? "?") стерто й видано як \(serial).")
            en.append(again ? "The returned card was already issued as \(serial); nothing was changed." : "Returned card \(result.formerSerial.map { "\($0)" } ?? "?") wiped and issued as \(serial).")
        }
        if let expiry = result.cardExpiry, result.action != .topUp, result.action != .block, result.action != .return {
            uk.append("  Картка дійсна до: \(expiry)")
            en.append("  Card valid until: \(expiry)")
        }
        if [.issue, .renew, .entitlementAdded, .entitlementEnded, .replace, .reissue].contains(result.action) {
            for terms in result.entitlements {
                let category = categories.first { $0.code == terms.category }
                uk.append("  Пільга №\(terms.id): \(category?.name.uk ?? "категорія \(terms.category)") — \(ProductText.ukrainian(terms.product)), з \(terms.validFrom) по \(terms.validUntil)")
                en.append("  Entitlement #\(terms.id): \(category?.name.en ?? "category \(terms.category)") — \(ProductText.english(terms.product)), \(terms.validFrom) through \(terms.validUntil)")
            }
        }
        if let after = result.purseAfterKopecks, result.action == .topUp || result.action == .replace || result.action == .reissue || result.action == .issue {
            uk.append("  Гаманець: \(CardSummary.hryvnias(after)) грн")
            en.append("  Purse: \(CardSummary.hryvnias(after)) UAH")
        }
        if let report = result.denyListReport {
            uk.append("  Стоп-список: картку передано до сервісу обліку (запит №\(report.id), причина \(report.reason)); блокування дійде до валідаторів з наступним підписаним стоп-списком")
            en.append("  Deny list: reported to the accounting service (report #\(report.id), reason \(report.reason)); the block reaches the validators with the next signed deny-list bundle")
        }
        if result.cardWritten || result.apduCount > 0 {
            uk.append("  Обмін з карткою: \(result.apduCount) APDU")
            en.append("  Card exchange: \(result.apduCount) APDUs")
        }
        return (uk + [""] + en).joined(separator: "\n") + "\n"
    }

    /// Whether the block has reached the validators, for the operator.
    public static func propagation(_ propagation: BlockPropagation) -> String {
        let serial = propagation.serial
        var uk: [String] = []
        var en: [String] = []
        uk.append("Запит на блокування картки \(serial) у сервісі обліку: \(propagation.reported ? "є" : "немає")")
        en.append("Block report for card \(serial) at the accounting service: \(propagation.reported ? "yes" : "no")")
        if let version = propagation.newestBundleVersion {
            uk.append("Найновіший опублікований стоп-список: версія \(version)")
            en.append("Newest published deny-list bundle: version \(version)")
        } else {
            uk.append("Опублікованого стоп-списку немає")
            en.append("No deny-list bundle is published")
        }
        if let reason = propagation.listedReason {
            uk.append("Блокування дійшло до валідаторів (у стоп-списку, причина \(reason.rawValue)).")
            en.append("The block has reached the validators (listed, reason \(reason.rawValue)).")
        } else {
            uk.append("Блокування ще НЕ дійшло до валідаторів: стоп-список підписує й публікує власник ключа (hromada-keys bundle sign --kind denylist).")
            en.append("The block has NOT reached the validators yet: the key holder signs and publishes the deny list (hromada-keys bundle sign --kind denylist).")
        }
        return (uk + [""] + en).joined(separator: "\n") + "\n"
    }

    /// The citizen's printable top-up receipt: receipt number, card, amount, new balance, time
    /// and desk, in Ukrainian with English beside. No personal data.
    public static func topUpReceipt(_ result: CardActionResult, desk: String) -> String {
        let time = CardSummary.local(result.at, IssuancePolicy.timeZone)
        let amount = CardSummary.hryvnias(result.amountKopecks ?? 0)
        let balance = CardSummary.hryvnias(result.purseAfterKopecks ?? 0)
        return """
            ================================================
            КВИТАНЦІЯ ПРО ПОПОВНЕННЯ № \(result.receiptNumber ?? 0)
            Top-up receipt No. \(result.receiptNumber ?? 0)
            ------------------------------------------------
            Картка / Card:            \(result.serial)
            Сума / Amount:            \(amount) грн / UAH
            Новий залишок / Balance:  \(balance) грн / UAH
            Час / Time:               \(time) (Київ / Kyiv)
            Пункт / Desk:             \(desk)
            ================================================

            """
    }
}
