import AccountingCore
import AccountingStore
import Entitlements
import Identifiers
import Logging
import ReconcileTool
import Reconciliation
import ReconciliationSimulator
import StorageTesting
import Testing

import Foundation

/// The simulated month, generated once for the suite.
let simulatedMonth: SimulatedMonth = try! SimulatedMonth.generate(.small())

/// The report's exception kind(s) each planted fault must show as.
func exceptionKind(of kind: PlantedFault.Kind) -> ExceptionKind {
    switch kind {
    case .sequenceGap: .sequenceGap
    case .duplicate: .duplicate
    case .cloneTravel: .cloneTwoVehicles
    case .clonePurse: .clonePurseRose
    case .forgedCredit: .forgedCredit
    case .cloneCounter: .cloneCounterBackwards
    case .tamper: .tamperAlarm
    case .lateUpload: .uploadDelayed
    case .clockAdjustment: .clockAdjusted
    case .tornCommitted, .tornNotCommitted: .pendingResolved
    case .tornUnknown: .pendingUnknown
    case .denyListedUse: .rideAfterDenyListing
    case .overLimit: .overRideLimit
    case .afterExpiry: .entitlementNotValid
    case .silentDevice: .deviceSilent
    }
}

/// The report's exclusion reason for a ride the truth excludes.
func exclusionReason(of kind: PlantedFault.Kind) -> ExclusionReason? {
    switch kind {
    case .duplicate: .duplicate
    case .denyListedUse: .denyListed
    case .overLimit: .overRideLimit
    case .afterExpiry: .entitlementExpired
    case .tornUnknown: .pendingUnknown
    default: nil
    }
}

/// Whether `exception` is evidence of the planted `fault`.
func shows(_ exception: IntegrityException, _ fault: PlantedFault) -> Bool {
    guard exception.kind == exceptionKind(of: fault.kind) else { return false }
    let planted = Set(fault.entries.map { Reconciliation.EntryReference(device: DeviceID(rawValue: $0.device), sequence: $0.sequence) })
    switch fault.kind {
    case .sequenceGap where fault.device != nil:
        // The device's gap: said of the device, or shown by a card's skipped trip number.
        return exception.device?.rawValue == fault.device || exception.card != nil
    case .sequenceGap:
        // A card's skipped trip number: its own exception, or evidence inside the exception of
        // the device the missing ride is charged to.
        let inEvidence = exception.evidence.contains { evidence in
            if case .cardTripNumbers(let card, _, _) = evidence { return card == fault.card }
            return false
        }
        return inEvidence || (exception.card == fault.card && !planted.isDisjoint(with: exception.entries))
    case .silentDevice, .tamper, .clockAdjustment:
        return exception.device?.rawValue == fault.device
    case .lateUpload:
        let range = planted.map(\.sequence).min()!...planted.map(\.sequence).max()!
        return exception.device?.rawValue == fault.device && exception.entries.allSatisfy { range.contains($0.sequence) }
    default:
        return !planted.isDisjoint(with: exception.entries)
    }
}

/// Loads the simulated month (or `month`) into a fresh database through the HTTP API and the
/// reference data into the store; runs `body` with the storage.
func withUploadedMonth<Result: Sendable>(
    _ engine: StorageEngine, month: SimulatedMonth = simulatedMonth, uploads: [PlannedUpload]? = nil,
    _ body: (any AccountingStorage, SimulatedService) async throws -> Result
) async throws -> Result {
    return try await freshLocation(engine).withStorage(logger: Logger(label: "test")) { storage in
        let service = try await SimulatedService(storage: storage, community: month.community)
        try await month.storeReference(in: storage)
        let answers = try await service.upload(uploads ?? month.uploads, community: month.community)
        #expect(answers == (uploads ?? month.uploads).map(SimulatedService.expectedAnswer))
        return try await body(storage, service)
    }
}

@Suite("hromada-reconcile over a simulated month uploaded through the API", .serialized)
struct ReconcileEndToEndTests {
    let period = try! ReportingPeriod(month: "2026-10")

    @Test("The report finds exactly the planted faults, and the compensation equals the simulator's truth", arguments: StorageEngine.all)
    func exactlyThePlantedFaults(_ engine: StorageEngine) async throws {
        let report = try await withUploadedMonth(engine) { storage, _ in
            reconcile(try await StoreInput.load(from: storage, period: period).input)
        }
        Self.expectExactly(simulatedMonth.truth, in: report)
        // The desk's ledger is the credits' evidence: the forged credit says so, with the excess.
        let forged = report.exceptions.filter { $0.kind == .forgedCredit }
        #expect(forged.count == 1)
        #expect(forged.first?.evidence.contains(.creditEvidence("desk-ledger")) == true)
        #expect(forged.first?.amountAtStakeKopecks == simulatedMonth.truth.faults.first { $0.kind == .forgedCredit }?.amountKopecks)
        #expect(!report.exceptions.contains { $0.kind == .clonePurseRose })
    }

    @Test("Without a desk ledger the imported credits are the evidence, and the purse rise is a clone suspect")
    func exactlyThePlantedFaultsWithoutDesk() async throws {
        var parameters = SimulationParameters.small()
        parameters.hasDesk = false
        let month = try SimulatedMonth.generate(parameters)
        let report = try await withUploadedMonth(.sqlite, month: month) { storage, _ in
            reconcile(try await StoreInput.load(from: storage, period: period).input)
        }
        Self.expectExactly(month.truth, in: report)
        #expect(report.exceptions.filter { $0.kind == .clonePurseRose }.count == 1)
        #expect(!report.exceptions.contains { $0.kind == .forgedCredit })
    }

    /// The report's compensation equals `truth` line by line, its exclusions are the truth's, and
    /// its exceptions are exactly the planted faults.
    static func expectExactly(_ truth: SimulationTruth, in report: ReconciliationReport) {
        // Compensation, line by line.
        var lines: [CompensationKey: CompensationAmounts] = [:]
        for line in report.lines {
            let key = CompensationKey(carrier: line.carrier, route: line.route, category: line.category, day: line.date)
            #expect(lines[key] == nil, "two lines for \(key)")
            lines[key] = CompensationAmounts(rides: line.rides, fullFareKopecks: line.fullFareKopecks, paidKopecks: line.paidKopecks)
            #expect(line.compensationKopecks == line.fullFareKopecks - line.paidKopecks)
        }
        #expect(lines.count == truth.compensation.count)
        for key in Set(lines.keys).union(truth.compensation.keys).sorted() where lines[key] != truth.compensation[key] {
            Issue.record("line \(key.carrier)/\(key.route)/\(key.category)/\(key.day): report \(String(describing: lines[key])), truth \(String(describing: truth.compensation[key]))")
        }
        #expect(report.total.compensationKopecks == truth.totalCompensationKopecks)
        #expect(report.total.rides == truth.totalRides)

        // Exclusions: exactly the rides the truth excludes, for its reasons.
        let excluded = Set(report.excluded.map { "\($0.entry.device.rawValue)/\($0.entry.sequence) \($0.reason.rawValue)" })
        let expectedExcluded = Set(truth.excluded.map { "\($0.entry.device)/\($0.entry.sequence) \(exclusionReason(of: $0.reason)!.rawValue)" })
        #expect(excluded == expectedExcluded)

        // Exceptions: every planted fault found, nothing else reported.
        for fault in truth.faults where !report.exceptions.contains(where: { shows($0, fault) }) {
            Issue.record("planted fault not found: \(fault)")
        }
        // (A card-level gap exception must match its own planted card fault, not the device's.)
        for exception in report.exceptions
        where !truth.faults.contains(where: { shows(exception, $0) && !($0.kind == .sequenceGap && $0.device != nil && exception.card != nil) }) {
            Issue.record("exception not planted: \(exception.kind.rawValue) device \(String(describing: exception.device)) card \(String(describing: exception.card)) \(exception.entries)")
        }
        let lateEntries = Set(report.exceptions.filter { $0.kind == .uploadDelayed }.flatMap(\.entries).map(\.sequence))
        if let late = truth.faults.first(where: { $0.kind == .lateUpload }) {
            #expect(lateEntries == Set(late.entries[0].sequence...late.entries[1].sequence))
        }
    }

    @Test("The report does not depend on how the devices cut their uploads into batches")
    func batchSizes() async throws {
        var parameters = SimulationParameters.small()
        parameters.batchSize = 37
        let recut = try SimulatedMonth.generate(parameters)
        #expect(recut.uploads.count > simulatedMonth.uploads.count)
        func summary(_ report: ReconciliationReport) -> [String] {
            report.lines.map { "\($0.carrier)/\($0.route)/\($0.category)/\($0.date) \($0.rides) \($0.compensationKopecks)" }
                + report.excluded.map { "excluded \($0.entry) \($0.reason.rawValue)" }
                + report.exceptions.map { "\($0.kind.rawValue) \(String(describing: $0.device)) \(String(describing: $0.card)) \($0.entries)" }.sorted()
        }
        let original = try await withUploadedMonth(.sqlite) { storage, _ in
            summary(reconcile(try await StoreInput.load(from: storage, period: period).input))
        }
        let other = try await freshLocation(.sqlite).withStorage(logger: Logger(label: "test")) { storage in
            let service = try await SimulatedService(storage: storage, community: recut.community)
            try await recut.storeReference(in: storage)
            let answers = try await service.upload(recut.uploads, community: recut.community)
            #expect(answers == recut.uploads.map(SimulatedService.expectedAnswer))
            return summary(reconcile(try await StoreInput.load(from: storage, period: period).input))
        }
        #expect(original == other)
        #expect(original.count > 100)
    }

    @Test("SQLite and PostgreSQL give byte-identical JSON and CSV", .enabled(if: StorageEngine.all.contains(.postgres)))
    func identicalAcrossEngines() async throws {
        var outputs: [[String: Data]] = []
        for engine in [StorageEngine.sqlite, .postgres] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(engine)-\(UUID().uuidString)").path
            let run = try await withUploadedMonth(engine) { storage, _ in
                try ReportRun.run(try await StoreInput.load(from: storage, period: period), writingTo: directory)
            }
            var files: [String: Data] = [:]
            for name in run.files { files[name] = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")) }
            outputs.append(files)
        }
        #expect(outputs[0].keys.sorted() == outputs[1].keys.sorted())
        for name in outputs[0].keys.sorted() { #expect(outputs[0][name] == outputs[1][name], "\(name) differs") }
        #expect(outputs[0]["report.json"]?.isEmpty == false)
    }

    @Test("An auditor's export directory gives the same report as the database, read whole or streamed device by device")
    func exportDirectory() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        let (fromDatabase, fromExport, streamed) = try await withUploadedMonth(.sqlite) { storage, _ in
            let fromDatabase = try ReportRun.reportJSON(reconcile(try await StoreInput.load(from: storage, period: period).input))
            try await ExportDirectory.write(from: storage, period: period, to: "\(root)/exports", bundles: "\(root)/bundles")
            let loaded = try ExportDirectory.load(directory: "\(root)/exports", bundles: "\(root)/bundles", period: period)
            let streamed = try ExportDirectory.reconcile(directory: "\(root)/exports", bundles: "\(root)/bundles", period: period)
            #expect(streamed.loaded.entriesRead == loaded.entriesRead)
            #expect(streamed.loaded.heads == loaded.heads)
            #expect(streamed.loaded.input.devices.allSatisfy { $0.entries.isEmpty })
            return (fromDatabase, try ReportRun.reportJSON(reconcile(loaded.input)), try ReportRun.reportJSON(streamed.report))
        }
        #expect(fromDatabase == fromExport)
        #expect(streamed == fromExport)
        #expect(fromDatabase.count > 1_000)
        // The desk's ledger is in the directory with its role, so the forged credit is found from it too.
        #expect(String(decoding: fromExport, as: UTF8.self).contains("forged-credit"))
    }

    @Test("The report read from the database in small pages equals the one read in whole pages", arguments: StorageEngine.all)
    func pageSizes(_ engine: StorageEngine) async throws {
        let reports = try await withUploadedMonth(engine) { storage, _ in
            var reports: [Int: [UInt8]] = [:]
            for size in [StoreInput.pageSize, 50, 3] {
                reports[size] = try ReportRun.reportJSON(try await StoreInput.reconcile(from: storage, period: period, pageSize: size).report)
            }
            // The in-memory path reads by the same pages.
            reports[-7] = try ReportRun.reportJSON(reconcile(try await StoreInput.load(from: storage, period: period, pageSize: 7).input))
            return reports
        }
        let whole = try #require(reports[StoreInput.pageSize])
        #expect(whole.count > 1_000)
        for (size, report) in reports { #expect(report == whole, "pages of \(abs(size))") }
    }

    @Test("A closed month's report stays byte-identical after later uploads, which show up as late in the next month", arguments: StorageEngine.all)
    func closedMonth(_ engine: StorageEngine) async throws {
        let month = simulatedMonth
        // Bus 1's uploads of the last three days are held back until after the close.
        let closeTime = period.end.adding(seconds: 2 * 86_400)
        let heldBack = { (upload: PlannedUpload) in upload.device.rawValue == 1 && upload.receivedAt >= period.end.adding(seconds: -3 * 86_400) }
        let before = month.uploads.filter { !heldBack($0) }
        let after = month.uploads.filter(heldBack).enumerated().map { index, upload in
            var upload = upload
            upload.receivedAt = closeTime.adding(seconds: 3_600 + Int64(index))
            return upload
        }
        #expect(!after.isEmpty)
        let lateSequences = Set(after.flatMap { $0.batch.entries.map(\.sequence) })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("close-\(UUID().uuidString)").path
        try await withUploadedMonth(engine, uploads: before) { storage, service in
            let (run, close) = try await MonthClosing.close(
                period, in: storage, community: month.community.name, financeKey: month.community.financeKey,
                financeKeyID: month.community.financeCertificate.keyID, now: closeTime, writingTo: "\(directory)/closed")
            #expect(ClosingRecord.verify(record: close.record, signature: close.signature, publicKey: month.community.financeKey.publicKey))
            let record = try ClosingRecord(decoding: close.record)
            #expect(record.reportSHA256 == run.reportSHA256)
            #expect(record.devices.first { $0.device == 1 }!.sequence < lateSequences.min()!)
            let reportAtClose = try ReportRun.reportJSON(run.report)
            #expect(try await storage.periodClose(month: "2026-10") == close)

            let answers = try await service.upload(after, community: month.community)
            #expect(answers.allSatisfy { $0 == UploadAnswer(status: 200, code: nil) })
            let reportAfter = try ReportRun.reportJSON(reconcile(try await StoreInput.load(from: storage, period: period).input))
            #expect(reportAfter == reportAtClose)

            let november = try ReportingPeriod(month: "2026-11")
            let next = reconcile(try await StoreInput.load(from: storage, period: november).input)
            let late = Set(next.late.filter { $0.entry.device.rawValue == 1 }.map(\.entry.sequence))
            #expect(late == lateSequences)
            #expect(next.exceptions.contains { $0.kind == .receivedAfterClose && $0.device?.rawValue == 1 })
        }
    }
}
