import Crypto
import Entitlements
import Identifiers
import Localization
import Reconciliation
import ReconciliationReports

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
    /// The files written, by name (the manifest last, when signed).
    public var files: [String]
    /// SHA-256 of `report.json` (hex): what a closing record pins.
    public var reportSHA256: String
    /// Whether a signed `manifest.json` was written.
    public var signed: Bool

    /// Reconciles `loaded` and writes the outputs into `directory`: the printed pages (Ukrainian
    /// and English), one CSV per table, `report.json` (`ReconciliationReports`), and, with a
    /// finance key, `manifest.json` listing the inputs and the SHA-256 of every output, signed.
    ///
    /// The same input gives the same CSV and JSON bytes, whichever store or export it was read
    /// from; the pages carry `generatedAt`.
    public static func run(
        _ loaded: LoadedInput, writingTo directory: String, community: String = "", financeKey: Curve25519.Signing.PrivateKey? = nil,
        generatedAt: UnixTime = UnixTime(0), closingRecord: [UInt8]? = nil
    ) throws -> ReportRun {
        try run(
            reconcile(loaded.input), loaded: loaded, writingTo: directory, community: community, financeKey: financeKey, generatedAt: generatedAt,
            closingRecord: closingRecord)
    }

    /// Writes the outputs of a report already computed from `loaded` (as
    /// `StoreInput.reconcile(from:period:)` streams it) into `directory`, as `run(_:writingTo:)` does.
    public static func run(
        _ report: ReconciliationReport, loaded: LoadedInput, writingTo directory: String, community: String = "",
        financeKey: Curve25519.Signing.PrivateKey? = nil, generatedAt: UnixTime = UnixTime(0), closingRecord: [UInt8]? = nil
    ) throws -> ReportRun {
        let outputs = try render(report, loaded: loaded, community: community, financeKey: financeKey, generatedAt: generatedAt, closingRecord: closingRecord)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in outputs.files {
            try Data(file.bytes).write(to: URL(fileURLWithPath: "\(directory)/\(file.name)"))
        }
        let json = outputs.files.first { $0.name == "report.json" }?.bytes ?? []
        return ReportRun(
            report: report, loaded: loaded, files: outputs.files.map(\.name), reportSHA256: Hex.encode(Array(SHA256.hash(data: json))),
            signed: outputs.signed)
    }

    /// The output files of `report` (and the signed manifest, given a finance key).
    public static func render(
        _ report: ReconciliationReport, loaded: LoadedInput, community: String, financeKey: Curve25519.Signing.PrivateKey?, generatedAt: UnixTime,
        closingRecord: [UInt8]? = nil
    ) throws -> (files: [OutputFile], signed: Bool) {
        var extra = loaded.bundles.map { bundle in
            ManifestInput(kind: "bundle", name: "\(bundle.kind)-v\(bundle.version)", attributes: ["sha256": .string(bundle.sha256)])
        }
        if let closingRecord {
            extra.append(ManifestInput(kind: "closing-record", name: report.period.label, attributes: ["sha256": .string(Hex.encode(Array(SHA256.hash(data: closingRecord))))]))
        }
        let manifest = ReconciliationRenderer.manifest(for: report, community: community, extraInputs: extra)
        let context = ReportContext(
            community: BilingualText(verbatim: community.isEmpty ? "громада" : community), reference: loaded.input.reference, generatedAt: generatedAt,
            inputsDigest: manifest.inputsDigest)
        var files = ReconciliationRenderer.render(report, context: context)
        guard let financeKey else { return (files, false) }
        files.append(try manifest.signed(outputs: files, with: financeKey).file)
        return (files, true)
    }

    /// One rendered file of `report` by name (`report.json`, a table's CSV, a page), or nil.
    public static func file(named name: String, of report: ReconciliationReport, loaded: LoadedInput, community: String = "") throws -> [UInt8]? {
        try render(report, loaded: loaded, community: community, financeKey: nil, generatedAt: UnixTime(0)).files.first { $0.name == name }?.bytes
    }

    /// The whole report model as JSON (sorted keys, no spaces): equal reports, equal bytes (for comparing reports).
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

