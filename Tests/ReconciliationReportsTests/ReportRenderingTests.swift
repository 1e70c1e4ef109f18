import AccountingCore
import BrowserTesting
import Crypto
import Entitlements
import Foundation
import Identifiers
import Reconciliation
import Testing

@testable import ReconciliationReports

/// A whole report rendered to its directory: every CSV read back as Excel would, the JSON
/// stable and what Python writes, the pages in Chromium, the manifest checked by the printed
/// verifier.
@Suite("A reconciliation report's files", .serialized)
struct ReportRenderingTests {
    static let tableNames = [
        "compensation-lines", "compensation-by-carrier", "compensation-by-route", "compensation-by-category", "budget", "acts", "act-variances",
        "payments", "exceptions", "excluded-rides", "card-statistics", "ride-distribution", "late-entries", "coverage",
    ]

    @Test func writesTheDocumentsOneCSVPerTableAndTheJSON() throws {
        let files = ReconciliationRenderer.render(ReportFixture.report, context: ReportFixture.context())
        let expected = (Self.tableNames.map { "\($0).csv" } + ["report.en.html", "report.uk.html", "report.json"]).sorted {
            $0.utf8.lexicographicallyPrecedes($1.utf8)
        }
        #expect(files.map(\.name) == expected)
    }

    @Test func everyCSVRoundTripsAndAddsUp() throws {
        let report = ReportFixture.report
        let context = ReportFixture.context()
        let tables = ReconciliationTables(report, context: context).all
        #expect(tables.map(\.name) == Self.tableNames)
        for table in tables {
            let fields = try ExcelCSVTests.readWithPython(ExcelCSV.encode(table))
            #expect(fields == ExcelCSVTests.expectedFields(table), "\(table.name)")
        }
        let lines = try ExcelCSVTests.readWithPython(ExcelCSV.encode(ReconciliationTables(report, context: context).compensationLines()))
        #expect(lines.count == report.lines.count + 1)
        // Hostile carrier names arrive as they are; the sum of the compensation column in
        // hryvnias, read with a decimal comma as Excel does, is the report's total.
        #expect(Set(lines.dropFirst().map { $0[1] }) == [ReportFixture.hostile.name, ReportFixture.quoted.name])
        let column = try #require(lines.first?.firstIndex(of: "До компенсації, грн / Compensation, UAH"))
        let kopecks = lines.dropFirst().map { Int64($0[column].replacingOccurrences(of: ",", with: ""))! }
        #expect(kopecks.reduce(0, +) == report.total.compensationKopecks)
        let acts = try ExcelCSVTests.readWithPython(ExcelCSV.encode(ReconciliationTables(report, context: context).acts))
        #expect(acts[2][3] == "'=1+1", "a contract number that looks like a formula is guarded")
        let variances = ReconciliationTables(report, context: context).actVariances()
        #expect(variances.rows.count == 1, "only lines that differ")
        #expect(variances.rows.first?.last == .words(BilingualText(uk: "100/77 deny-listed (картка у стоп-списку)", en: "100/77 deny-listed (card deny-listed)")))
    }

    @Test func csvAndJSONAreTheSameBytesWhateverTheRunOrTheOrderOfReferenceData() throws {
        let first = ReconciliationRenderer.render(ReportFixture.report, context: ReportFixture.context())
        let second = ReconciliationRenderer.render(
            ReportFixture.report, context: ReportFixture.context(generatedAt: UnixTime(1_800_000_000), carriers: [ReportFixture.quoted, ReportFixture.hostile]))
        for (a, b) in zip(first, second) where !a.name.hasSuffix(".html") {
            #expect(a == b, "\(a.name)")
        }
        // Only the generation time on the pages differs.
        let uk = try #require(first.first { $0.name == "report.uk.html" }), ukLater = try #require(second.first { $0.name == "report.uk.html" })
        #expect(uk != ukLater)

        // The report's lists in another order: the same files.
        var shuffled = ReportFixture.report
        shuffled.lines.reverse()
        shuffled.totalsByCarrier.reverse()
        shuffled.totalsByRoute.reverse()
        shuffled.exceptions.reverse()
        shuffled.excluded.reverse()
        shuffled.acts.reverse()
        shuffled.coverage.reverse()
        shuffled.budget?.lines.reverse()
        #expect(shuffled != ReportFixture.report)
        #expect(ReconciliationRenderer.render(shuffled, context: ReportFixture.context()) == first)

        let json = try #require(first.first { $0.name == "report.json" })
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Support.write([json], to: directory)
        let script = """
            import json, sys
            data = open(sys.argv[1], "rb").read()
            value = json.loads(data)
            again = (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\\n").encode("utf-8")
            tables = value["tables"]
            lines = tables["compensation-lines"]
            print(again == data, len(lines), sum(line["compensationKopecks"] for line in lines), value["total"]["compensationKopecks"], lines[0]["carrier"])
            """
        let run = try Support.python(script, [directory.appendingPathComponent("report.json").path])
        let report = ReportFixture.report
        #expect(run.output == "True \(report.lines.count) \(report.total.compensationKopecks) \(report.total.compensationKopecks) <script>alert(1)</script>\n")
    }

    @Test func theSignedManifestCoversEveryFileAndThePrintedVerifierAgrees() throws {
        let report = ReportFixture.report
        let manifest = ReconciliationRenderer.manifest(
            for: report, community: "Немішаївська селищна громада",
            extraInputs: [ManifestInput(kind: "carrier-claim", name: "carrier-1.csv", attributes: ["sha256": .string(String(repeating: "e", count: 64))])])
        #expect(manifest.inputs.map(\.kind) == ["carrier-claim", "device-head", "device-head", "tariff-version"])
        let context = ReportFixture.context()
        let files = ReconciliationRenderer.render(report, context: ReportContext(
            community: context.community, carriers: [ReportFixture.hostile, ReportFixture.quoted], routes: ReportFixture.routes,
            categories: ReportFixture.categories, generatedAt: context.generatedAt, inputsDigest: manifest.inputsDigest))
        let uk = String(decoding: try #require(files.first { $0.name == "report.uk.html" }).bytes, as: UTF8.self)
        #expect(uk.contains(manifest.inputsDigest))
        let signed = try manifest.signed(outputs: files, with: ManifestTests.financeKey)
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Support.write(files + [signed.file], to: directory)
        let key = ManifestTests.hex(ManifestTests.financeKey.publicKey.rawRepresentation)
        let verdict = try ManifestTests.verify(directory, key: key)
        #expect(verdict.output == "report intact: \(files.count) files, inputs \(manifest.inputsDigest), signed by \(key)\n")
        // One byte of one CSV changed: refused by both verifiers.
        let csv = directory.appendingPathComponent("compensation-lines.csv")
        var bytes = [UInt8](try Data(contentsOf: csv))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: csv)
        #expect(try ManifestTests.verify(directory, key: key).output == "report refused: compensation-lines.csv differs from the manifest\n")
        var changed = Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.bytes) })
        changed["compensation-lines.csv"] = bytes
        #expect(ManifestTests.problem(signed.verify(files: changed, trusting: ManifestTests.financeKey.publicKey)) == .fileChanged)
    }

    @Test func thePagesOpenInChromiumWithChartsAndPrint() async throws {
        let report = ReportFixture.report
        let context = ReportFixture.context()
        let document = ReconciliationRenderer.document(report, context: context)
        let charts = ReconciliationRenderer.charts(report, context: context)
        // Rides: 30 days minus the 6 without lines, two categories, carrier 2's veterans every other day.
        #expect(charts.map(\.barCount) == [24 + 24, 2 + 2, 4])
        // The carriers' documents: a calculation and an act each, with signature blocks.
        let ids = document.sections.map(\.id)
        #expect(ids.contains("compensation-carrier-1") && ids.contains("act-carrier-1") && ids.contains("compensation-carrier-2") && ids.contains("act-carrier-2"))
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Support.write(document.files, to: directory)
        let started = Date()
        try await Browser.withSession { session in
            for language in ReportLanguage.allCases {
                try await session.navigate(to: directory.appendingPathComponent(document.fileName(language)))
                let problems = try await session.consoleLog().filter { $0.level == "SEVERE" || $0.level == "WARNING" }
                #expect(problems.isEmpty, "\(problems)")
                #expect(try await session.execute("return document.querySelectorAll('script, img, iframe').length").number == 0)
                #expect(try await session.execute("return document.querySelectorAll('section').length").number == Double(document.sections.count))
                #expect(try await session.execute("return document.querySelectorAll('.signature').length").number == 3 * 2 + 5 * 2)
                let text = try await session.execute("return document.body.innerText").string ?? ""
                #expect(text.contains(ReportFixture.hostile.name))
                #expect(text.contains(language == .ukrainian ? "Акт звірки взаєморозрахунків" : "Act of reconciliation"))
                #expect(text.contains(language == .ukrainian ? "Головний бухгалтер" : "Chief accountant"))
                for chart in charts {
                    let svg = try #require(try await session.findElements(css: "svg#\(chart.id)").first)
                    let box = try await svg.rect()
                    #expect(box.width > 100 && box.height > 50, "\(chart.id)")
                    #expect(try await session.findElements(css: "svg#\(chart.id) rect.bar").count == chart.barCount, "\(chart.id)")
                }
                // The print stylesheet: each section from a new page, table headings repeated on
                // every page, totals once, no row split, the language switch not printed.
                try await session.emulateMedia("print")
                let style = try await session.execute(
                    """
                    const s = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
                    return [s('section', 'breakBefore'), s('thead', 'display'), s('tfoot', 'display'), s('tbody tr', 'breakInside'),
                            s('.language-switch', 'display'), s('.signatures', 'breakInside')]
                    """).array?.compactMap(\.string)
                #expect(style == ["page", "table-header-group", "table-row-group", "avoid", "none", "avoid"])
                // Nothing is wider than the printable width of A4 (210 mm less 32 mm of margins ≈ 673 px).
                try await session.setWindowSize(width: 673, height: 1000)
                let widths = try await session.execute(
                    "return [document.documentElement.clientWidth, Math.max(...[...document.querySelectorAll('table, svg')].map(e => e.getBoundingClientRect().right))]"
                ).array?.compactMap(\.number) ?? []
                let wide = try await session.execute(
                    "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('table, svg')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => (e.id || e.className.baseVal || e.className) + ':' + Math.round(e.getBoundingClientRect().right)).join(' ')"
                ).string ?? ""
                #expect(widths.count == 2 && widths[1] <= widths[0] + 1, "too wide for A4: \(wide)")
                try await session.setWindowSize(width: 1280, height: 1024)
                // Back to no emulation (an emulated `screen` would also hold while printing).
                try await session.emulateMedia("")
                #expect(try await session.execute("return getComputedStyle(document.querySelector('section')).breakBefore").string == "auto")
                let pdf = try await session.printToPDF()
                #expect(pdf.starts(with: Array("%PDF-".utf8)))
                // To look at the pages: HROMADA_REPORT_PREVIEW=DIR keeps the HTML and the PDF there.
                if let preview = ProcessInfo.processInfo.environment["HROMADA_REPORT_PREVIEW"] {
                    let target = URL(fileURLWithPath: preview)
                    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                    try Support.write(document.files + [OutputFile(name: "report.\(language.code).pdf", bytes: pdf)], to: target)
                }
                let pages = PrintedPageTests.pageCount(pdf)
                #expect(pages >= document.sections.count && pages <= 80, "\(pages) pages")
            }
        }
        print("ReportRenderingTests: the report's two pages checked in Chromium in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    }
}
