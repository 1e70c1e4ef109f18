import Identifiers

/// A text in the two languages the system speaks: Ukrainian first, English for visitors and logs.
public struct LocalizedText: Hashable, Sendable, Codable {
    /// Ukrainian.
    public var uk: String
    /// English.
    public var en: String
    /// Creates a text; Ukrainian first.
    public init(uk: String, en: String) {
        self.uk = uk
        self.en = en
    }
}

/// A group of residents the community grants travel benefits to (pensioners, combat veterans …).
///
/// Community data, not code: each hromada publishes its own list with stable numeric codes.
/// Codes are written into entitlements and ledgers, so a code is never reused for a different
/// group; a retired category keeps its code and is simply no longer issued.
public struct BenefitCategory: Hashable, Sendable, Codable, Identifiable {
    /// The numeric code written on cards and in ledgers.
    public var code: CategoryCode
    /// A stable short identifier for people and files, e.g. `combat-veteran`.
    public var id: String
    /// The category's name, Ukrainian first.
    public var name: LocalizedText
    /// The legal basis or a note for the desk, if any.
    public var basis: String?

    /// Creates a category.
    public init(code: CategoryCode, id: String, name: LocalizedText, basis: String? = nil) {
        self.code = code
        self.id = id
        self.name = name
        self.basis = basis
    }
}

/// A community's published list of benefit categories, versioned.
public struct BenefitCategoryList: Hashable, Sendable, Codable {
    /// The community's short name, e.g. `nemishaieve`.
    public var community: String
    /// Increases with every published change.
    public var version: UInt32
    /// The categories, in the order the desk shows them.
    public var categories: [BenefitCategory]

    /// Creates a list; call `validate()` before trusting data read from a file.
    public init(community: String, version: UInt32, categories: [BenefitCategory]) {
        self.community = community
        self.version = version
        self.categories = categories
    }

    /// The category with `code`, if listed.
    public func category(_ code: CategoryCode) -> BenefitCategory? {
        categories.first { $0.code == code }
    }

    /// Checks that codes and identifiers are unique and every name is filled in.
    public func validate() throws {
        try BenefitCategoryList.validate(categories)
    }

    /// Checks a list of categories: unique codes and ids, non-empty names, code 0 unused.
    public static func validate(_ categories: [BenefitCategory]) throws {
        var codes = Set<CategoryCode>()
        var ids = Set<String>()
        for category in categories {
            guard category.code.rawValue != 0 else {
                throw EntitlementError(.invalidCommunityData, "category \(category.id): code 0 is reserved")
            }
            guard codes.insert(category.code).inserted else {
                throw EntitlementError(.invalidCommunityData, "category code \(category.code) is listed twice")
            }
            guard !category.id.isEmpty, ids.insert(category.id).inserted else {
                throw EntitlementError(.invalidCommunityData, "category id '\(category.id)' is empty or listed twice")
            }
            guard !category.name.uk.isEmpty, !category.name.en.isEmpty else {
                throw EntitlementError(.invalidCommunityData, "category \(category.id) needs names in Ukrainian and English")
            }
        }
    }
}
