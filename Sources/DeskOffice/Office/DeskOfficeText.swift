import Desk
import DeskRecords
import DeskRegistry

/// The lines the desk adds after a card action's summary to say what the registry recorded:
/// Ukrainian, then English. Pseudonymous: holders are named by their registry number only.
public enum DeskOfficeText {
    /// One line per record in each language; empty when nothing was recorded (no registry).
    public static func recorded(_ outcome: DeskOfficeOutcome) -> String {
        guard !outcome.recorded.isEmpty else { return "" }
        var uk: [String] = []
        var en: [String] = []
        for record in outcome.recorded {
            let serial = record.serial.printed
            let (what, whatEnglish): (String, String)
            switch record.event {
            case .issued(let holder): (what, whatEnglish) = ("картку \(serial) видано особі №\(holder)", "card \(serial) issued to holder \(holder)")
            case .entitlements: (what, whatEnglish) = ("пільги на картці \(serial)", "entitlements on card \(serial)")
            case .credit(let receipt): (what, whatEnglish) = ("поповнення картки \(serial), квитанція №\(receipt)", "credit to card \(serial), receipt \(receipt)")
            case .status(let event): (what, whatEnglish) = ("стан картки \(serial): \(event.ukrainian)", "card \(serial) status: \(event.english)")
            case .replacement(let old): (what, whatEnglish) = ("картка \(serial) замінює \(old.printed)", "card \(serial) replaces \(old.printed)")
            }
            let done = record.outcome == .recorded
            uk.append("  Реєстр: \(what) — \(done ? "записано" : "вже було записано")")
            en.append("  Registry: \(whatEnglish) — \(done ? "recorded" : "already recorded")")
        }
        return (uk + en).joined(separator: "\n") + "\n"
    }
}
