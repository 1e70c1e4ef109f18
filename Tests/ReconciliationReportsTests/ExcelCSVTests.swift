import Foundation
import Testing

@testable import ReconciliationReports

/// The CSV files are read back by Python's `csv` module configured as Excel with a Ukrainian
/// locale loads them: UTF-8 with BOM (`utf-8-sig`), `;` between fields, RFC 4180 quoting.
@Suite("CSV for Excel with a Ukrainian locale")
struct ExcelCSVTests {
    static let columns = [
        ReportColumn("carrier", uk: "Перевізник", en: "Carrier"),
        ReportColumn("day", uk: "Дата", en: "Date"),
        ReportColumn("rides", uk: "Поїздки", en: "Rides"),
        ReportColumn("compensationKopecks", uk: "Компенсація, грн", en: "Compensation, UAH"),
        ReportColumn("share", uk: "Частка", en: "Share"),
        ReportColumn("note", uk: "Примітка", en: "Note"),
    ]

    static func table(names: [String]) -> ReportTable {
        let amounts: [Int64] = [123_456, -5, 0, 100, 99, 1_000_000_000_01, -123_456_789, 7, 10, 1]
        let rows = names.enumerated().map { index, name -> [ReportCell] in
            [
                .text(name), .date(ReportDate(year: 2026, month: 11, day: index + 1)), .integer(Int64(index * 1000)),
                .money(kopecks: amounts[index % amounts.count]), .percent(basisPoints: Int64(index * 125)), .empty,
            ]
        }
        return ReportTable(name: "compensation-lines", title: BilingualText(uk: "Рядки", en: "Lines"), columns: columns, rows: rows)
    }

    /// What Excel shows in each cell, as the reader returns it.
    static func expectedFields(_ table: ReportTable) -> [[String]] {
        [table.columns.map(\.title.both)]
            + table.rows.map { row in
                row.map { cell in
                    switch cell {
                    case .text(let text): ["=", "+", "-", "@"].contains(text.first.map(String.init) ?? "") ? "'" + text : text
                    case .money(let kopecks):
                        (kopecks < 0 ? "-" : "") + "\(kopecks.magnitude / 100)," + String(format: "%02d", Int(kopecks.magnitude % 100))
                    case .date(let date): String(format: "%02d.%02d.%04d", date.day, date.month, date.year)
                    case .integer(let value): "\(value)"
                    case .percent(let basisPoints):
                        basisPoints % 100 == 0
                            ? "\(basisPoints / 100)%"
                            : "\(basisPoints / 100),\(String(format: "%02d", Int(basisPoints % 100)).replacingOccurrences(of: "0$", with: "", options: .regularExpression))%"
                    case .words(let words): words.ukrainian
                    case .hundredths(let value): "\(value / 100)," + String(format: "%02d", Int(value % 100))
                    case .empty: ""
                    }
                }
            }
    }

    /// Python's reader, as Excel would load the file.
    static func readWithPython(_ bytes: [UInt8]) throws -> [[String]] {
        let directory = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("table.csv")
        try Data(bytes).write(to: file)
        let script = """
            import csv, json, sys
            with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f, delimiter=";", quotechar='"', doublequote=True, strict=True))
            sys.stdout.write(json.dumps(rows, ensure_ascii=True))
            """
        let run = try Support.python(script, [file.path])
        try #require(run.status == 0, "\(run.output)")
        return try JSONDecoder().decode([[String]].self, from: Data(run.output.utf8))
    }

    @Test func roundTripsThroughPythonsCSVReader() throws {
        let table = Self.table(names: Support.hostileNames)
        let bytes = ExcelCSV.encode(table)
        let fields = try Self.readWithPython(bytes)
        #expect(fields == Self.expectedFields(table))
        // Spot checks a reader of the file would make by eye.
        #expect(fields[1][0] == "<script>alert(1)</script>")
        #expect(fields[3][0] == "Перевізник\nз переносом рядка")
        #expect(fields[1][3] == "1234,56")
        #expect(fields[2][3] == "-0,05")
        #expect(fields[6][0] == "'=HYPERLINK(\"http://evil\";\"клік\")")
        #expect(fields[1][1] == "01.11.2026")
        #expect(fields[2][4] == "1,25%")
        #expect(fields[5][4] == "5%")
    }

    @Test func isExcelsDialect() throws {
        let bytes = ExcelCSV.encode(Self.table(names: ["А", "Б"]))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(text.hasSuffix("\r\n"))
        // Every record ends in CRLF: no bare LF outside a quoted field here.
        #expect(text.components(separatedBy: "\r\n").allSatisfy { !$0.contains("\n") })
        #expect(text.hasPrefix("Перевізник / Carrier;Дата / Date;Поїздки / Rides;Компенсація, грн / Compensation, UAH;Частка / Share;Примітка / Note\r\n"))
        #expect(text.contains("А;01.11.2026;0;1234,56;0%;\r\n"))
        // No thousands separator in numbers for Excel.
        #expect(!text.contains("\u{00A0}"))
    }

    @Test func quotesOnlyWhatNeedsQuoting() {
        #expect(ExcelCSV.field(forText: "Лебідь") == "Лебідь")
        #expect(ExcelCSV.field(forText: "a;b") == "\"a;b\"")
        #expect(ExcelCSV.field(forText: "say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(ExcelCSV.field(forText: "two\r\nlines") == "\"two\r\nlines\"")
        #expect(ExcelCSV.field(forText: " edge") == "\" edge\"")
        #expect(ExcelCSV.field(forText: "=1+1") == "'=1+1")
        #expect(ExcelCSV.field(for: .money(kopecks: 100_000_000)) == "1000000,00")
        #expect(ExcelCSV.field(for: .money(kopecks: -1)) == "-0,01")
        #expect(ExcelCSV.field(for: .percent(basisPoints: 1250)) == "12,5%")
        #expect(ExcelCSV.field(for: .percent(basisPoints: -3)) == "-0,03%")
    }

    @Test func anEmptyTableIsItsHeader() throws {
        let table = ReportTable(name: "none", title: BilingualText(uk: "Порожня", en: "Empty"), columns: Self.columns, rows: [])
        #expect(try Self.readWithPython(ExcelCSV.encode(table)) == [Self.columns.map(\.title.both)])
    }
}
