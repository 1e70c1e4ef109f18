import AccountingCore
import AccountingStore
import Bundles
import Crypto
import Entitlements
import Identifiers
import LedgerCore
import Reconciliation
import Tariff

/// A reconciliation input and what it was read from: the heads and bundles a manifest and a
/// closing record name.
public struct LoadedInput: Sendable {
    /// The input.
    public var input: ReconciliationInput
    /// Each device's held head used (frozen at the close for a closed month), by device.
    public var heads: [ClosingRecord.DeviceHead]
    /// The bundles used, by kind and version.
    public var bundles: [ClosingRecord.BundleReference]
    /// The closing of the period, if it is closed.
    public var closing: PeriodClose?
    /// How many entries were read (a streamed input holds none of them, so the count is kept).
    public var entriesRead: Int

    /// Pairs an input with what it was read from; `entriesRead` defaults to the entries it holds.
    public init(
        input: ReconciliationInput, heads: [ClosingRecord.DeviceHead], bundles: [ClosingRecord.BundleReference], closing: PeriodClose?,
        entriesRead: Int? = nil
    ) {
        self.input = input
        self.heads = heads
        self.bundles = bundles
        self.closing = closing
        self.entriesRead = entriesRead ?? input.devices.reduce(0) { $0 + $1.entries.count }
    }
}

/// Pieces both loaders (the store and an export directory) share.
enum InputAssembly {
    /// The tariffs of `bundles` paired with the periods they held, and references to them.
    static func tariffs(bundles: [StoredBundle], periods: [TariffPeriod]) throws -> ([TariffVersion], [ClosingRecord.BundleReference]) {
        var versions: [TariffVersion] = []
        var references: [ClosingRecord.BundleReference] = []
        for stored in bundles.sorted(by: { $0.version < $1.version }) {
            let bundle = try SignedBundle(decoding: stored.bytes)
            guard case .tariff(let tariff) = try BundlePayload(decoding: bundle.payload, under: bundle.header) else { continue }
            references.append(ClosingRecord.BundleReference(kind: "tariff", version: stored.version, sha256: Hex.encode(Array(SHA256.hash(data: stored.bytes)))))
            guard let period = periods.first(where: { $0.version == stored.version }) else { continue }
            versions.append(TariffVersion(period: period, tariff: tariff))
        }
        return (versions.sorted { $0.period.effectiveFrom < $1.period.effectiveFrom }, references)
    }

    /// References (kind, version, SHA-256) to stored bundles.
    static func references(_ bundles: [StoredBundle], kind: String) -> [ClosingRecord.BundleReference] {
        bundles.map { ClosingRecord.BundleReference(kind: kind, version: $0.version, sha256: Hex.encode(Array(SHA256.hash(data: $0.bytes)))) }
    }

    /// The reference set of a snapshot, with the programme of the period's year.
    static func referenceSet(_ snapshot: ReferenceSnapshot, tariffs: [TariffVersion], year: Int) -> ReferenceSet {
        ReferenceSet(
            carriers: snapshot.carriers, routes: snapshot.routes, deviceAssignments: snapshot.deviceAssignments,
            programme: snapshot.programmes.first { $0.year == year }, tariffs: tariffs, denyListings: snapshot.denyListings,
            purseCredits: snapshot.purseCredits, entitlements: snapshot.issuedEntitlements, payments: snapshot.carrierPayments)
    }

    /// What was settled before `period`, from the months closed before it and the payments.
    static func opening(period: ReportingPeriod, closings: [PeriodClose], paymentsBefore: [CarrierPayment]) -> OpeningBalances {
        var debt: [CarrierID: Int64] = [:]
        var accrued: [CategoryCode: Int64] = [:]
        for closing in closings where closing.closedAt <= period.start || closing.month < period.label {
            guard let record = try? ClosingRecord(decoding: closing.record), record.periodEnd <= period.start.rawValue else { continue }
            for carrier in record.totals.carriers { debt[CarrierID(rawValue: carrier.carrier), default: 0] += carrier.compensationKopecks }
            if record.month.prefix(4) == String(period.firstDay.year) {
                for category in record.totals.categories { accrued[CategoryCode(rawValue: category.category), default: 0] += category.compensationKopecks }
            }
        }
        for payment in paymentsBefore { debt[payment.carrier, default: 0] -= payment.amountKopecks }
        return OpeningBalances(carrierDebtKopecks: debt, accruedThisYearKopecks: accrued)
    }

    /// The closing of `period` (when it is a closed month) and the latest one before it.
    static func closings(_ all: [PeriodClose], period: ReportingPeriod) -> (this: PeriodClose?, previous: PeriodClose?) {
        let this = period.isCalendarMonth ? all.first { $0.month == period.label } : nil
        let previous = all.filter { $0.month < String(period.firstDay.description.prefix(7)) }.max { $0.month < $1.month }
        return (this, previous)
    }

    /// The batches the service refused after a hole, as the module's records: those offered by
    /// `until` (a closed period's close), beyond the device's head `heads` gives (a hole filled
    /// since is no gap).
    static func refusedBatches(_ batches: [RefusedBatchRecord], until: UnixTime?) -> [DeviceID: [RefusedBatch]] {
        var out: [DeviceID: [RefusedBatch]] = [:]
        for batch in batches where until.map({ batch.firstRefusedAt <= $0.rawValue }) ?? true {
            out[DeviceID(rawValue: batch.device), default: []].append(
                RefusedBatch(firstSequence: batch.firstSequence, lastSequence: batch.lastSequence, offeredAt: UnixTime(batch.firstRefusedAt)))
        }
        return out
    }

    /// The tamper alarms of the store as the module's records (those raised by `until`, if given).
    static func alarms(_ alarms: [TamperAlarm], until: UnixTime?) -> [DeviceID: [TamperAlarmRecord]] {
        var out: [DeviceID: [TamperAlarmRecord]] = [:]
        for alarm in alarms where until.map({ alarm.recordedAt <= $0.rawValue }) ?? true {
            let parts = alarm.batchRange.split(separator: "-").compactMap { UInt64($0) }
            out[DeviceID(rawValue: alarm.device), default: []].append(
                TamperAlarmRecord(
                    device: DeviceID(rawValue: alarm.device), sequence: alarm.sequence, heldHash: alarm.heldHash, offeredHash: alarm.offeredHash,
                    batchFirstSequence: parts.first ?? alarm.sequence, batchLastSequence: parts.last ?? alarm.sequence, raisedAt: UnixTime(alarm.recordedAt)))
        }
        return out
    }
}
