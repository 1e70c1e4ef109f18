import AccountingCore
import Entitlements
import Identifiers
import TabularText

/// A carrier's own monthly claim as a CSV file: route, date, category, rides, amount.
///
/// Carriers make these in Excel, so the reader takes what Excel writes in Ukraine and
/// elsewhere: UTF-8 with or without a byte-order mark, `;` or `,` between fields (whichever the
/// first line uses; `;` wins when it has both), amounts with a decimal comma or point and
/// spaces between thousands (`1 234,50`), dates as `2026-11-03` or `03.11.2026`, quoted fields
/// with `""` for a quote, and an optional header naming the columns in Ukrainian or English in
/// any order. Without a header the columns are in the order above. Empty lines are skipped.
/// Anything else is refused with the line number (1-based, counting every line of the file).
public enum CarrierClaimFile {
    /// The column names a header may use, by column.
    static let headerNames: [Column: Set<String>] = [
        .route: ["route", "маршрут", "номер маршруту", "маршрут №"],
        .date: ["date", "дата", "день"],
        .category: ["category", "категорія", "код категорії", "категория"],
        .rides: ["rides", "поїздки", "поїздок", "кількість поїздок", "кількість"],
        .amount: ["amount", "сума", "сума, грн", "сума грн", "amount, uah", "amount uah"],
    ]

    enum Column: Int, CaseIterable { case route, date, category, rides, amount }

    /// Reads a claim of `carrier` from the file's bytes.
    public static func parse(_ bytes: [UInt8], carrier: CarrierID) throws -> [ClaimLine] {
        let text: String
        do {
            text = try CSVText.decode(bytes)
        } catch {
            throw ReconciliationError(.invalidClaim, "line \(error.line): not UTF-8 text")
        }
        // Lines of only blanks and separators are skipped, also before the first line, whose
        // separator the file uses.
        func isEmpty(_ text: some StringProtocol) -> Bool { text.allSatisfy { $0 == " " || $0 == "\t" || $0 == ";" || $0 == "," } }
        var firstLine = Substring("")
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) where !isEmpty(line) {
            firstLine = line
            break
        }
        // A claim line is one line: a quote must close on it and may not stand inside a field.
        let dialect = CSVDialect(separator: CSVText.separator(of: firstLine), strayQuote: .refused, lineBreaksInQuotes: false)
        var rows: [(line: Int, fields: [String])] = []
        do {
            for record in try CSVReader.records(text, dialect: dialect) where record.hasQuotedField || !record.fields.allSatisfy(isEmpty) {
                rows.append((record.line, record.fields))
            }
        } catch {
            switch error.kind {
            case .unclosedQuote: throw ReconciliationError(.invalidClaim, "line \(error.line): a quoted field is not closed")
            case .quoteInsideField: throw ReconciliationError(.invalidClaim, "line \(error.line): a quote inside an unquoted field")
            }
        }
        guard let first = rows.first else { return [] }

        var order = Column.allCases.map(\.rawValue)
        var dataRows = rows[...]
        if let mapped = try headerOrder(first.fields, line: first.line) {
            order = mapped
            dataRows = rows.dropFirst()
        }
        return try dataRows.map { row in
            guard row.fields.count >= Column.allCases.count, order.allSatisfy({ $0 < row.fields.count }) else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): \(row.fields.count) fields, expected route, date, category, rides, amount")
            }
            let value = { (column: Column) -> String in row.fields[order[column.rawValue]].trimmingSpaces }
            let extra = row.fields.indices.filter { !order.contains($0) }.filter { !row.fields[$0].trimmingSpaces.isEmpty }
            guard extra.isEmpty else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): unexpected field \(extra[0] + 1) \"\(row.fields[extra[0]])\"")
            }
            guard let route = UInt16(value(.route)) else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): route \"\(value(.route))\" is not a route number")
            }
            guard let date = parseDate(value(.date)) else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): date \"\(value(.date))\" is not YYYY-MM-DD or DD.MM.YYYY")
            }
            guard let category = UInt16(value(.category)) else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): category \"\(value(.category))\" is not a category code")
            }
            guard let rides = Int(withoutGrouping(value(.rides))), rides >= 0 else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): rides \"\(value(.rides))\" is not a count")
            }
            guard let amount = parseKopecks(value(.amount)) else {
                throw ReconciliationError(.invalidClaim, "line \(row.line): amount \"\(value(.amount))\" is not a sum in hryvnias (e.g. 1234,50)")
            }
            return ClaimLine(
                carrier: carrier, route: RouteNumber(route), date: date, category: CategoryCode(category), rides: rides, amountKopecks: amount,
                sourceLine: row.line)
        }
    }

    /// The column order a header row gives, `nil` when the row is data (its rides field is a
    /// number in the default order).
    static func headerOrder(_ fields: [String], line: Int) throws -> [Int]? {
        let names = fields.map { $0.trimmingSpaces.lowercased() }
        if fields.count > Column.rides.rawValue, Int(withoutGrouping(names[Column.rides.rawValue])) != nil { return nil }
        var order: [Int] = []
        for column in Column.allCases {
            guard let position = names.firstIndex(where: { headerNames[column]!.contains($0) }) else {
                throw ReconciliationError(
                    .invalidClaim, "line \(line): the header names no \(["route", "date", "category", "rides", "amount"][column.rawValue]) column")
            }
            order.append(position)
        }
        return order
    }

    /// `2026-11-03` or `03.11.2026`.
    static func parseDate(_ text: String) -> CivilDate? {
        if let date = CivilDate(iso: text) { return date }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4, let day = Int(parts[0]), let month = Int(parts[1]),
            let year = Int(parts[2])
        else { return nil }
        return CivilDate(year: year, month: month, day: day)
    }

    /// Hryvnias with a decimal comma or point and at most two decimals, to kopecks; spaces
    /// (also no-break ones) between thousands are allowed; negative amounts are not.
    static func parseKopecks(_ text: String) -> Int64? {
        let plain = withoutGrouping(text)
        let separators = plain.filter { $0 == "," || $0 == "." }
        guard separators.count <= 1, !plain.isEmpty else { return nil }
        let parts = plain.split(separator: separators.first ?? " ", omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit), let hryvnias = Int64(whole) else { return nil }
        var kopecks: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit), let value = Int64(fraction) else { return nil }
            kopecks = fraction.count == 1 ? value * 10 : value
        }
        let (product, overflow) = hryvnias.multipliedReportingOverflow(by: 100)
        guard !overflow else { return nil }
        return product + kopecks
    }

    /// The text without spaces, no-break spaces and narrow no-break spaces (thousands groups).
    static func withoutGrouping(_ text: String) -> String {
        String(text.filter { $0 != " " && $0 != "\u{00A0}" && $0 != "\u{202F}" && $0 != "\t" })
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    /// Without spaces and tabs at either end.
    fileprivate var trimmingSpaces: String {
        let isSpace = { (character: Character) in character == " " || character == "\t" || character == "\u{00A0}" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
