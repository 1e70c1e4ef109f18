import AccountingCore
import AccountingStore
import Crypto
import Entitlements
import Identifiers
import Reconciliation

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Closing a month: the report computed from the heads held now, frozen in a closing record
/// signed by the finance key and stored (docs/reconcile-tool.md, "Closing a month").
public enum MonthClosing {
    /// Closes `period` (a calendar month) at `now`: writes its final report into `directory`,
    /// stores the signed closing record and returns the run. Refuses a month closed already, a
    /// month not yet over, and a key that is not a finance key.
    public static func close(
        _ period: ReportingPeriod, in storage: any AccountingStorage, community: String, financeKey: Curve25519.Signing.PrivateKey,
        financeKeyID: KeyID, now: UnixTime, options: ReconciliationOptions = ReconciliationOptions(), claims: [ClaimLine] = [],
        writingTo directory: String, scratch: String? = nil
    ) async throws -> (run: ReportRun, close: PeriodClose) {
        guard period.isCalendarMonth else { throw ReconcileToolError("only a calendar month is closed (--month YYYY-MM)") }
        guard now >= period.end else { throw ReconcileToolError("\(period.label) is not over yet; close it after \(period.end)") }
        if try await storage.periodClose(month: period.label) != nil {
            throw ReconcileToolError("\(period.label) is closed already; its report never changes (hromada-reconcile report --month \(period.label))")
        }
        let (report, loaded) = try await StoreInput.reconcile(from: storage, period: period, options: options, claims: claims, close: now, scratch: scratch)
        // report.json does not depend on the manifest, so its hash is known before the record is
        // signed; the files are then written with a manifest that names the signed record.
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
            report, loaded: loaded, writingTo: directory, community: community, financeKey: financeKey, generatedAt: now, closingRecord: signed.record)
        return (run, close)
    }
}

/// Carriers' claims kept for the acts of reconciliation: `DIR/YYYY-MM/carrier-N.csv`, read by
/// `Reconciliation.CarrierClaimFile`.
public enum ClaimDirectory {
    /// Checks a claim file of `carrier` for `period` and keeps a copy in `directory`; returns its lines.
    public static func importClaim(_ bytes: [UInt8], carrier: CarrierID, period: ReportingPeriod, into directory: String) throws -> [ClaimLine] {
        let lines = try CarrierClaimFile.parse(bytes, carrier: carrier)
        if let outside = lines.first(where: { $0.date < period.firstDay || $0.date > period.lastDay }) {
            throw ReconcileToolError("claim line \(outside.sourceLine): \(outside.date) is not in \(period.label)")
        }
        try FileManager.default.createDirectory(atPath: "\(directory)/\(period.label)", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(period.label)/carrier-\(carrier.rawValue).csv"))
        return lines
    }

    /// Every claim kept for `period` under `directory` (none when `directory` is nil).
    public static func claims(in directory: String?, period: ReportingPeriod) throws -> [ClaimLine] {
        guard let directory else { return [] }
        let folder = "\(directory)/\(period.label)"
        var claims: [ClaimLine] = []
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        where name.hasPrefix("carrier-") && name.hasSuffix(".csv") {
            guard let carrier = UInt32(name.dropFirst("carrier-".count).dropLast(".csv".count)) else { continue }
            claims += try CarrierClaimFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))), carrier: CarrierID(rawValue: carrier))
        }
        return claims
    }
}

/// Amounts typed by people: `1234,50`, `1234.5` or `1 234,50` hryvnias.
public enum HryvniaAmount {
    /// The amount in kopecks, or nil.
    public static func kopecks(_ text: String) -> Int64? {
        let cleaned = text.filter { !$0.isWhitespace && $0 != "\u{00A0}" }.replacingOccurrences(of: ",", with: ".")
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]) else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        let fraction = String(parts[1])
        guard (1...2).contains(fraction.count), let cents = Int64(fraction) else { return nil }
        return whole * 100 + (whole < 0 ? -1 : 1) * (fraction.count == 1 ? cents * 10 : cents)
    }
}
