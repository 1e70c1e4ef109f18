/// One cell of a report table, typed so that each output writes it its own way: Excel gets
/// `1234,56`, a printed page `1 234,56`, JSON the integer `123456`.
public enum ReportCell: Hashable, Sendable {
    /// Nothing (a total that does not apply).
    case empty
    /// Text as given: a name, a code, a reason. Escaped by every output.
    case text(String)
    /// Words in both languages (a category's name, a reason): pages show their language, CSV
    /// and JSON the Ukrainian (the code beside it names it for machines).
    case words(BilingualText)
    /// A count.
    case integer(Int64)
    /// An amount of money in kopecks.
    case money(kopecks: Int64)
    /// A civil date.
    case date(ReportDate)
    /// A share in basis points (1/100 of a percent): 1250 is 12,5 %.
    case percent(basisPoints: Int64)
    /// A quantity in hundredths (an average of 12,34 rides is 1234).
    case hundredths(Int64)

    /// Whether the cell is a number, which pages align right.
    public var isNumeric: Bool {
        switch self {
        case .integer, .money, .percent, .hundredths: true
        case .empty, .text, .words, .date: false
        }
    }
}

/// A column: a stable machine name (for JSON) and a title for people in both languages.
public struct ReportColumn: Hashable, Sendable {
    /// The stable name, lowerCamelCase, used as the JSON key: `compensationKopecks`.
    public let key: String
    /// The heading on a page and in the CSV.
    public let title: BilingualText

    /// A column.
    public init(_ key: String, uk: String, en: String) {
        self.key = key
        self.title = BilingualText(uk: uk, en: en)
    }
}

/// A table of a report: the unit that becomes one CSV file, one HTML table and one JSON array.
public struct ReportTable: Hashable, Sendable {
    /// The file stem and HTML id, lowercase with hyphens: `compensation-lines`.
    public let name: String
    /// The caption.
    public let title: BilingualText
    /// The columns, in order.
    public let columns: [ReportColumn]
    /// The rows; each has one cell per column.
    public let rows: [[ReportCell]]
    /// Total rows printed under the table (a page's `tfoot`); the CSV leaves them out so that
    /// Excel filters and pivots the data rows only, and totals have tables of their own.
    public let totals: [[ReportCell]]

    /// A table; rows shorter than the columns are padded with empty cells, longer ones cut.
    public init(name: String, title: BilingualText, columns: [ReportColumn], rows: [[ReportCell]], totals: [[ReportCell]] = []) {
        func fitted(_ row: [ReportCell]) -> [ReportCell] {
            Array((row + Array(repeating: .empty, count: max(0, columns.count - row.count))).prefix(columns.count))
        }
        self.name = name
        self.title = title
        self.columns = columns
        self.rows = rows.map(fitted)
        self.totals = totals.map(fitted)
    }

    /// The same table without the columns named by `keys`: a printed page leaves out what its
    /// heading already says or what only a machine needs, to fit A4.
    public func dropping(_ keys: Set<String>) -> ReportTable {
        let kept = columns.indices.filter { !keys.contains(columns[$0].key) }
        return ReportTable(
            name: name, title: title, columns: kept.map { columns[$0] }, rows: rows.map { row in kept.map { row[$0] } },
            totals: totals.map { row in kept.map { row[$0] } })
    }

    /// The rows as JSON objects keyed by column: money and shares as integers (kopecks, basis
    /// points), dates as ISO 8601 strings, empty cells as null.
    public var json: JSONValue {
        .array(
            rows.map { row in
                .object(Dictionary(uniqueKeysWithValues: zip(columns, row).map { ($0.key, $1.json) }))
            })
    }
}

extension ReportCell {
    /// The cell for machines.
    public var json: JSONValue {
        switch self {
        case .empty: .null
        case .text(let text): .string(text)
        case .words(let words): .string(words.ukrainian)
        case .integer(let value): .integer(value)
        case .money(let kopecks): .integer(kopecks)
        case .date(let date): .string(date.iso)
        case .percent(let basisPoints): .integer(basisPoints)
        case .hundredths(let value): .integer(value)
        }
    }

    /// The cell for people reading a page in `language`.
    public func text(_ language: ReportLanguage) -> String {
        switch self {
        case .empty: ""
        case .text(let text): text
        case .words(let words): words.text(language)
        case .integer(let value): NumberFormat.integer(value, language)
        case .money(let kopecks): NumberFormat.amount(kopecks: kopecks, language)
        case .date(let date): date.text(language)
        case .percent(let basisPoints): NumberFormat.percent(basisPoints: basisPoints, language)
        case .hundredths(let value): NumberFormat.amount(kopecks: value, language)
        }
    }
}
