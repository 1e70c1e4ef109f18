import Localization

/// An amount in Ukrainian words, as payment documents and acts of reconciliation state it beside
/// the figure (сума прописом): `одна тисяча двісті тридцять чотири гривні 56 копійок`.
///
/// Hryvnias in words, kopecks in figures (two digits), the usual form of Ukrainian payment
/// orders. гривня and тисяча are feminine (одна, дві), мільйон and мільярд masculine.
public enum AmountInWords {
    /// The amount in words; a negative amount starts with `мінус`.
    public static func ukrainian(kopecks: Int64) -> String {
        let (hryvnias, kopecksPart) = kopecks.magnitude.quotientAndRemainder(dividingBy: 100)
        let words = hryvnias == 0 ? "нуль" : spelled(hryvnias, feminine: true)
        let kopecksText = (kopecksPart < 10 ? "0" : "") + "\(kopecksPart)"
        return (kopecks < 0 ? "мінус " : "") + "\(words) \(hryvnia.form(for: hryvnias)) \(kopecksText) \(kopeck.form(for: kopecksPart))"
    }

    static let hryvnia = UkrainianNoun(one: "гривня", few: "гривні", many: "гривень")
    static let kopeck = UkrainianNoun(one: "копійка", few: "копійки", many: "копійок")
    static let scales: [(noun: UkrainianNoun, feminine: Bool)] = [
        (UkrainianNoun(one: "тисяча", few: "тисячі", many: "тисяч"), true),
        (UkrainianNoun(one: "мільйон", few: "мільйони", many: "мільйонів"), false),
        (UkrainianNoun(one: "мільярд", few: "мільярди", many: "мільярдів"), false),
        (UkrainianNoun(one: "трильйон", few: "трильйони", many: "трильйонів"), false),
        (UkrainianNoun(one: "квадрильйон", few: "квадрильйони", many: "квадрильйонів"), false),
    ]

    /// `value` > 0 in words; the last group agrees with a feminine noun when `feminine`.
    static func spelled(_ value: UInt64, feminine: Bool) -> String {
        var groups: [UInt64] = []
        var rest = value
        while rest > 0 {
            groups.append(rest % 1000)
            rest /= 1000
        }
        var words: [String] = []
        for index in groups.indices.reversed() where groups[index] > 0 {
            if index == 0 {
                words.append(group(groups[index], feminine: feminine))
            } else {
                let scale = scales[index - 1]
                words.append(group(groups[index], feminine: scale.feminine))
                words.append(scale.noun.form(for: groups[index]))
            }
        }
        return words.joined(separator: " ")
    }

    static let hundreds = ["", "сто", "двісті", "триста", "чотириста", "п’ятсот", "шістсот", "сімсот", "вісімсот", "дев’ятсот"]
    static let tens = ["", "", "двадцять", "тридцять", "сорок", "п’ятдесят", "шістдесят", "сімдесят", "вісімдесят", "дев’яносто"]
    static let units = [
        "", "один", "два", "три", "чотири", "п’ять", "шість", "сім", "вісім", "дев’ять", "десять", "одинадцять", "дванадцять", "тринадцять",
        "чотирнадцять", "п’ятнадцять", "шістнадцять", "сімнадцять", "вісімнадцять", "дев’ятнадцять",
    ]

    /// 1…999 in words.
    static func group(_ value: UInt64, feminine: Bool) -> String {
        var words: [String] = []
        let value = Int(value)
        if value >= 100 { words.append(hundreds[value / 100]) }
        let lastTwo = value % 100
        if lastTwo >= 20 {
            words.append(tens[lastTwo / 10])
            if lastTwo % 10 > 0 { words.append(unit(lastTwo % 10, feminine: feminine)) }
        } else if lastTwo > 0 {
            words.append(unit(lastTwo, feminine: feminine))
        }
        return words.joined(separator: " ")
    }

    static func unit(_ value: Int, feminine: Bool) -> String {
        guard feminine else { return units[value] }
        switch value {
        case 1: return "одна"
        case 2: return "дві"
        default: return units[value]
        }
    }
}
