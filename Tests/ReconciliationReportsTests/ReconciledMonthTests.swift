import AccountingCore
import BrowserTesting
import Entitlements
import Foundation
import Identifiers
import LedgerCore
import Reconciliation
import Tariff
import Testing

@testable import ReconciliationReports

/// A month computed by the real rules (`reconcile`) from real hash-chained ledgers, rendered:
/// the files agree with the report, and the pages open in Chromium.
@Suite("A reconciled month rendered", .serialized)
struct ReconciledMonthTests {
    static let period = try! ReportingPeriod(month: "2026-11")
    static let since = UnixTime(1_760_000_000)
    static let pensioner = BenefitCategory(code: 1, id: "pensioner", name: LocalizedText(uk: "Пенсіонери", en: "Pensioners"))
    static let veteran = BenefitCategory(code: 2, id: "veteran", name: LocalizedText(uk: "Учасники бойових дій", en: "Combat veterans"))
    static let tariff = Tariff(
        community: "test", version: 1, acceptedLayoutVersions: [1], categories: [pensioner, veteran], baseFareKopecks: 1500,
        routes: [Route(number: 1, name: LocalizedText(uk: "Центр", en: "Centre"), zones: [1]), Route(number: 2, name: LocalizedText(uk: "Вокзал", en: "Station"), zones: [1], fareKopecks: 2000)],
        antiPassbackSeconds: 180, transfer: TransferRule(windowSeconds: 3600, farePercent: 50))
    static let carriers = [
        Carrier(id: 1, name: "<script>alert(1)</script>", edrpou: "12345678", contract: "К-1/2026"),
        Carrier(id: 2, name: "ФОП \"Петренко; і син\"", edrpou: "87654321", contract: "К-2/2026"),
    ]

    static var reference: ReferenceSet {
        ReferenceSet(
            carriers: carriers,
            routes: [RouteAssignment(route: 1, name: "Центр", carrier: 1), RouteAssignment(route: 2, name: "Вокзал", carrier: 2)],
            deviceAssignments: [
                DeviceAssignment(device: 101, vehicle: 1010, carrier: 1, validFrom: since, validUntil: nil),
                DeviceAssignment(device: 201, vehicle: 2010, carrier: 2, validFrom: since, validUntil: nil),
            ],
            tariffs: [TariffVersion(period: TariffPeriod(version: 1, effectiveFrom: since), tariff: tariff)])
    }

    /// Two buses over the month: benefit rides each day in both categories, one ride recorded
    /// twice, one on an unassigned validator, and a bus whose later batch was refused.
    static var input: ReconciliationInput {
        var ledgers: [DeviceLedger] = []
        for (device, route, fullFare) in [(DeviceID(101), RouteNumber(1), Int64(1500)), (DeviceID(201), RouteNumber(2), Int64(2000)), (DeviceID(999), RouteNumber(1), Int64(1500))] {
            var head = ChainHead.genesis(for: device)
            var entries: [HeldEntry] = []
            func append(_ record: LedgerRecord) {
                let entry = try! head.seal(record)
                head = ChainHead(after: entry)
                entries.append(HeldEntry(entry, receivedAt: record.deviceTime.adding(seconds: 600)))
            }
            let days = device == 999 ? 1 : 30
            for day in 0..<days {
                for ride in 0..<(3 + day % 4) {
                    let time = period.start.adding(seconds: Int64(day) * 86_400 + 8 * 3600 + Int64(ride) * 900)
                    let category: CategoryCode = ride % 3 == 2 ? 2 : 1
                    let card = CardSerial(UInt64(device.rawValue) * 1000 + UInt64(ride))
                    append(.benefitUse(at: time, card: card, layout: 1, entitlement: 1, category: category, fareKopecks: 0, fullFareKopecks: fullFare, route: route, vehicle: VehicleID(device.rawValue * 10)))
                    if device == 101 && day == 3 && ride == 0 {
                        append(.benefitUse(at: time, card: card, layout: 1, entitlement: 1, category: category, fareKopecks: 0, fullFareKopecks: fullFare, route: route, vehicle: VehicleID(device.rawValue * 10)))
                    }
                }
            }
            ledgers.append(
                DeviceLedger(
                    device: device, entries: entries, heldHead: head, heldHeadDeviceTime: entries.last?.entry.record.deviceTime,
                    receiptSequence: head.sequence, checkpointSequence: head.sequence, tamperAlarms: [],
                    refusedBatches: device == 201 ? [RefusedBatch(firstSequence: head.sequence + 5, lastSequence: head.sequence + 9, offeredAt: period.end)] : []))
        }
        return ReconciliationInput(period: period, devices: ledgers, reference: reference, options: ReconciliationOptions(silentDeviceDays: 40))
    }

    @Test func theFilesAgreeWithTheReportAndOpenInChromium() async throws {
        let input = Self.input
        let report = reconcile(input)
        try #require(report.total.rides > 100)
        #expect(!report.exceptions.isEmpty && !report.excluded.isEmpty, "the planted duplicate, gap and unassigned validator")
        let manifest = ReconciliationRenderer.manifest(for: report, community: "Громада")
        let context = ReportContext(
            community: BilingualText(uk: "Громада", en: "Community"), reference: input.reference, generatedAt: Self.period.end, inputsDigest: manifest.inputsDigest)
        let files = ReconciliationRenderer.render(report, context: context)
        #expect(ReconciliationRenderer.render(reconcile(Self.input), context: context) == files, "the same ledgers, the same bytes")

        // The compensation column of the CSV, read as Excel reads it, adds up to the report's total.
        let csv = try #require(files.first { $0.name == "compensation-lines.csv" })
        let rows = try ExcelCSVTests.readWithPython(csv.bytes)
        let column = try #require(rows.first?.firstIndex(of: "До компенсації, грн / Compensation, UAH"))
        #expect(rows.dropFirst().map { Int64($0[column].replacingOccurrences(of: ",", with: ""))! }.reduce(0, +) == report.total.compensationKopecks)
        #expect(rows.count == report.lines.count + 1)
        let exceptions = try ExcelCSVTests.readWithPython(try #require(files.first { $0.name == "exceptions.csv" }).bytes)
        #expect(exceptions.count == report.exceptions.count + 1)
        #expect(Set(exceptions.dropFirst().map { $0[1] }) == Set(report.exceptions.map(\.kind.rawValue)))

        // Signed and checked by the printed verifier.
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let signed = try manifest.signed(outputs: files, with: ManifestTests.financeKey)
        try Support.write(files + [signed.file], to: directory)
        let key = ManifestTests.hex(ManifestTests.financeKey.publicKey.rawRepresentation)
        #expect(try ManifestTests.verify(directory, key: key).output.hasPrefix("report intact: \(files.count) files"))

        let charts = ReconciliationRenderer.charts(report, context: context)
        try await Browser.withSession { session in
            try await session.navigate(to: directory.appendingPathComponent("report.uk.html"))
            let problems = try await session.consoleLog().filter { $0.level == "SEVERE" || $0.level == "WARNING" }
            #expect(problems.isEmpty, "\(problems)")
            for chart in charts {
                #expect(try await session.findElements(css: "svg#\(chart.id) rect.bar").count == chart.barCount, "\(chart.id)")
            }
            #expect(charts[0].barCount == 30 * 2, "every day has rides of both categories")
            let text = try await session.execute("return document.body.innerText").string ?? ""
            #expect(text.contains("<script>alert(1)</script>"))
            #expect(try await session.printToPDF().starts(with: Array("%PDF-".utf8)))
        }
    }
}
