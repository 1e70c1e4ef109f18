/// The plural category of a count, as CLDR names them: which form of a noun goes with a number.
public enum PluralCategory: Hashable, Sendable, CaseIterable {
    /// Ukrainian 1, 21, 101 …; English 1.
    case one
    /// Ukrainian 2–4, 22–24 … (not 12–14).
    case few
    /// Ukrainian 0, 5–20, 25–30, 111 …
    case many
    /// English every count but 1 (and fractions in both languages, which no message counts).
    case other

    /// The category of a whole `count` by the CLDR rule for Ukrainian.
    ///
    /// one: n % 10 = 1 and n % 100 ≠ 11; few: n % 10 in 2…4 and n % 100 not in 12…14; many:
    /// every other whole number. A negative count takes the category of its magnitude.
    public static func ukrainian(_ count: some BinaryInteger) -> PluralCategory {
        let lastTwo = Int(count.magnitude % 100)
        let last = lastTwo % 10
        if last == 1 && lastTwo != 11 { return .one }
        if (2...4).contains(last) && !(12...14).contains(lastTwo) { return .few }
        return .many
    }

    /// The category of a whole `count` by the CLDR rule for English: one for 1, other otherwise.
    public static func english(_ count: some BinaryInteger) -> PluralCategory {
        count.magnitude == 1 ? .one : .other
    }
}

/// The forms a Ukrainian noun takes after a number: `1 запис`, `2 записи`, `5 записів`.
///
/// The forms are those that follow a numeral in the nominative (the common case in our
/// messages); a phrase that puts the numeral in another case (`до 21 байта`) declares its own.
public struct UkrainianNoun: Hashable, Sendable {
    /// After 1, 21, 101 …: `запис`.
    public let one: String
    /// After 2–4, 22–24 …: `записи`.
    public let few: String
    /// After 0, 5–20, 25 …: `записів`.
    public let many: String

    /// Declares a noun by its three forms.
    public init(one: String, few: String, many: String) {
        self.one = one
        self.few = few
        self.many = many
    }

    /// The form that goes with `count`.
    public func form(for count: some BinaryInteger) -> String {
        switch PluralCategory.ukrainian(count) {
        case .one: one
        case .few: few
        case .many, .other: many
        }
    }

    /// The number and the noun: `21 запис`, `3 записи`, `11 записів`.
    public func counted(_ count: some BinaryInteger) -> String { "\(count) \(form(for: count))" }
}

/// The forms an English noun takes after a number: `1 entry`, `2 entries`.
public struct EnglishNoun: Hashable, Sendable {
    /// After 1.
    public let one: String
    /// After every other number.
    public let other: String

    /// Declares a noun by its singular and plural.
    public init(one: String, other: String) {
        self.one = one
        self.other = other
    }

    /// The form that goes with `count`.
    public func form(for count: some BinaryInteger) -> String {
        PluralCategory.english(count) == .one ? one : other
    }

    /// The number and the noun: `1 entry`, `0 entries`.
    public func counted(_ count: some BinaryInteger) -> String { "\(count) \(form(for: count))" }
}

extension UkrainianNoun {
    /// A ledger entry or record: запис, записи, записів.
    public static let record = UkrainianNoun(one: "запис", few: "записи", many: "записів")
    /// A ride: поїздка, поїздки, поїздок.
    public static let ride = UkrainianNoun(one: "поїздка", few: "поїздки", many: "поїздок")
    /// A card: картка, картки, карток.
    public static let card = UkrainianNoun(one: "картка", few: "картки", many: "карток")
    /// A device (validator): пристрій, пристрої, пристроїв.
    public static let device = UkrainianNoun(one: "пристрій", few: "пристрої", many: "пристроїв")
    /// A byte: байт, байти, байтів.
    public static let byte = UkrainianNoun(one: "байт", few: "байти", many: "байтів")
}

extension EnglishNoun {
    /// A ledger entry.
    public static let entry = EnglishNoun(one: "entry", other: "entries")
    /// A ride.
    public static let ride = EnglishNoun(one: "ride", other: "rides")
    /// A card.
    public static let card = EnglishNoun(one: "card", other: "cards")
    /// A device.
    public static let device = EnglishNoun(one: "device", other: "devices")
    /// A byte.
    public static let byte = EnglishNoun(one: "byte", other: "bytes")
}
