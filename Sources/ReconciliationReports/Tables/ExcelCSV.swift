import TabularText

/// CSV as Excel with a Ukrainian locale opens it by a double click, without an import wizard.
///
/// UTF-8 with a byte order mark (without it Excel reads the bytes as Windows-1251 and the
/// Cyrillic turns to mojibake); `;` between fields, because the Ukrainian list separator is
/// `;` when the decimal separator is `,`; decimal comma, no thousands separator (Excel would
/// read `1 234,56` as text); dates `dd.MM.yyyy`; CRLF after every record; a field quoted as RFC
/// 4180 says when it holds `;`, `"`, CR or LF (or starts or ends with a space, which Excel
/// would otherwise trim), with inner quotes doubled.
///
/// Text that Excel would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or CR) is
/// written with a leading apostrophe: a carrier's name or a device note must never run as a
/// formula on the finance officer's computer (CSV injection). The apostrophe is the one
/// change to a value; docs/reconciliation-reports.md tells an auditor to expect it.
public enum ExcelCSV {
    /// The byte order mark every file starts with.
    public static let byteOrderMark: [UInt8] = CSVText.byteOrderMark

    /// The table as a CSV file: the header row (`Українська / English`), then the data rows.
    public static func encode(_ table: ReportTable) -> [UInt8] {
        var writer = CSVWriter(separator: ";")
        writer.append(encodedRecord: table.columns.map { field(forText: $0.title.both) })
        for row in table.rows {
            writer.append(encodedRecord: row.map(field(for:)))
        }
        return writer.bytes
    }

    /// The field text for one cell, quoted where needed.
    public static func field(for cell: ReportCell) -> String {
        switch cell {
        case .empty: ""
        case .text(let text): field(forText: text)
        case .words(let words): field(forText: words.ukrainian)
        case .integer(let value): "\(value)"
        case .money(let kopecks): NumberFormat.excelMoney(kopecks: kopecks)
        case .date(let date): date.ukrainian
        case .percent(let basisPoints): NumberFormat.excelPercent(basisPoints: basisPoints)
        case .hundredths(let value): NumberFormat.excelMoney(kopecks: value)
        }
    }

    /// Text as a field: guarded against formulas, then quoted when it must be.
    public static func field(forText text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, formulaStarts.contains(first) {
            value = "'" + value
        }
        return CSVWriter(separator: ";").field(value)
    }

    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]
}
