@testable import BrowserTesting
import Foundation
import Testing

@testable import ReconciliationReports

/// The printed pages in a real browser: headless Chromium (Debian's `chromium`, installed by
/// Tools/setup) opens each file, reports no console error, draws every chart with the bars the
/// data asks for, shows hostile text as text, and prints A4 pages to PDF.
@Suite("Printed pages in headless Chromium", .serialized)
struct PrintedPageTests {
    static let days = (1...30).map { ReportDate(year: 2026, month: 11, day: $0) }

    /// A document of every kind of block, with hostile names in tables, facts and charts.
    static var document: PrintDocument {
        let names = Support.hostileNames
        let table = ExcelCSVTests.table(names: names)
        let ridesPerDay = BarChart(
            id: "rides-per-day", title: BilingualText(uk: "Поїздки пільговиків за днями", en: "Benefit rides per day"),
            valueAxis: BilingualText(uk: "Поїздки", en: "Rides"), categoryAxis: BilingualText(uk: "День", en: "Day"),
            categories: days.map { "\($0.day)" },
            series: [
                .init(name: BilingualText(uk: "Пенсіонери", en: "Pensioners"), values: days.map { Int64($0.day % 7 == 0 ? 0 : 40 + $0.day) }),
                .init(name: BilingualText(uk: "Ветерани", en: "Veterans"), values: days.map { Int64($0.day % 3) * 10 }),
                .init(name: BilingualText(verbatim: names[0]), values: days.map { Int64($0.day % 2) }),
            ])
        let perCarrier = BarChart(
            id: "compensation-per-carrier", title: BilingualText(uk: "Компенсація за перевізниками", en: "Compensation per carrier"),
            valueAxis: BilingualText(uk: "Сума", en: "Amount"), categoryAxis: BilingualText(uk: "Перевізник", en: "Carrier"),
            categories: names, series: [.init(name: BilingualText(uk: "Нараховано", en: "Accrued"), values: names.indices.map { Int64($0 * 123_456 + 1) })],
            unit: .money)
        let empty = BarChart(
            id: "exceptions-per-device", title: BilingualText(uk: "Винятки за пристроями", en: "Exceptions per device"),
            valueAxis: BilingualText(uk: "Винятки", en: "Exceptions"), categoryAxis: BilingualText(uk: "Пристрій", en: "Device"),
            categories: [], series: [])
        let long = ReportTable(
            name: "long", title: BilingualText(uk: "Довга таблиця", en: "A long table"), columns: table.columns,
            rows: (0..<150).map { table.rows[$0 % table.rows.count] }, totals: [[.text("Разом"), .empty, .integer(12345), .money(kopecks: 99_999_999)]])
        return PrintDocument(
            header: PrintHeader(
                community: BilingualText(uk: "Немішаївська селищна громада", en: "Nemishaieve community"),
                title: BilingualText(uk: "Розрахунок компенсації — \(names[0])", en: "Compensation — \(names[0])"),
                periodStart: days.first!, periodEnd: days.last!,
                generatedAt: ReportDateTime(date: ReportDate(year: 2026, month: 12, day: 1), hour: 9, minute: 30, second: 0, utcOffsetSeconds: 7200),
                inputsDigest: String(repeating: "0f", count: 32)),
            sections: [
                PrintSection(
                    id: "summary", title: BilingualText(uk: "Підсумок", en: "Summary"),
                    blocks: [
                        .paragraph(BilingualText(verbatim: names[8])),
                        .facts([
                            .init(BilingualText(uk: "Заборгованість на початок", en: "Opening debt"), .money(kopecks: 123_456)),
                            .init(BilingualText(verbatim: names[1]), .text(names[0]), emphasized: true),
                        ]),
                        .chart(ridesPerDay), .chart(perCarrier), .chart(empty),
                    ]),
                PrintSection(id: "table", title: BilingualText(uk: "Рядки", en: "Lines"), blocks: [.table(table), .table(long)]),
                PrintSection(
                    id: "signatures", title: BilingualText(uk: "Підписи", en: "Signatures"),
                    blocks: [.signatures([.head, .chiefAccountant, .preparedBy])]),
            ])
    }

    @Test func pagesOpenWithoutErrorsAndChartsRender() async throws {
        let document = Self.document
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Support.write(document.files, to: directory)
        let charts = document.sections.flatMap(\.blocks).compactMap { block -> BarChart? in
            if case .chart(let chart) = block { return chart }
            return nil
        }
        let started = Date()
        try await Browser.withSession { session in
            for language in ReportLanguage.allCases {
                try await Self.check(document, language, in: directory, charts: charts, session: session)
            }
        }
        print("PrintedPageTests: both pages checked in Chromium in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    }

    /// Opens the page, then checks console, scripts, charts, hostile text and the printed PDF.
    static func check(
        _ document: PrintDocument, _ language: ReportLanguage, in directory: URL, charts: [BarChart], session: BrowserSession,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await session.navigate(to: directory.appendingPathComponent(document.fileName(language)))
        let problems = try await session.consoleLog().filter { $0.level == "SEVERE" || $0.level == "WARNING" }
        #expect(problems.isEmpty, "console of \(language): \(problems)", sourceLocation: sourceLocation)
        #expect(try await session.execute("return document.documentElement.lang").string == language.code, sourceLocation: sourceLocation)
        // Nothing from the data became markup.
        #expect(try await session.execute("return document.querySelectorAll('script, img, iframe, object').length").number == 0, sourceLocation: sourceLocation)
        let text = try await session.execute("return document.body.innerText").string ?? ""
        #expect(text.contains("<script>alert(1)</script>"), sourceLocation: sourceLocation)
        #expect(text.contains("</table><img src=x onerror=alert(2)>"), sourceLocation: sourceLocation)
        let tables = try await session.findElements(css: "table.report-table")
        #expect(tables.count == 2, sourceLocation: sourceLocation)
        let firstCell = try #require(try await session.findElements(css: "#table-compensation-lines tbody td").first)
        #expect(try await firstCell.text() == "<script>alert(1)</script>", sourceLocation: sourceLocation)

        // Every chart is drawn: a real box, and one bar per positive value.
        let svgs = try await session.findElements(css: "svg.chart")
        #expect(svgs.count == charts.count, sourceLocation: sourceLocation)
        for chart in charts {
            let svg = try #require(try await session.findElements(css: "svg#\(chart.id)").first, sourceLocation: sourceLocation)
            let box = try await svg.rect()
            #expect(box.width > 100 && box.height > 50, "\(chart.id): \(box)", sourceLocation: sourceLocation)
            let bars = try await session.findElements(css: "svg#\(chart.id) rect.bar")
            #expect(bars.count == chart.barCount, "\(chart.id)", sourceLocation: sourceLocation)
            for bar in bars {
                let size = try await session.execute(
                    "const b = arguments[0].getBBox(); return [b.width, b.height]", arguments: [bar.argument]).array?.compactMap(\.number) ?? []
                #expect(size.count == 2 && size[0] > 0 && size[1] > 0, "\(chart.id)", sourceLocation: sourceLocation)
            }
            let title = try await session.execute("return arguments[0].querySelector('title').textContent", arguments: [svg.argument]).string
            #expect(title == chart.title.text(language), sourceLocation: sourceLocation)
        }
        #expect(charts.map(\.barCount) == [26 + 20 + 15, 10, 0], sourceLocation: sourceLocation)

        // Printed: a PDF of A4 pages, several (each section starts a page, the long table spans
        // pages), and not absurdly many.
        let pdf = try await session.printToPDF()
        #expect(pdf.starts(with: Array("%PDF-".utf8)), sourceLocation: sourceLocation)
        let pages = pageCount(pdf)
        #expect(pages >= document.sections.count + 2 && pages <= 20, "\(pages) pages", sourceLocation: sourceLocation)
        #expect(String(decoding: pdf, as: UTF8.self).contains("/MediaBox [0 0 595"), "A4 width 595 pt", sourceLocation: sourceLocation)
    }

    /// Pages in a PDF as Chromium writes it (page objects are not compressed): `/Type /Page`
    /// objects, not the `/Pages` tree.
    static func pageCount(_ pdf: [UInt8]) -> Int {
        let text = String(decoding: pdf, as: UTF8.self)
        return text.components(separatedBy: "/Type /Page").dropFirst().filter { !$0.hasPrefix("s") }.count
    }
}

/// Without Chromium the browser tests fail and say how to get it; they never skip silently.
@Suite("The browser test infrastructure")
struct BrowserInfrastructureTests {
    @Test func aMissingBrowserIsAFailureThatNamesToolsSetup() throws {
        do {
            _ = try Browser.locate(["/nonexistent/chromium"], package: "chromium")
            Issue.record("a missing browser was found")
        } catch let error as BrowserError {
            #expect(error.description.contains("Tools/setup"))
            #expect(error.description.contains("chromium"))
        }
    }
}

/// The WebDriver client itself on a page of its own: the console is really read (so "no console
/// error" can fail), scripts, elements, typing and clicking work.
@Suite("The WebDriver client", .serialized)
struct WebDriverClientTests {
    @Test func readsTheConsoleTypesAndClicks() async throws {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("form.html")
        try """
            <!DOCTYPE html><html lang="uk"><head><meta charset="utf-8"><title>Форма</title></head><body>
            <input id="name"><button id="go" onclick="document.getElementById('out').textContent = 'Привіт, ' + document.getElementById('name').value">OK</button>
            <p id="out"></p>
            <script>console.error("навмисна помилка"); console.log("звичайний запис")</script>
            </body></html>
            """.write(to: page, atomically: true, encoding: .utf8)
        try await Browser.withSession { session in
            try await session.navigate(to: page)
            #expect(try await session.title() == "Форма")
            #expect(try await session.currentURL().hasSuffix("/form.html"))
            let log = try await session.consoleLog()
            #expect(log.contains { $0.level == "SEVERE" && $0.message.contains("навмисна помилка") }, "\(log)")
            #expect(log.contains { $0.level == "INFO" && $0.message.contains("звичайний запис") }, "\(log)")
            let input = try #require(try await session.findElements(css: "#name").first)
            try await input.type("Оксана")
            try await #require(try await session.findElements(css: "#go").first).click()
            #expect(try await #require(try await session.findElements(css: "#out").first).text() == "Привіт, Оксана")
            try await input.clear()
            #expect(try await session.execute("return document.getElementById('name').value").string == "")
            #expect(try await session.execute("return arguments[0] + arguments[1]", arguments: [2, 3]).number == 5)
            #expect(try await session.findElements(css: "table").isEmpty)
        }
    }
}
