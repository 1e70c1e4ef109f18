import Crypto
import Entitlements
import Identifiers
import Localization
import Reconciliation

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A report computed and written: the files, the report, and the short summary for the terminal.
public struct ReportRun: Sendable {
    /// The report.
    public var report: ReconciliationReport
    /// The input it was computed from.
    public var loaded: LoadedInput
    /// The files written, relative to the output directory, by name.
    public var files: [String]
    /// SHA-256 of `report.json` (hex): what a closing record pins.
    public var reportSHA256: String

    /// Reconciles `loaded` and writes the outputs into `directory`.
    ///
    /// `report.json` (sorted keys, no spaces) and the CSV tables are written here; the same
    /// input gives the same bytes, whichever store or export it was read from.
    public static func run(_ loaded: LoadedInput, writingTo directory: String) throws -> ReportRun {
        let report = reconcile(loaded.input)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [String: [UInt8]] = [:]
        let json = try reportJSON(report)
        files["report.json"] = json
        files["compensation.csv"] = ReportCSV.compensation(report)
        files["exceptions.csv"] = ReportCSV.exceptions(report)
        files["excluded.csv"] = ReportCSV.excluded(report)
        for (name, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
        return ReportRun(report: report, loaded: loaded, files: files.keys.sorted(), reportSHA256: Hex.encode(Array(SHA256.hash(data: json))))
    }

    /// The CSV table `name` (`compensation.csv`, `exceptions.csv`, `excluded.csv`) of `report`, or nil.
    public static func table(named name: String, of report: ReconciliationReport) -> [UInt8]? {
        switch name {
        case "compensation.csv": ReportCSV.compensation(report)
        case "exceptions.csv": ReportCSV.exceptions(report)
        case "excluded.csv": ReportCSV.excluded(report)
        default: nil
        }
    }

    /// The report as JSON: sorted keys, no spaces, so equal reports have equal bytes.
    public static func reportJSON(_ report: ReconciliationReport) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(report))
    }

    /// The terminal summary, in Ukrainian: totals per carrier, exception counts, where the files are.
    public func summary(outputDirectory: String) -> String {
        var lines: [String] = []
        let names = Dictionary(loaded.input.reference.carriers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let closed = report.closedAt.map { " (закрито \($0))" } ?? ""
        lines.append("Звіт за \(report.period.label)\(closed): компенсація \(Money.hryvnias(report.total.compensationKopecks)) за \(UkrainianNoun.ride.counted(report.total.rides)).")
        for total in report.totalsByCarrier {
            lines.append("  \(names[total.key] ?? "перевізник \(total.key)"): \(Money.hryvnias(total.compensationKopecks)) (\(UkrainianNoun.ride.counted(total.rides)))")
        }
        var counts: [ExceptionKind: Int] = [:]
        for exception in report.exceptions { counts[exception.kind, default: 0] += 1 }
        if counts.isEmpty {
            lines.append("Винятків цілісності немає.")
        } else {
            lines.append("Винятки цілісності: \(report.exceptions.count).")
            for kind in counts.keys.sorted() { lines.append("  \(kind.title.uk): \(counts[kind]!)") }
        }
        if !report.excluded.isEmpty { lines.append("Виключено з компенсації: \(UkrainianNoun.ride.counted(report.excluded.count)).") }
        if !report.late.isEmpty { lines.append("Запізнілі записи попередніх періодів: \(report.late.count).") }
        lines.append("Файли: \(outputDirectory)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Money for people: kopecks as hryvnias with a decimal comma and thin groups (`12 345,67 грн`).
public enum Money {
    /// `12 345,67 грн`.
    public static func hryvnias(_ kopecks: Int64) -> String { amount(kopecks) + " грн" }

    /// `12 345,67` (a no-break space between thousands).
    public static func amount(_ kopecks: Int64) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let whole = String(magnitude / 100)
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped += "\u{00A0}" }
            grouped.append(digit)
        }
        let cents = magnitude % 100
        return "\(sign)\(grouped),\(cents < 10 ? "0" : "")\(cents)"
    }
}

/// The CSV tables this tool writes itself (UTF-8 with a BOM, `;` separated, decimal comma), for
/// Excel with a Ukrainian locale.
enum ReportCSV {
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func table(_ header: [String], _ rows: [[String]]) -> [UInt8] {
        func cell(_ text: String) -> String {
            text.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        let text = ([header] + rows).map { $0.map(cell).joined(separator: ";") }.joined(separator: "\r\n") + "\r\n"
        return bom + Array(text.utf8)
    }

    static func money(_ kopecks: Int64) -> String { Money.amount(kopecks).replacingOccurrences(of: "\u{00A0}", with: "") }

    static func compensation(_ report: ReconciliationReport) -> [UInt8] {
        table(
            ["carrier", "route", "category", "date", "tariff", "rides", "full_fare", "paid", "compensation"],
            report.lines.map { line in
                [
                    "\(line.carrier)", "\(line.route)", "\(line.category)", line.date.description, "\(line.tariffVersion)", "\(line.rides)",
                    money(line.fullFareKopecks), money(line.paidKopecks), money(line.compensationKopecks),
                ]
            })
    }

    static func exceptions(_ report: ReconciliationReport) -> [UInt8] {
        table(
            ["kind", "device", "card", "entries", "amount_at_stake", "evidence", "text"],
            report.exceptions.map { exception in
                [
                    exception.kind.rawValue, exception.device.map { "\($0)" } ?? "", exception.card?.printed ?? "",
                    exception.entries.map(\.description).joined(separator: " "), money(exception.amountAtStakeKopecks),
                    exception.evidence.map(\.code).joined(separator: " "), exception.text.uk,
                ]
            })
    }

    static func excluded(_ report: ReconciliationReport) -> [UInt8] {
        table(
            ["entry", "card", "category", "route", "carrier", "date", "amount_at_stake", "reason"],
            report.excluded.map { ride in
                [
                    ride.entry.description, ride.card.printed, "\(ride.category)", "\(ride.route)", ride.carrier.map { "\($0)" } ?? "", ride.date.description,
                    money(ride.amountAtStakeKopecks), ride.reason.rawValue,
                ]
            })
    }
}
