import Entitlements

/// The kind of identity document a holder shows at the desk.
public enum DocumentType: String, Hashable, Sendable, CaseIterable, Codable {
    /// The booklet passport of a citizen of Ukraine (series of two letters, six digits).
    case passport
    /// The ID card passport (nine digits).
    case idCard = "id-card"
    /// A birth certificate (for children).
    case birthCertificate = "birth-certificate"
    /// A residence permit of a foreigner or a stateless person.
    case residencePermit = "residence-permit"
    /// Any other document the community accepts.
    case other

    /// Reads the stable code (`passport`, `id-card`, …) or the Ukrainian name a registry export
    /// uses (`паспорт`, `ID-картка`, `свідоцтво про народження`, `посвідка`), any case.
    public init?(text: String) {
        let key = text.lowercased().filter { !$0.isWhitespace && $0 != "-" && $0 != "_" }
        switch key {
        case "passport", "паспорт", "паспортгромадянинаукраїни": self = .passport
        case "idcard", "id", "idкартка", "картка", "паспорт(idкартка)": self = .idCard
        case "birthcertificate", "свідоцтвопронародження", "свідоцтво": self = .birthCertificate
        case "residencepermit", "посвідка", "посвідканапроживання": self = .residencePermit
        case "other", "інший", "інше": self = .other
        default: return nil
        }
    }

    /// The Ukrainian name.
    public var ukrainian: String {
        switch self {
        case .passport: "паспорт"
        case .idCard: "ID-картка"
        case .birthCertificate: "свідоцтво про народження"
        case .residencePermit: "посвідка на проживання"
        case .other: "інший документ"
        }
    }
}

/// An identity document: its type and number, the number normalized so the same document typed
/// two ways is one document.
///
/// The number is personal data: the registry keeps it only encrypted, and finds it through a
/// keyed index of `indexInput` (see docs/desk-registry.md). `description` never shows it.
public struct IdentityDocument: Hashable, Sendable, CustomStringConvertible {
    /// The document type.
    public let type: DocumentType
    /// The number, upper case, without spaces, Latin look-alike letters turned Cyrillic.
    public let number: String

    /// Validates and normalizes a document; throws `invalidField` with what is wrong.
    public init(type: DocumentType, number text: String) throws {
        let number = Self.normalize(text)
        let valid: Bool
        switch type {
        case .passport:
            let letters = number.prefix(2)
            valid = number.count == 8 && letters.allSatisfy(Self.isCyrillicCapital) && number.dropFirst(2).allSatisfy(\.isASCIIDigit)
        case .idCard:
            valid = number.count == 9 && number.allSatisfy(\.isASCIIDigit)
        case .birthCertificate, .residencePermit, .other:
            valid = (4...20).contains(number.count) && number.allSatisfy { $0.isLetter || $0.isASCIIDigit || $0 == "-" }
        }
        guard valid else {
            throw RegistryRuleError(
                .invalidField,
                ukrainian: "номер документа не відповідає типу «\(type.ukrainian)» (паспорт: дві літери й шість цифр, ID-картка: дев'ять цифр)",
                english: "the document number does not fit the type \(type.rawValue) (passport: two letters and six digits; ID card: nine digits)")
        }
        self.type = type
        self.number = number
    }

    /// The bytes the registry's keyed search index is computed over: `type|number`.
    public var indexInput: [UInt8] { Array("\(type.rawValue)|\(number)".utf8) }

    /// The type only: the number is never printed.
    public var description: String { "\(type.rawValue) (number withheld)" }

    /// Upper case, no spaces, Latin letters that look Cyrillic made Cyrillic (passport series
    /// are Cyrillic; a clerk on a Latin keyboard types `KH` for `КН`).
    public static func normalize(_ text: String) -> String {
        let lookAlikes: [Character: Character] = [
            "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т", "X": "Х",
        ]
        return String(text.uppercased().filter { !$0.isWhitespace }.map { lookAlikes[$0] ?? $0 })
    }

    private static func isCyrillicCapital(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1 else { return false }
        return (0x0400...0x042F).contains(scalar.value) || scalar.value == 0x0490
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// What the desk knows of a person: the personal data the registry holds and erasure removes.
public struct HolderDetails: Hashable, Sendable, CustomStringConvertible {
    /// Full name as the document shows it (surname, given name, patronymic).
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: CivilDate
    /// Address in the community.
    public var address: String
    /// The identity document.
    public var document: IdentityDocument
    /// Phone number, optional.
    public var phone: String?

    /// Validates the fields (trimmed, lengths, a birth date not in the future, a phone of
    /// digits) and creates the details; throws `invalidField` naming the field.
    public init(fullName: String, dateOfBirth: CivilDate, address: String, document: IdentityDocument, phone: String? = nil, today: CivilDate) throws {
        let name = fullName.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard (3...200).contains(name.count), name.contains(where: \.isLetter) else {
            throw RegistryRuleError(.invalidField, ukrainian: "ПІБ має містити від 3 до 200 символів", english: "the full name must be 3 to 200 characters")
        }
        guard !NameKey.tokens(name).isEmpty else {
            throw RegistryRuleError(.invalidField, ukrainian: "ПІБ не містить жодного слова", english: "the full name holds no word")
        }
        guard dateOfBirth <= today, dateOfBirth.year >= 1900 else {
            throw RegistryRuleError(.invalidField, ukrainian: "дата народження неможлива", english: "the date of birth is impossible")
        }
        let address = address.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard (3...300).contains(address.count) else {
            throw RegistryRuleError(.invalidField, ukrainian: "адреса має містити від 3 до 300 символів", english: "the address must be 3 to 300 characters")
        }
        var cleanPhone: String?
        if let phone, !phone.trimmingWhitespace.isEmpty {
            let digits = phone.filter { !$0.isWhitespace && $0 != "-" && $0 != "(" && $0 != ")" }
            let body = digits.hasPrefix("+") ? digits.dropFirst() : Substring(digits)
            guard (9...15).contains(body.count), body.allSatisfy(\.isASCIIDigit) else {
                throw RegistryRuleError(.invalidField, ukrainian: "телефон має містити від 9 до 15 цифр", english: "the phone must hold 9 to 15 digits")
            }
            cleanPhone = digits
        }
        self.fullName = name
        self.dateOfBirth = dateOfBirth
        self.address = address
        self.document = document
        self.phone = cleanPhone
    }

    /// Details as stored, without validation (the registry reading back what it wrote).
    public init(storedName: String, dateOfBirth: CivilDate, address: String, document: IdentityDocument, phone: String?) {
        self.fullName = storedName
        self.dateOfBirth = dateOfBirth
        self.address = address
        self.document = document
        self.phone = phone
    }

    /// Redacted: personal data never goes to a log.
    public var description: String { "HolderDetails(redacted)" }
}

extension String {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
