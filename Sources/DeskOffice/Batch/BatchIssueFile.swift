import Foundation
import DeskRecords
import Entitlements
import Identifiers
import TabularText

/// One person of a batch: who, their benefit, and the card they get.
public struct BatchIssueRow: Hashable, Sendable {
    /// The line of the file (for the clerk).
    public var line: Int
    /// The person (personal: only the registry keeps it).
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: CivilDate
    /// The identity document (a student's birth certificate or ID card).
    public var document: IdentityDocument
    /// The benefit category, as written (a code or an id).
    public var category: String
    /// The last day of the eligibility (nil: no end given).
    public var validUntil: CivilDate?
    /// The card's serial, from the file or numbered from the batch's first serial.
    public var serial: CardSerial
    /// The address, when the file has one (else the batch's).
    public var address: String?
}

/// A batch issuance file (a school's students): a CSV read with the shared reader
/// (`TabularText`), `;` or `,` between fields, a header naming the columns in Ukrainian or
/// English in any order: `full_name` (ПІБ), `date_of_birth`, `document_type`,
/// `document_number`, `category`, `valid_until`, and optionally `card_serial` (else line k of
/// the file gets the k-th serial from the batch's first) and `address`.
///
/// All or nothing, like the eligibility import: every line that cannot be read is reported, and
/// if any is, nothing is issued.
public enum BatchIssueFile {
    enum Column: CaseIterable {
        case fullName, dateOfBirth, documentType, documentNumber, category, validUntil, serial, address

        var names: [String] {
            switch self {
            case .fullName: ["full_name", "name", "піб", "прізвищеімяпобатькові", "учень"]
            case .dateOfBirth: ["date_of_birth", "birth_date", "датанародження"]
            case .documentType: ["document_type", "типдокумента"]
            case .documentNumber: ["document_number", "номердокумента", "серіятаномердокумента"]
            case .category: ["category", "категорія", "кодкатегорії"]
            case .validUntil: ["valid_until", "дієдо", "датазакінчення"]
            case .serial: ["card_serial", "serial", "номеркартки"]
            case .address: ["address", "адреса"]
            }
        }

        var isRequired: Bool { self != .serial && self != .address && self != .validUntil }
    }

    static func headerKey(_ name: String) -> String {
        let dropped: Set<Character> = [" ", "'", "’", "ʼ", "-", ".", "/", "(", ")", "\t", "\""]
        return name.lowercased().filter { !dropped.contains($0) }
    }

    static func date(_ text: String) -> CivilDate? {
        if let iso = CivilDate(iso: text) { return iso }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4,
            let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2])
        else { return nil }
        return CivilDate(year: year, month: month, day: day)
    }

    /// The rows of `bytes`; `firstSerial` numbers the cards of a file without `card_serial`.
    public static func parse(_ bytes: [UInt8], firstSerial: CardSerial?) throws -> [BatchIssueRow] {
        let text: String
        do {
            text = try CSVText.decode(bytes)
        } catch {
            throw RegistryRuleError(.importRejected, ukrainian: "файл не в кодуванні UTF-8 (збережіть його як «CSV UTF-8»)", english: "the file is not UTF-8 (save it as \"CSV UTF-8\")")
        }
        let records: [CSVRecord]
        do {
            records = try CSVReader.records(text, dialect: CSVDialect(separator: CSVText.separator(of: CSVText.firstLine(of: text)), strayQuote: .opensQuote))
        } catch {
            throw RegistryRuleError(
                .importRejected, ukrainian: "рядок \(error.line): лапки не закрито", english: "line \(error.line): a quote is not closed",
                lines: [ImportLineProblem(line: error.line, ukrainian: "лапки не закрито", english: "a quote is not closed")])
        }
        guard let header = records.first else { throw RegistryRuleError(.importRejected, ukrainian: "файл порожній", english: "the file is empty") }
        var position: [Column: Int] = [:]
        for (index, name) in header.fields.enumerated() {
            if let column = Column.allCases.first(where: { $0.names.contains(headerKey(name)) }) { position[column] = index }
        }
        let missing = Column.allCases.filter { $0.isRequired && position[$0] == nil }
        guard missing.isEmpty else {
            throw RegistryRuleError(.importRejected, ukrainian: "у заголовку бракує стовпців: \(missing.count)", english: "the header lacks \(missing.count) required column(s)")
        }
        guard position[.serial] != nil || firstSerial != nil else {
            throw RegistryRuleError(
                .importRejected, ukrainian: "у файлі немає стовпця card_serial: вкажіть номер першої картки", english: "the file has no card_serial column: give the first card's serial")
        }
        var rows: [BatchIssueRow] = []
        var problems: [ImportLineProblem] = []
        var serials: Set<CardSerial> = []
        for record in records.dropFirst() {
            if !record.hasQuotedField, record.fields.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { continue }
            func value(_ column: Column) -> String {
                guard let index = position[column], index < record.fields.count else { return "" }
                return record.fields[index].trimmingCharacters(in: .whitespaces)
            }
            func problem(_ ukrainian: String, _ english: String) { problems.append(ImportLineProblem(line: record.line, ukrainian: ukrainian, english: english)) }
            let name = value(.fullName)
            guard NameKey.tokens(name).count >= 2 else { problem("ПІБ порожнє або з одного слова", "the full name is empty or a single word"); continue }
            guard let birth = date(value(.dateOfBirth)) else { problem("дата народження не є датою", "the date of birth is not a date"); continue }
            guard let type = DocumentType(text: value(.documentType)), let document = try? IdentityDocument(type: type, number: value(.documentNumber)) else {
                problem("документ не читається (тип і номер)", "the document (type and number) cannot be read")
                continue
            }
            let category = value(.category)
            guard !category.isEmpty else { problem("категорію не вказано", "no category"); continue }
            var validUntil: CivilDate?
            if !value(.validUntil).isEmpty {
                guard let until = date(value(.validUntil)) else { problem("«діє до» не є датою", "valid_until is not a date"); continue }
                validUntil = until
            }
            let serial: CardSerial
            if position[.serial] != nil {
                guard let given = CardSerial(printed: value(.serial)) else { problem("номер картки не з 16 шістнадцяткових цифр", "the card serial is not 16 hex digits"); continue }
                serial = given
            } else {
                serial = CardSerial(rawValue: firstSerial!.rawValue &+ UInt64(rows.count + problems.count))
            }
            guard serials.insert(serial).inserted else { problem("номер картки \(serial) повторюється", "card serial \(serial) is given twice"); continue }
            let address = value(.address)
            rows.append(
                BatchIssueRow(
                    line: record.line, fullName: name, dateOfBirth: birth, document: document, category: category, validUntil: validUntil, serial: serial,
                    address: address.isEmpty ? nil : address))
        }
        guard problems.isEmpty else {
            throw RegistryRuleError(
                .importRejected, ukrainian: "у файлі є рядки, які не читаються: \(problems.count)", english: "\(problems.count) line(s) of the file cannot be read", lines: problems)
        }
        return rows
    }
}
