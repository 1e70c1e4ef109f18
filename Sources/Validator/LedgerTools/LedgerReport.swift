import LedgerCore
import LedgerStore
import Localization

/// What the ledger tools (`hromada-validator ledger …`) print for people: Ukrainian first,
/// English after.
public enum LedgerReport {
    /// The summary of a ledger that verified.
    ///
    /// `keyGiven` says whether checkpoints were checked against a key the auditor trusts (not
    /// the one recorded in the file); `serviceKeyGiven` likewise for receipts; `trustLines` are
    /// what the trust check (`LedgerTrust`) found, printed under the summary.
    public static func intact(
        _ summary: LedgerSummary, keyGiven: Bool, serviceKeyGiven: Bool = false, trustLines: [String] = []
    ) -> String {
        let range = summary.entryCount == 0
            ? "записів немає / no entries"
            : "записи №\(summary.start.sequence + 1)–\(summary.head.sequence) (\(summary.entryCount)) / entries \(summary.start.sequence + 1)–\(summary.head.sequence)"
        var lines = [
            "Журнал цілий / Ledger intact",
            "  пристрій / device: \(summary.head.deviceID)",
            "  \(range)",
            "  контрольних точок / checkpoints: \(summary.checkpointCount)"
                + (summary.lastCheckpointSequence.map { ", остання / last: №\($0)" } ?? ""),
        ]
        if summary.receiptCount > 0 {
            lines.append(
                "  квитанцій / receipts: \(summary.receiptCount)" + (summary.lastReceiptSequence.map { ", остання / last: №\($0)" } ?? ""))
        }
        lines.append("  хеш ланцюга / chain hash: \(summary.head.hash)")
        for range in summary.coverage { lines.append("  " + coverageLine(range)) }
        if summary.start.sequence > 0 {
            lines.append("  записи №1–\(summary.start.sequence) видалено за квитанцією / entries 1–\(summary.start.sequence) pruned under a receipt")
        }
        lines += trustLines.map { "  " + $0 }
        if !keyGiven {
            lines.append("  увага: підписи перевірено лише ключем, записаним у самому журналі; хто замінив ключ, той підробить і підписи / warning: signatures were checked only against the key recorded in the ledger itself, which whoever replaced that key could forge too (pass --trust-bundle with --root-key and --device-id, or --device-key)")
        }
        if summary.receiptCount > 0, !serviceKeyGiven {
            lines.append("  квитанції перевірено ключем сервісу, записаним у журналі / receipts were checked against the service key recorded in the ledger (pass --trust-bundle to check against the accounting certificate)")
        }
        if summary.chainOnlyEntries > 0 {
            let count = summary.chainOnlyEntries
            // The participle and the verb agree with the count: 1 запис … захищений, 2 записи … захищені.
            let protectedUK = PluralCategory.ukrainian(count) == .one ? "захищений" : "захищені"
            let protectedEN = PluralCategory.english(count) == .one ? "is protected" : "are protected"
            lines.append("  увага: \(UkrainianNoun.record.counted(count)) після останньої контрольної точки й квитанції \(protectedUK) лише ланцюгом / note: \(EnglishNoun.entry.counted(count)) after the last checkpoint and receipt \(protectedEN) by the chain only")
        }
        return lines.joined(separator: "\n")
    }

    /// How one range of entries is covered: `№1–25: контрольна точка №25 / entries 1–25: checkpoint 25`.
    public static func coverageLine(_ range: LedgerCoverage) -> String {
        let numbers = range.first == range.last ? "№\(range.first)" : "№\(range.first)–\(range.last)"
        let english = range.first == range.last ? "entry \(range.first)" : "entries \(range.first)–\(range.last)"
        let at = range.statementSequence.map(String.init) ?? ""
        switch range.kind {
        case .checkpoint:
            return "\(numbers): підписано контрольною точкою пристрою №\(at) / \(english): signed by the device's checkpoint \(at)"
        case .receipt:
            return "\(numbers): підписано квитанцією сервісу обліку №\(at) / \(english): signed by the accounting service's receipt \(at)"
        case .chainOnly:
            return "\(numbers): лише ланцюг, без підпису / \(english): the chain only, nothing signed"
        }
    }

    /// Where and why a ledger failed verification.
    public static func broken(_ fault: LedgerFault) -> String {
        """
        Журнал пошкоджено / Ledger broken
          перший поганий запис / first bad sequence: \(fault.sequence)
          причина / reason (\(fault.code)): \(fault.ukrainian) / \(fault.english)
        """
    }

    /// The ledger's state, above its last entries.
    public static func header(store: LedgerStore, entryCount: Int, start: ChainHead) -> String {
        let state = store.head.sequence == 0 ? "порожній / empty" : "останній запис / last entry №\(store.head.sequence)"
        return """
            Журнал пристрою / Ledger of device \(store.deviceID): \(state), записів / entries stored: \(entryCount)
              контрольна точка / last checkpoint: \(store.lastCheckpointSequence.map { "№\($0)" } ?? "немає / none")
              хеш ланцюга / chain hash: \(store.head.hash)
            """
    }

    /// One entry on one line.
    public static func line(_ entry: LedgerEntry) -> String {
        let record = entry.record
        var parts = ["\(entry.sequence)", record.deviceTime.description, record.kind.name]
        if let card = record.cardSerial { parts.append("card \(card)") }
        if let category = record.category { parts.append("category \(category)") }
        if let fare = record.fareKopecks { parts.append("fare \(kopecksText(fare))") }
        if let route = record.route { parts.append("route \(route)") }
        if let vehicle = record.vehicle { parts.append("vehicle \(vehicle)") }
        if let related = record.relatedSequence { parts.append("for №\(related)") }
        if !record.detail.isEmpty { parts.append(record.detail) }
        return parts.joined(separator: "  ")
    }

    /// `15.00 ₴`.
    public static func kopecksText(_ kopecks: Int64) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents) ₴"
    }
}
