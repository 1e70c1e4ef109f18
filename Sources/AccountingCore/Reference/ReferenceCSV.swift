import Entitlements
import Identifiers
import TabularText

/// Reading the reference-data CSV files the CLI imports (docs/accounting.md, "Reference data"):
/// UTF-8 (a byte order mark is skipped), a header row naming the columns in any order, `,` or
/// `;` between fields (whichever the header uses), fields in double quotes when they hold a
/// separator, a quote or a line break.
///
/// Every line is checked and every bad line reported with its number (the header is line 1), so
/// one run shows all that must be fixed; a file with any bad line gives no rows at all.
public enum ReferenceCSV {
    /// One refused line.
    public struct LineError: Hashable, Sendable {
        /// The line number in the file (the header is line 1).
        public var line: Int
        /// What is wrong, in Ukrainian.
        public var ukrainian: String
        /// What is wrong, in English.
        public var english: String
    }

    /// A file that cannot be imported: every bad line, in order.
    public struct Refusal: Error, Hashable, Sendable {
        /// The bad lines.
        public var lines: [LineError]

        /// The report for people: Ukrainian lines first, then English.
        public var message: String {
            let uk = lines.map { $0.line == 0 ? "помилка: \($0.ukrainian)" : "помилка: рядок \($0.line): \($0.ukrainian)" }
            let en = lines.map { $0.line == 0 ? "error: \($0.english)" : "error: line \($0.line): \($0.english)" }
            return (uk + en).joined(separator: "\n")
        }
    }

    /// The columns of a purse-credit file: `card`, `amount` (hryvnias, up to two decimals),
    /// `credited_at` (ISO 8601 with an offset, or Unix seconds), `reference`.
    public static let creditColumns = ["card", "amount", "credited_at", "reference"]

    /// The columns of an issued-entitlement file; `ride_limit`, `ride_period` and
    /// `discount_percent` may be empty where the product has none.
    public static let entitlementColumns = [
        "card", "entitlement", "category", "product", "ride_limit", "ride_period", "discount_percent", "valid_from", "valid_until",
    ]

    /// Purse credits from a credit file, each with source `import`.
    public static func purseCredits(from bytes: [UInt8]) throws(Refusal) -> [PurseCredit] {
        var seen: [String: Int] = [:]
        return try rows(of: bytes, columns: creditColumns) { line, field throws(LineFailure) -> PurseCredit in
            let credit = PurseCredit(
                card: try card(field("card")), amountKopecks: try kopecks(field("amount")), creditedAt: try time(field("credited_at")),
                source: "import", reference: field("reference"))
            do throws(ReferenceDataError) { try credit.validate() } catch { throw LineFailure(error) }
            let key = "\(credit.card.rawValue)/\(credit.creditedAt.rawValue)/\(credit.reference)"
            if let first = seen[key] {
                throw LineFailure(uk: "те саме поповнення, що в рядку \(first)", en: "the same credit as line \(first)")
            }
            seen[key] = line
            return credit
        }
    }

    /// Issued entitlements from an entitlement file.
    public static func issuedEntitlements(from bytes: [UInt8]) throws(Refusal) -> [IssuedEntitlement] {
        var seen: [String: Int] = [:]
        return try rows(of: bytes, columns: entitlementColumns) { line, field throws(LineFailure) -> IssuedEntitlement in
            let entitlement = IssuedEntitlement(
                card: try card(field("card")), entitlement: EntitlementID(rawValue: try number(field("entitlement"), "entitlement", as: UInt32.self)),
                category: CategoryCode(rawValue: try number(field("category"), "category", as: UInt16.self)), product: try product(field("product")),
                rideLimit: try optionalNumber(field("ride_limit"), "ride_limit", as: UInt16.self), ridePeriod: try period(field("ride_period")),
                discountPercent: try optionalNumber(field("discount_percent"), "discount_percent", as: UInt8.self),
                validFrom: try date(field("valid_from"), "valid_from"), validUntil: try date(field("valid_until"), "valid_until"))
            do throws(ReferenceDataError) { try entitlement.validate() } catch { throw LineFailure(error) }
            let key = "\(entitlement.card.rawValue)/\(entitlement.entitlement.rawValue)"
            if let first = seen[key] {
                throw LineFailure(uk: "та сама пільга картки, що в рядку \(first)", en: "the same card and entitlement as line \(first)")
            }
            seen[key] = line
            return entitlement
        }
    }

    /// Hryvnias with up to two decimals (`150`, `150.5`, `150,50`) as kopecks; nil for anything else.
    public static func kopecks(hryvnias text: String) -> Int64? {
        try? kopecks(text)
    }

    // MARK: Fields

    /// Why one line is refused.
    struct LineFailure: Error {
        var ukrainian: String
        var english: String

        init(uk: String, en: String) {
            ukrainian = uk
            english = en
        }

        init(_ error: ReferenceDataError) {
            ukrainian = error.ukrainian
            english = error.english
        }
    }

    static func card(_ text: String) throws(LineFailure) -> CardSerial {
        guard let card = CardSerial(printed: text) else {
            throw LineFailure(uk: "card: «\(text)» не номер картки (16 шістнадцяткових цифр)", en: "card: \"\(text)\" is not a card serial (16 hex digits)")
        }
        return card
    }

    static func number<T: FixedWidthInteger>(_ text: String, _ column: String, as type: T.Type) throws(LineFailure) -> T {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = T(text) else {
            throw LineFailure(uk: "\(column): «\(text)» не ціле число 0–\(T.max)", en: "\(column): \"\(text)\" is not an integer 0-\(T.max)")
        }
        return value
    }

    static func optionalNumber<T: FixedWidthInteger>(_ text: String, _ column: String, as type: T.Type) throws(LineFailure) -> T? {
        text.isEmpty ? nil : try number(text, column, as: type)
    }

    /// Hryvnias with up to two decimals (`.` or `,` before them) as kopecks.
    static func kopecks(_ text: String) throws(LineFailure) -> Int64 {
        let failure = LineFailure(
            uk: "amount: «\(text)» не сума в гривнях (наприклад 150 або 150,50)", en: "amount: \"\(text)\" is not an amount in hryvnias (e.g. 150 or 150.50)")
        let parts = text.split(omittingEmptySubsequences: false) { $0 == "." || $0 == "," }
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].count <= 12,
            parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }), let whole = Int64(parts[0])
        else { throw failure }
        var fraction: Int64 = 0
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), let digits = Int64(parts[1]) else { throw failure }
            fraction = parts[1].count == 1 ? digits * 10 : digits
        }
        return whole * 100 + fraction
    }

    static func date(_ text: String, _ column: String) throws(LineFailure) -> CivilDate {
        guard let date = CivilDate(iso: text) else {
            throw LineFailure(uk: "\(column): «\(text)» не дата РРРР-ММ-ДД", en: "\(column): \"\(text)\" is not a YYYY-MM-DD date")
        }
        return date
    }

    static func time(_ text: String) throws(LineFailure) -> UnixTime {
        guard let time = ReferenceTime.parse(text) else {
            throw LineFailure(
                uk: "credited_at: «\(text)» не час (2026-11-03T10:15:00+02:00 або секунди Unix)",
                en: "credited_at: \"\(text)\" is not a time (2026-11-03T10:15:00+02:00 or Unix seconds)")
        }
        return time
    }

    static func product(_ text: String) throws(LineFailure) -> ProductKind {
        let names: [String: ProductKind] = ["free": .free, "discount": .discount, "rides": .rides, "pass": .pass, "stored-value": .storedValue]
        guard let kind = names[text] else {
            throw LineFailure(
                uk: "product: «\(text)»; можливі free, discount, rides, pass, stored-value",
                en: "product: \"\(text)\"; one of free, discount, rides, pass, stored-value")
        }
        return kind
    }

    static func period(_ text: String) throws(LineFailure) -> RidePeriod? {
        switch text {
        case "": return nil
        case "day": return .day
        case "week": return .week
        case "month": return .month
        default: throw LineFailure(uk: "ride_period: «\(text)»; можливі day, week, month", en: "ride_period: \"\(text)\"; one of day, week, month")
        }
    }

    // MARK: Records

    /// The rows of a CSV file as `make` reads them (given the line and a field by column name),
    /// or every refusal: a header that is not `columns`, a line with another number of fields,
    /// a line `make` refuses.
    static func rows<Row>(
        of bytes: [UInt8], columns: [String], _ make: (Int, (String) -> String) throws(LineFailure) -> Row
    ) throws(Refusal) -> [Row] {
        let decoded: String
        do {
            decoded = try CSVText.decode(bytes)
        } catch {
            throw Refusal(lines: [LineError(line: 0, ukrainian: "файл не в кодуванні UTF-8", english: "the file is not UTF-8")])
        }
        let records: [CSVRecord]
        do {
            records = try CSVReader.records(decoded, dialect: CSVDialect(separator: CSVText.separator(of: CSVText.firstLine(of: decoded))))
        } catch {
            throw Refusal(lines: [LineError(line: error.line, ukrainian: "лапки не закрито", english: "a quoted field is not closed")])
        }
        guard let header = records.first else {
            throw Refusal(lines: [LineError(line: 0, ukrainian: "файл порожній", english: "the file is empty")])
        }
        let names = header.fields.map { $0.trimmingSpaces.lowercased() }
        guard Set(names) == Set(columns), names.count == columns.count else {
            throw Refusal(lines: [
                LineError(
                    line: 1, ukrainian: "заголовок має містити стовпці \(columns.joined(separator: ", ")), а містить \(names.joined(separator: ", "))",
                    english: "the header must name the columns \(columns.joined(separator: ", ")); it names \(names.joined(separator: ", "))")
            ])
        }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var out: [Row] = []
        var errors: [LineError] = []
        for record in records.dropFirst() {
            // A blank line (often the last) is no record.
            if record.fields.count == 1 && record.fields[0].trimmingSpaces.isEmpty { continue }
            guard record.fields.count == names.count else {
                errors.append(
                    LineError(
                        line: record.line, ukrainian: "\(record.fields.count) полів замість \(names.count)",
                        english: "\(record.fields.count) fields instead of \(names.count)"))
                continue
            }
            do {
                out.append(try make(record.line) { record.fields[index[$0]!].trimmingSpaces })
            } catch {
                errors.append(LineError(line: record.line, ukrainian: error.ukrainian, english: error.english))
            }
        }
        guard errors.isEmpty else { throw Refusal(lines: errors) }
        return out
    }
}

/// Instants as people type them in the CLI and CSV files.
public enum ReferenceTime {
    /// `YYYY-MM-DDTHH:MM[:SS]` followed by `Z` or `±HH:MM` (a space may stand for the `T`), or
    /// Unix seconds; nil for anything else. The offset is required: a time without one would
    /// be read in whatever zone the machine is set to.
    public static func parse(_ text: String) -> UnixTime? {
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int64(text) { return UnixTime(seconds) }
        let characters = Array(text)
        guard characters.count >= 17, characters[10] == "T" || characters[10] == " ",
            let date = CivilDate(iso: String(characters[0..<10]))
        else { return nil }
        var rest = Array(characters[11...])
        func twoDigits(_ slice: ArraySlice<Character>) -> Int? {
            guard slice.count == 2, slice.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(String(slice))
        }
        guard rest.count >= 5, rest[2] == ":", let hour = twoDigits(rest[0..<2]), let minute = twoDigits(rest[3..<5]), hour < 24, minute < 60 else {
            return nil
        }
        var second = 0
        rest.removeFirst(5)
        if rest.first == ":" {
            guard rest.count >= 3, let value = twoDigits(rest[1..<3]), value < 60 else { return nil }
            second = value
            rest.removeFirst(3)
        }
        var offset = 0
        if rest == ["Z"] {
            offset = 0
        } else if rest.count == 6, rest[0] == "+" || rest[0] == "-", rest[3] == ":", let hours = twoDigits(rest[1..<3]), let minutes = twoDigits(rest[4..<6]),
            hours < 15, minutes < 60
        {
            offset = (hours * 3600 + minutes * 60) * (rest[0] == "-" ? -1 : 1)
        } else {
            return nil
        }
        let local = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return UnixTime(local - Int64(offset))
    }
}

extension StringProtocol {
    /// Without spaces and tabs at either end.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
