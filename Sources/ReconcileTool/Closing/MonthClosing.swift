import AccountingCore
import AccountingStore
import Crypto
import Entitlements
import Identifiers
import Reconciliation

/// Closing a month: the report computed from the heads held now, frozen in a closing record
/// signed by the finance key and stored (docs/reconcile-tool.md, "Closing a month").
public enum MonthClosing {
    /// Closes `period` (a calendar month) at `now`: writes its final report into `directory`,
    /// stores the signed closing record and returns the run. Refuses a month closed already, a
    /// month not yet over, and a key that is not a finance key.
    public static func close(
        _ period: ReportingPeriod, in storage: any AccountingStorage, community: String, financeKey: Curve25519.Signing.PrivateKey,
        financeKeyID: KeyID, now: UnixTime, options: ReconciliationOptions = ReconciliationOptions(), claims: [ClaimLine] = [],
        writingTo directory: String
    ) async throws -> (run: ReportRun, close: PeriodClose) {
        guard period.isCalendarMonth else { throw ReconcileToolError("only a calendar month is closed (--month YYYY-MM)") }
        guard now >= period.end else { throw ReconcileToolError("\(period.label) is not over yet; close it after \(period.end)") }
        if try await storage.periodClose(month: period.label) != nil {
            throw ReconcileToolError("\(period.label) is closed already; its report never changes (hromada-reconcile report --month \(period.label))")
        }
        var loaded = try await StoreInput.load(from: storage, period: period, options: options, claims: claims)
        loaded.input.close = now
        // report.json does not depend on the manifest, so its hash is known before the record is
        // signed; the files are then written with a manifest that names the signed record.
        let report = reconcile(loaded.input)
        let unsigned = try ReportRun.render(report, loaded: loaded, community: community, financeKey: nil, generatedAt: now).files
        let reportSHA256 = Hex.encode(Array(SHA256.hash(data: unsigned.first { $0.name == "report.json" }?.bytes ?? [])))
        let record = ClosingRecord(
            community: community, month: period.label, periodStart: period.start.rawValue, periodEnd: period.end.rawValue, closedAt: now.rawValue,
            devices: loaded.heads, bundles: loaded.bundles, totals: ClosingRecord.totals(of: report), reportSHA256: reportSHA256,
            financeKeyID: financeKeyID.description)
        let signed = try record.signed(with: financeKey)
        let close = PeriodClose(month: period.label, closedAt: now, record: signed.record, signature: signed.signature)
        try await storage.storePeriodClose(close)
        let run = try ReportRun.run(
            loaded, writingTo: directory, community: community, financeKey: financeKey, generatedAt: now, closingRecord: signed.record)
        return (run, close)
    }
}

/// A carrier's own monthly claim as CSV: `route;date;category;rides;amount` (a header line, `;`
/// or `,` between fields, an optional BOM, the amount in hryvnias with a decimal comma or point).
public enum ClaimCSV {
    /// The lines of `text`, claimed by `carrier`; throws naming the first line that does not read.
    public static func parse(_ text: String, carrier: CarrierID) throws -> [ClaimLine] {
        var body = text
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        let lines = body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var claims: [ClaimLine] = []
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let separator: Character = line.contains(";") ? ";" : ","
            let fields = line.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if index == 0, fields.first?.lowercased().contains("route") == true || fields.first?.lowercased().contains("маршрут") == true { continue }
            guard fields.count == 5, let route = UInt16(fields[0]), let date = CivilDate(iso: fields[1]), let category = UInt16(fields[2]),
                let rides = Int(fields[3]), let amount = kopecks(fields[4])
            else {
                throw ReconcileToolError("claim line \(index + 1): expected route;YYYY-MM-DD;category;rides;amount, found \(line)")
            }
            claims.append(
                ClaimLine(
                    carrier: carrier, route: RouteNumber(rawValue: route), date: date, category: CategoryCode(rawValue: category), rides: rides,
                    amountKopecks: amount, sourceLine: index + 1))
        }
        return claims
    }

    /// `1234,50`, `1234.5` or `1 234,50` as kopecks.
    static func kopecks(_ text: String) -> Int64? {
        let cleaned = text.filter { !$0.isWhitespace && $0 != "\u{00A0}" }.replacingOccurrences(of: ",", with: ".")
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]) else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        let fraction = String(parts[1])
        guard (1...2).contains(fraction.count), let cents = Int64(fraction) else { return nil }
        return whole * 100 + (whole < 0 ? -1 : 1) * (fraction.count == 1 ? cents * 10 : cents)
    }
}
