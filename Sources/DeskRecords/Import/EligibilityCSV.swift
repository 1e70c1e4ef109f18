import Entitlements
import Identifiers
import TabularText

/// One line of an eligibility import: a person as the social-protection registry knows them and
/// the benefit it confirms.
public struct ImportedEligibility: Hashable, Sendable {
    /// The line in the file (the header is line 1).
    public var line: Int
    /// The person's full name.
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: CivilDate
    /// The identity document.
    public var document: IdentityDocument
    /// The confirmed benefit.
    public var terms: EligibilityTerms

    /// Creates a line.
    public init(line: Int, fullName: String, dateOfBirth: CivilDate, document: IdentityDocument, terms: EligibilityTerms) {
        self.line = line
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.document = document
        self.terms = terms
    }
}

/// Reads an eligibility export (docs/desk-registry.md, "Import"): UTF-8 with or without a byte
/// order mark, `;` or `,` between fields (whichever the header uses), fields quoted with `"`
/// where they hold a separator, a quote or a line break, a header naming the columns in
/// Ukrainian or English in any order.
///
/// All or nothing: every line that cannot be read is reported with its number, and if any is,
/// no line is returned.
public enum EligibilityCSV {
    /// The columns, and the header names each is recognised by (compared after `headerKey`).
    public enum Column: String, CaseIterable, Sendable {
        case fullName = "full_name"
        case dateOfBirth = "date_of_birth"
        case documentType = "document_type"
        case documentNumber = "document_number"
        case category
        case evidence
        case validFrom = "valid_from"
        case validUntil = "valid_until"

        var names: [String] {
            switch self {
            case .fullName: ["full_name", "name", "піб", "прізвищеімяпобатькові", "прізвищеімя"]
            case .dateOfBirth: ["date_of_birth", "birth_date", "датанародження"]
            case .documentType: ["document_type", "типдокумента", "документтип"]
            case .documentNumber: ["document_number", "номердокумента", "серіятаномердокумента", "серіяіномердокумента"]
            case .category: ["category", "категорія", "кодкатегорії", "категоріяпільги"]
            case .evidence: ["evidence", "підстава", "документпідстава", "документпідтвердження"]
            case .validFrom: ["valid_from", "дієз", "датапочатку"]
            case .validUntil: ["valid_until", "дієдо", "датазакінчення", "терміндії"]
            }
        }

        /// Columns that must be present; `valid_from` may be left out (the import's day then).
        var isRequired: Bool { self != .validFrom }
    }

    /// Parses `bytes`; `resolveCategory` turns the category field (a code or an id) into a code;
    /// lines without `valid_from` start on `importDay`.
    public static func parse(_ bytes: [UInt8], importDay: CivilDate, resolveCategory: (String) -> CategoryCode?) throws -> [ImportedEligibility] {
        let text: String
        do {
            text = try CSVText.decode(bytes)
        } catch {
            throw RegistryRuleError(
                .importRejected, ukrainian: "файл не в кодуванні UTF-8 (збережіть його як «CSV UTF-8»)",
                english: "the file is not UTF-8 (save it as \"CSV UTF-8\")")
        }
        // A quote may open anywhere in a field, as a spreadsheet reads it leniently.
        var reader = CSVReader(text, dialect: CSVDialect(separator: CSVText.separator(of: CSVText.firstLine(of: text)), strayQuote: .opensQuote))
        let header: CSVRecord?
        do {
            header = try reader.next()
        } catch {
            throw RegistryRuleError(
                .importRejected, ukrainian: "рядок 1: заголовок не читається", english: "line 1: the header cannot be read",
                lines: [ImportLineProblem(line: 1, ukrainian: "заголовок не читається", english: "the header cannot be read")])
        }
        guard let header, header.fields != [""] || header.hasQuotedField else {
            throw RegistryRuleError(.importRejected, ukrainian: "файл порожній", english: "the file is empty")
        }
        var problems: [ImportLineProblem] = []
        var position: [Column: Int] = [:]
        for (index, name) in header.fields.enumerated() {
            let key = headerKey(name)
            if let column = Column.allCases.first(where: { $0.names.contains(key) }) { position[column] = index }
        }
        let missing = Column.allCases.filter { $0.isRequired && position[$0] == nil }
        guard missing.isEmpty else {
            let names = missing.map(\.rawValue).joined(separator: ", ")
            throw RegistryRuleError(
                .importRejected, ukrainian: "рядок 1: у заголовку бракує стовпців \(names)", english: "line 1: the header lacks the columns \(names)",
                lines: [ImportLineProblem(line: 1, ukrainian: "бракує стовпців \(names)", english: "missing columns \(names)")])
        }

        var rows: [ImportedEligibility] = []
        var seen: [String: Int] = [:]
        while true {
            let next: CSVRecord?
            do {
                next = try reader.next()
            } catch {
                // Only the last record can be unclosed: the quote runs to the end of the file.
                problems.append(ImportLineProblem(line: error.line, ukrainian: "лапки не закрито", english: "a quote is not closed"))
                break
            }
            guard let record = next else { break }
            if !record.hasQuotedField, record.fields.count == 1, record.fields[0].allSatisfy(\.isWhitespace) { continue }
            func problem(_ ukrainian: String, _ english: String) {
                problems.append(ImportLineProblem(line: record.line, ukrainian: ukrainian, english: english))
            }
            let values = record.fields
            func value(_ column: Column) -> String {
                guard let index = position[column], index < values.count else { return "" }
                return values[index].trimmingWhitespace
            }
            let name = value(.fullName)
            guard NameKey.tokens(name).count >= 2 else {
                problem("ПІБ порожнє або з одного слова", "the full name is empty or a single word")
                continue
            }
            guard let birth = date(value(.dateOfBirth)) else {
                problem("дата народження «\(value(.dateOfBirth))» не є датою (РРРР-ММ-ДД або ДД.ММ.РРРР)", "the date of birth is not a date (YYYY-MM-DD or DD.MM.YYYY)")
                continue
            }
            guard let type = DocumentType(text: value(.documentType)) else {
                problem("невідомий тип документа «\(value(.documentType))»", "unknown document type \"\(value(.documentType))\"")
                continue
            }
            guard let document = try? IdentityDocument(type: type, number: value(.documentNumber)) else {
                problem("номер документа не відповідає типу «\(type.ukrainian)»", "the document number does not fit the type \(type.rawValue)")
                continue
            }
            guard let category = resolveCategory(value(.category)) else {
                problem("невідома категорія «\(value(.category))»", "unknown category \"\(value(.category))\"")
                continue
            }
            let fromText = value(.validFrom)
            let from = fromText.isEmpty ? importDay : date(fromText)
            guard let from else {
                problem("дата початку «\(fromText)» не є датою", "valid_from is not a date")
                continue
            }
            let untilText = value(.validUntil)
            let until = untilText.isEmpty ? nil : date(untilText)
            guard untilText.isEmpty || until != nil else {
                problem("дата закінчення «\(untilText)» не є датою", "valid_until is not a date")
                continue
            }
            let terms: EligibilityTerms
            do {
                terms = try EligibilityTerms(category: category, evidence: value(.evidence), validFrom: from, validUntil: until)
            } catch let error as RegistryRuleError {
                problem(error.ukrainian, error.reason)
                continue
            }
            let key = "\(document.type.rawValue)|\(document.number)|\(category.rawValue)"
            if let earlier = seen[key] {
                problem("та сама особа й категорія вже є в рядку \(earlier)", "the same person and category are already on line \(earlier)")
                continue
            }
            seen[key] = record.line
            rows.append(ImportedEligibility(line: record.line, fullName: name, dateOfBirth: birth, document: document, terms: terms))
        }
        guard problems.isEmpty else {
            let count = problems.count
            throw RegistryRuleError(
                .importRejected,
                ukrainian: "імпорт відхилено, нічого не збережено: помилкових рядків — \(count)",
                english: "import rejected, nothing stored: \(count) bad line(s)", lines: problems)
        }
        return rows
    }

    /// A header name reduced for matching: lower case, no spaces, apostrophes, dashes or dots
    /// (`Дата народження` → `датанародження`); English names keep their underscores.
    static func headerKey(_ name: String) -> String {
        let dropped: Set<Character> = [" ", "'", "’", "ʼ", "-", ".", "/", "(", ")", "\t", "\""]
        let lowered = name.lowercased().filter { !dropped.contains($0) }
        return lowered
    }

    /// `YYYY-MM-DD` or `DD.MM.YYYY`.
    static func date(_ text: String) -> CivilDate? {
        if let iso = CivilDate(iso: text) { return iso }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4,
            let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2])
        else { return nil }
        return CivilDate(year: year, month: month, day: day)
    }
}
