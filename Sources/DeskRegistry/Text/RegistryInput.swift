import Crypto
import Entitlements
import Identifiers

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the registry's commands read besides the database: dates typed by the clerk, the
/// community's category list, an import file.
public enum RegistryInput {
    /// A date `YYYY-MM-DD` (or `DD.MM.YYYY`, as Ukrainian documents print it).
    public static func date(_ text: String, field: String) throws -> CivilDate {
        if let date = CivilDate(iso: text) { return date }
        let parts = text.split(separator: ".")
        if parts.count == 3, let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2]), parts[2].count == 4,
            let date = CivilDate(year: year, month: month, day: day)
        {
            return date
        }
        throw RegistryError(.invalidRequest, ukrainian: "\(field): «\(text)» не є датою (РРРР-ММ-ДД)", english: "\(field): \"\(text)\" is not a date (YYYY-MM-DD)")
    }

    /// The benefit categories in `path` (the community's `categories.json`), or none for nil.
    public static func categories(_ path: String?) throws -> [BenefitCategory] {
        guard let path else { return [] }
        guard let data = FileManager.default.contents(atPath: path),
            let list = try? JSONDecoder().decode(BenefitCategoryList.self, from: data)
        else {
            throw RegistryError(.keyUnreadable, ukrainian: "список категорій \(path) не читається", english: "the category list \(path) cannot be read")
        }
        return list.categories
    }

    /// A category by its code or its id in `categories` (a bare code is accepted without a list).
    public static func category(_ text: String, in categories: [BenefitCategory]) -> CategoryCode? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = UInt16(trimmed) {
            let code = CategoryCode(number)
            return categories.isEmpty || categories.contains(where: { $0.code == code }) ? code : nil
        }
        return categories.first { $0.id == trimmed.lowercased() }?.code
    }

    /// The bytes of an import file and their SHA-256.
    public static func importFile(_ path: String) throws -> (bytes: [UInt8], digest: [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError(.invalidRequest, ukrainian: "файл імпорту \(path) не читається", english: "the import file \(path) cannot be read")
        }
        let bytes = [UInt8](data)
        return (bytes, Array(SHA256.hash(data: bytes)))
    }
}
